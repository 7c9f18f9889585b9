/**
 * `os_nova_flavor` (openstack.cloud.compute_flavor): a Nova flavor. Flavors
 * are immutable: an existing flavor whose ram, vcpus, disk, ephemeral, swap,
 * rxtx_factor, is_public or description differ is deleted and created again,
 * as the collection does (servers keep their embedded copy of the old one).
 * Extra specs are set and unset in place. Reads first (compute microversion
 * 2.61: extra specs come with the flavor), so check mode predicts exactly
 * what a run does.
 *
 * Where it differs from openstack.cloud.compute_flavor: without
 * `extra_specs` the flavor's extra specs are left alone and carried over to
 * a re-created flavor (the collection removes them all); the id is
 * `flavorid` only (the collection's `id` is not accepted); a flavor of this
 * name with another id than `flavorid` is an error when planning (the
 * collection gets Nova's 409 on create); check mode tells what would change
 * (the collection's check mode only says whether something would).
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Flavor name.'),
  state: z.enum(['present', 'absent']).default('present').describe('present or absent.'),
  ram: z.coerce.number().int().positive().optional().describe('Memory in MB (required when present).'),
  vcpus: z.coerce.number().int().positive().optional().describe('Number of virtual CPUs (required when present).'),
  disk: z.coerce.number().int().nonnegative().optional().describe('Root disk in GB (required when present).'),
  ephemeral: z.coerce.number().int().nonnegative().optional().describe('Ephemeral disk in GB.'),
  swap: z.coerce.number().int().nonnegative().optional().describe('Swap in MB.'),
  rxtx_factor: z.coerce.number().positive().optional().describe('RX/TX factor.'),
  is_public: bool.optional().describe('Whether every project may use it.'),
  description: z.string().optional().describe('Flavor description.'),
  flavorid: z.string().default('auto').describe('Id of a new flavor (auto: a UUID); other than auto, the flavor is found by it.'),
  extra_specs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('Extra specs: when given, the whole set (others are removed).'),
});

export type OsNovaFlavorArgs = z.infer<typeof schema> & CommonArgs;

/** A flavor as Nova's API (2.61) returns it. */
interface ApiFlavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  swap: number | '';
  rxtx_factor?: number;
  description?: string | null;
  'OS-FLV-EXT-DATA:ephemeral'?: number;
  'os-flavor-access:is_public'?: boolean;
  'OS-FLV-DISABLED:disabled'?: boolean;
  extra_specs?: Record<string, string>;
}

/** A flavor as the collection returns it (openstacksdk's Flavor.to_dict()). */
export interface Flavor {
  id: string;
  name: string;
  description: string | null;
  disk: number;
  ephemeral: number;
  extra_specs: Record<string, string>;
  is_disabled: boolean;
  is_public: boolean;
  ram: number;
  rxtx_factor: number;
  swap: number;
  vcpus: number;
}

/** The microversion every call uses: description (2.55) and extra specs inside the flavor (2.61). */
const MICROVERSION = { 'OpenStack-API-Version': 'compute 2.61', 'X-OpenStack-Nova-API-Version': '2.61' };

/** Pure: Nova's flavor in the collection's shape (swap "" is 0). */
export function toFlavor(f: ApiFlavor): Flavor {
  return {
    id: f.id,
    name: f.name,
    description: f.description ?? null,
    disk: f.disk,
    ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
    extra_specs: f.extra_specs ?? {},
    is_disabled: f['OS-FLV-DISABLED:disabled'] ?? false,
    is_public: f['os-flavor-access:is_public'] ?? true,
    ram: f.ram,
    rxtx_factor: f.rxtx_factor ?? 1,
    swap: f.swap === '' ? 0 : f.swap,
    vcpus: f.vcpus,
  };
}

const ATTRS = ['ram', 'vcpus', 'disk', 'ephemeral', 'swap', 'rxtx_factor', 'is_public', 'description'] as const;

/** Pure: the attributes asked for that differ from the flavor's, as "ram 128 -> 256". */
export function attributeDiffs(f: Flavor, a: Pick<OsNovaFlavorArgs, (typeof ATTRS)[number]>): string[] {
  return ATTRS.filter((k) => a[k] !== undefined && a[k] !== f[k]).map((k) => `${k} ${JSON.stringify(f[k])} -> ${JSON.stringify(a[k])}`);
}

/** Pure: extra specs to set (all of the wanted set when any differs, as the collection sends them) and keys to unset. */
export function extraSpecUpdates(have: Record<string, string>, want: Record<string, string | number | boolean> | undefined): { set?: Record<string, string>; unset: string[] } {
  if (want === undefined) return { unset: [] };
  const wanted = Object.fromEntries(Object.entries(want).map(([k, v]) => [k, String(v)]));
  const unset = Object.keys(have).filter((k) => !Object.hasOwn(wanted, k)).sort();
  const differs = Object.entries(wanted).some(([k, v]) => have[k] !== v);
  return { ...(differs ? { set: wanted } : {}), unset };
}

/** Pure: the body of POST /flavors. */
export function createBody(a: OsNovaFlavorArgs, id: string | undefined): Record<string, unknown> {
  const b: Record<string, unknown> = { name: a.name, ram: a.ram, vcpus: a.vcpus, disk: a.disk };
  if (a.ephemeral !== undefined) b['OS-FLV-EXT-DATA:ephemeral'] = a.ephemeral;
  if (a.swap !== undefined) b.swap = a.swap;
  if (a.rxtx_factor !== undefined) b.rxtx_factor = a.rxtx_factor;
  if (a.is_public !== undefined) b['os-flavor-access:is_public'] = a.is_public;
  if (a.description !== undefined) b.description = a.description;
  if (id !== undefined) b.id = id;
  return b;
}

interface Data {
  existing?: Flavor;
  /** delete the existing flavor (absent, or re-create) */
  delete?: boolean;
  /** create with this body (then set its extra specs) */
  create?: Record<string, unknown>;
  setSpecs?: Record<string, string>;
  unsetSpecs: string[];
}

export const osNovaFlavorModule: Module<OsNovaFlavorArgs, Data> = {
  name: 'os_nova_flavor',
  doc: {
    short: 'Create, re-create or delete a Nova flavor and its extra specs (OpenStack).',
    examples: `
# As openstack.cloud.compute_flavor: a flavor whose ram, vcpus, disk, ephemeral,
# swap, rxtx_factor, is_public or description differ is deleted and created
# again (flavors are immutable). Unlike it: without extra_specs the flavor's
# are left alone (and carried over to a re-created one); the id argument is
# flavorid only; a flavor of this name with another id than flavorid fails
# when planning; check mode lists what would change.
- name: Flavor m1.nano (128 MB, 1 vCPU, 1 GB disk)
  os_nova_flavor:
    auth: &admin
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: m1.nano
    ram: 128
    vcpus: 1
    disk: 1

- name: A private flavor with a fixed id and an extra spec
  openstack.cloud.compute_flavor:
    auth: *admin
    name: m1.pinned
    flavorid: "100"
    ram: 2048
    vcpus: 2
    disk: 10
    is_public: false
    extra_specs:
      "hw:cpu_policy": dedicated
`,
  },
  aliases: ['openstack.cloud.compute_flavor'],
  schema: schema as never,
  async plan(ctx, a) {
    const wantId = a.flavorid === 'auto' ? undefined : a.flavorid;
    if (a.state === 'present' && (a.ram === undefined || a.vcpus === undefined || a.disk === undefined)) {
      throw new ModuleError('state is present but any of the following are missing: ram, vcpus, disk');
    }
    return planWithClient<Data>(ctx, a, `flavor ${a.name}`, async (c) => {
      const headers = MICROVERSION;
      let found: ApiFlavor | undefined;
      if (wantId !== undefined) {
        const res = await c.call('compute', 'GET', `/flavors/${encodeURIComponent(wantId)}`, { headers });
        if (res.status === 200) found = (JSON.parse(res.body) as { flavor: ApiFlavor }).flavor;
        else if (res.status !== 404) throw new ModuleError(`GET compute /flavors/${wantId}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
      }
      if (!found) {
        const list = (await c.json<{ flavors: ApiFlavor[] }>('compute', 'GET', '/flavors/detail?is_public=None', { headers })).flavors.filter((f) => f.name === a.name);
        if (list.length > 1) throw new ModuleError(`${list.length} flavors are named ${a.name}: give flavorid`);
        if (list[0] && wantId !== undefined) {
          if (a.state === 'absent') return { changes: [], result: { flavor: null } };
          throw new ModuleError(`flavor ${a.name} exists with id ${list[0].id}, not ${wantId}: a flavor's id cannot change; delete it first`);
        }
        found = list[0];
      }
      const f = found ? toFlavor(found) : undefined;
      if (a.state === 'absent') {
        return f ? { changes: [{ summary: `delete flavor ${f.name} (${f.id})` }], data: { existing: f, delete: true, unsetSpecs: [] } } : { changes: [], result: { flavor: null } };
      }
      const specs = a.extra_specs ? extraSpecUpdates({}, a.extra_specs).set : undefined;
      const specChanges = (s: Record<string, string> | undefined): Change[] => Object.entries(s ?? {}).map(([k, v]) => ({ summary: `flavor ${a.name}: extra spec ${k}=${v}` }));
      if (!f) {
        const create = createBody(a, wantId);
        return {
          changes: [{ summary: `create flavor ${a.name} (${a.ram} MB RAM, ${a.vcpus} vCPU, ${a.disk} GB disk)` }, ...specChanges(specs)],
          data: { create, setSpecs: specs, unsetSpecs: [] },
        };
      }
      const diffs = attributeDiffs(f, a);
      if (diffs.length) {
        // Flavors cannot change: delete and create again (with the same id only when one is asked for).
        // Without extra_specs the old flavor's carry over.
        const again = specs ?? (Object.keys(f.extra_specs).length ? f.extra_specs : undefined);
        return {
          changes: [{ summary: `re-create flavor ${a.name} (flavors cannot change): ${diffs.join(', ')}` }, ...specChanges(specs)],
          data: { existing: f, delete: true, create: createBody(a, wantId), setSpecs: again, unsetSpecs: [] },
        };
      }
      const u = extraSpecUpdates(f.extra_specs, a.extra_specs);
      const changes: Change[] = [
        ...u.unset.map((k) => ({ summary: `flavor ${a.name}: remove extra spec ${k}` })),
        ...Object.entries(u.set ?? {}).filter(([k, v]) => f.extra_specs[k] !== v).map(([k, v]) => ({ summary: `flavor ${a.name}: extra spec ${k}=${v}` })),
      ];
      if (changes.length === 0) return { changes: [], result: { flavor: f, id: f.id } };
      return { changes, data: { existing: f, setSpecs: u.set, unsetSpecs: u.unset } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    const headers = MICROVERSION;
    let f = d.existing;
    if (d.delete) {
      await c.json('compute', 'DELETE', `/flavors/${encodeURIComponent(f!.id)}`, { headers });
      if (!d.create) return { changed: true, flavor: null };
    }
    if (d.create) f = toFlavor((await c.json<{ flavor: ApiFlavor }>('compute', 'POST', '/flavors', { headers, json: { flavor: d.create } })).flavor);
    const base = `/flavors/${encodeURIComponent(f!.id)}/os-extra_specs`;
    const specs = { ...f!.extra_specs };
    for (const k of d.unsetSpecs) {
      await c.json('compute', 'DELETE', `${base}/${encodeURIComponent(k)}`, { headers });
      delete specs[k];
    }
    if (d.setSpecs && Object.keys(d.setSpecs).length) {
      const r = await c.json<{ extra_specs: Record<string, string> }>('compute', 'POST', base, { headers, json: { extra_specs: d.setSpecs } });
      Object.assign(specs, r.extra_specs);
    }
    const flavor = { ...f!, extra_specs: specs };
    return { changed: true, flavor, id: flavor.id };
  },
};

registerModule(osNovaFlavorModule);
