/**
 * `os_keypair` (openstack.cloud.keypair): a Nova key pair of the user the
 * task authenticates as (key pairs belong to users: give that user's
 * `auth`). `public_key_file` is read ON THE TARGET, where the collection's
 * module runs. An existing key pair with another public key fails as the
 * collection's does (state=present) or is deleted and created again
 * (state=replace). Without a public key Nova generates the pair; its private
 * key is in the result once (and masked in the output).
 *
 * Where it differs from openstack.cloud.keypair: public keys are compared
 * without leading and trailing white space (a file's final newline does not
 * make a key "not the same"); check mode predicts that failure and a replace
 * (the collection's check mode looks only at whether the key pair exists).
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { fileStatesFact } from '../facts/files.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Key pair name.'),
  state: z.enum(['present', 'absent', 'replace']).default('present').describe('present; replace: re-create one with another key; absent.'),
  public_key: z.string().optional().describe('The public key (none: Nova generates the pair).'),
  public_key_file: z.string().optional().describe('File on the target holding the public key.'),
});

export type OsKeypairArgs = z.infer<typeof schema> & CommonArgs;

/** A key pair as Nova's API returns it. */
interface ApiKeypair {
  name: string;
  public_key: string;
  fingerprint?: string;
  type?: string;
  user_id?: string;
  created_at?: string;
  deleted?: boolean;
  private_key?: string;
}

/** A key pair as the collection returns it (openstacksdk's Keypair.to_dict()). */
export function toKeypair(k: ApiKeypair): Record<string, unknown> {
  return {
    id: k.name,
    name: k.name,
    created_at: k.created_at ?? null,
    fingerprint: k.fingerprint ?? null,
    is_deleted: k.deleted ?? false,
    private_key: k.private_key ?? null,
    public_key: k.public_key,
    type: k.type ?? 'ssh',
    user_id: k.user_id ?? null,
  };
}

/** Pure: whether two public keys are the same key (white space at either end does not count). */
export const sameKey = (a: string, b: string): boolean => a.trim() === b.trim();

/** type (2.2) in requests and answers. */
const MICROVERSION = { 'OpenStack-API-Version': 'compute 2.2', 'X-OpenStack-Nova-API-Version': '2.2' };
const MAX_KEY_BYTES = 64 * 1024;

interface Data {
  delete?: boolean;
  create?: { name: string; public_key?: string };
}

export const osKeypairModule: Module<OsKeypairArgs, Data> = {
  name: 'os_keypair',
  doc: {
    short: 'Create or delete a Nova key pair of the authenticated user (OpenStack).',
    examples: `
# The key pair belongs to the user auth names. public_key_file is read on the
# target. As openstack.cloud.keypair: another public key fails ("Delete key
# first"), state=replace re-creates the key pair. Unlike it: keys are compared
# without white space at either end, and check mode predicts the failure.
- name: Key pair demo-key of the demo user, from a public key on the host
  os_keypair:
    auth: &demo
      auth_url: http://controller:5000/v3
      username: demo
      password: DEMO_PASS
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    name: demo-key
    public_key_file: /home/stack/.ssh/id_rsa.pub

- name: No key pair old-key
  openstack.cloud.keypair:
    auth: *demo
    name: old-key
    state: absent
`,
  },
  aliases: ['openstack.cloud.keypair'],
  schema: schema as never,
  async plan(ctx, a) {
    if (a.public_key !== undefined && a.public_key_file !== undefined) throw new ModuleError('parameters are mutually exclusive: public_key|public_key_file');
    return planWithClient<Data>(ctx, a, `key pair ${a.name}`, async (c) => {
      const res = await c.call('compute', 'GET', `/os-keypairs/${encodeURIComponent(a.name)}`, { headers: MICROVERSION });
      if (res.status !== 200 && res.status !== 404) throw new ModuleError(`GET compute /os-keypairs/${a.name}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
      const k = res.status === 200 ? (JSON.parse(res.body) as { keypair: ApiKeypair }).keypair : undefined;
      if (a.state === 'absent') {
        return k ? { changes: [{ summary: `delete key pair ${a.name}` }], data: { delete: true } } : { changes: [], result: { keypair: null } };
      }
      let publicKey = a.public_key;
      if (a.public_key_file !== undefined) {
        const [f] = await ctx.fact(fileStatesFact, { queries: [{ path: a.public_key_file, follow: true, checksum: false, contentMaxBytes: MAX_KEY_BYTES }] });
        if (!f!.exists || f!.type !== 'file') {
          // In check mode an earlier task of the run may yet write the file (apply never runs in check mode).
          if (ctx.check) {
            return k ? { changes: [], unknown: `key pair ${a.name}: public_key_file ${a.public_key_file} does not exist yet` } : { changes: [{ summary: `create key pair ${a.name} from ${a.public_key_file}` }] };
          }
          throw new ModuleError(`public_key_file ${a.public_key_file} not found on ${ctx.host}`);
        }
        if (f!.contentTooLarge) throw new ModuleError(`public_key_file ${a.public_key_file} is larger than ${MAX_KEY_BYTES} bytes: not a public key`);
        publicKey = f!.content!.toString('utf8');
      }
      const from = a.public_key_file ? ` from ${a.public_key_file}` : publicKey !== undefined ? '' : ' (Nova generates it)';
      const create = { name: a.name, ...(publicKey !== undefined ? { public_key: publicKey } : {}) };
      if (!k) return { changes: [{ summary: `create key pair ${a.name}${from}` }], data: { create } };
      if (publicKey !== undefined && !sameKey(publicKey, k.public_key)) {
        if (a.state === 'present') throw new ModuleError(`Key name ${a.name} present but key hash not the same as offered. Delete key first.`);
        return { changes: [{ summary: `replace key pair ${a.name} (another public key)${from}` }], data: { delete: true, create } };
      }
      return { changes: [], result: { keypair: toKeypair(k), id: k.name } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    const headers = MICROVERSION;
    if (d.delete) {
      await c.json('compute', 'DELETE', `/os-keypairs/${encodeURIComponent(a.name)}`, { headers });
      if (!d.create) return { changed: true, keypair: null };
    }
    const r = (await c.json<{ keypair: ApiKeypair }>('compute', 'POST', '/os-keypairs', { headers, json: { keypair: d.create } })).keypair;
    if (r.private_key) ctx.secret(r.private_key);
    return { changed: true, keypair: toKeypair(r), id: r.name };
  },
};

registerModule(osKeypairModule);
