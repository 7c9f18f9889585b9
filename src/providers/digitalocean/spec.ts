import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InputError, InputErrors } from '../../util/errors.js';
import { readTextFile } from '../../util/text-input.js';
import { keyPosOf, posAtPath } from '../../util/source-positions.js';
import type { SourcePos } from '../../util/source.js';
import { parseYaml } from '../../util/yaml.js';

/**
 * A droplet spec (`droplets.yaml`): which droplets a project wants, in
 * DigitalOcean's own terms. Top-level settings are defaults; each entry under
 * `droplets:` names one droplet, or several with a `{n}` pattern and `count`.
 *
 *   name: openstack-lab            # the spec's name: droplets carry tag drover:openstack-lab
 *   region: fra1
 *   size: s-8vcpu-16gb
 *   image: debian-12-x64
 *   ssh_keys: [my-laptop, {public_key_file: ~/.ssh/id_ed25519.pub}]
 *   droplets:
 *     - name: lab-host
 *       tags: [lab_hosts]
 *     - name: compute{n}
 *       count: 2
 *
 * (Read by the one YAML reader, as Ansible reads YAML; validation errors point
 * at file:line:col.)
 */

/** Tags: letters, numbers, colons, dashes and underscores, at most 255 (DigitalOcean's rule). */
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
/** Droplet names become hostnames: letters, digits, dots and dashes. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;
const SPEC_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** droplet_create.yml, user_data: "may not exceed 64 KiB in size". */
export const USER_DATA_MAX_BYTES = 64 * 1024;
export const MD5_FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i;

const sshKeyRef = z.union([
  z.number().int().positive(),
  z.string().min(1),
  z.strictObject({ public_key_file: z.string().min(1), name: z.string().min(1).optional() }),
]);

const tag = z.string().regex(TAG, 'a tag: letters, numbers, colons, dashes and underscores (max 255)');
const varValue = z.union([z.string(), z.number(), z.boolean()]);

/** Settings a droplet entry may override. */
const dropletSettings = {
  region: z.string().min(1).optional(),
  size: z.string().min(1).optional(),
  image: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  ssh_keys: z.array(sshKeyRef).optional(),
  tags: z.array(tag).optional(),
  user_data: z.string().optional(),
  user_data_file: z.string().min(1).optional(),
  vpc_uuid: z.string().min(1).optional(),
  monitoring: z.boolean().optional(),
  ipv6: z.boolean().optional(),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), varValue).optional(),
};

const dropletEntry = z.strictObject({
  name: z.string().min(1),
  count: z.number().int().min(1).max(100).optional(),
  start: z.number().int().min(0).optional(),
  ...dropletSettings,
});

export const dropletSpecSchema = z.strictObject({
  name: z.string().regex(SPEC_NAME, 'a spec name: letters, digits, dashes and underscores (it becomes the tag drover:NAME)'),
  ...dropletSettings,
  ssh_user: z.string().min(1).optional(),
  ssh_private_key_file: z.string().min(1).optional(),
  inventory: z.string().min(1).optional(),
  droplets: z.array(dropletEntry).min(1),
});

export type DropletSpecInput = z.infer<typeof dropletSpecSchema>;
export type SshKeyRef = z.infer<typeof sshKeyRef>;

/** One droplet the spec asks for, with every default applied. */
export interface DesiredDroplet {
  name: string;
  region: string;
  size: string;
  image: string | number;
  sshKeys: SshKeyRef[];
  /** The user's tags plus the ownership tag. */
  tags: string[];
  userData?: string;
  vpcUuid?: string;
  monitoring: boolean;
  ipv6: boolean;
  vars: Record<string, string | number | boolean>;
  pos: SourcePos;
}

export interface DropletSpec {
  /** Absolute path of the spec file. */
  file: string;
  name: string;
  /** Tag that marks droplets as this spec's: drover:<name>. */
  ownershipTag: string;
  sshUser: string;
  sshPrivateKeyFile?: string;
  /** Where `droplet up` writes the inventory: beside the spec unless it says otherwise. */
  inventoryFile: string;
  droplets: DesiredDroplet[];
}

export function ownershipTagFor(specName: string): string {
  return `drover:${specName}`;
}

/** Read, validate and expand a spec file. Bad input is an InputError at file:line:col. */
export function loadDropletSpec(file: string): DropletSpec {
  const abs = path.resolve(file);
  return parseDropletSpec(readTextFile(abs, file, 'droplet spec'), abs);
}

export function parseDropletSpec(text: string, file: string): DropletSpec {
  const y = parseYaml(text, file);
  const abs = y.path;
  const value = y.value;
  const top: SourcePos = { file: y.display, line: 1, col: 1 };
  const at = (p: ReadonlyArray<PropertyKey>): SourcePos => posAtPath(value, p, top);
  const parsed = dropletSpecSchema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const where = keys.length ? (keyPosOf(valueAt(value, issue.path), keys[0]!) ?? at(issue.path)) : at(issue.path);
      const what = keys.length ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
      const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return new InputError(`droplet spec: ${field}${what}`, where, keys.length ? `known keys: ${knownKeys(issue.path).join(', ')}` : undefined);
    });
    if (errors.length === 1) throw errors[0]!;
    throw new InputErrors(errors);
  }
  const s = parsed.data;
  const base = path.dirname(abs);
  const ownershipTag = ownershipTagFor(s.name);
  const droplets: DesiredDroplet[] = [];
  const seen = new Map<string, SourcePos>();
  s.droplets.forEach((e, i) => {
    const pos = at(['droplets', i, 'name']);
    const get = <K extends keyof typeof dropletSettings>(k: K) => (e[k] !== undefined ? e[k] : s[k]);
    const need = (k: 'region' | 'size' | 'image') => {
      const v = get(k);
      if (v === undefined) throw new InputError(`droplet spec: droplet "${e.name}" has no ${k}`, at(['droplets', i]), `set ${k}: at the top of the spec or on the droplet`);
      return v;
    };
    const count = e.count ?? 1;
    if (count > 1 && !e.name.includes('{n}')) {
      throw new InputError(`droplet spec: "${e.name}" has count ${count} but no {n} in its name`, pos, 'write a pattern such as compute{n}');
    }
    let userData = get('user_data');
    const udFile = get('user_data_file');
    if (userData !== undefined && udFile !== undefined) throw new InputError('droplet spec: user_data and user_data_file both set', pos, 'keep one');
    if (udFile !== undefined) {
      try {
        userData = readFileSync(resolvePath(udFile, base), 'utf8');
      } catch (err) {
        throw new InputError(`droplet spec: cannot read user_data_file ${udFile}: ${(err as Error).message}`, at(e.user_data_file !== undefined ? ['droplets', i, 'user_data_file'] : ['user_data_file']));
      }
    }
    if (userData !== undefined && Buffer.byteLength(userData, 'utf8') > USER_DATA_MAX_BYTES) {
      const where = e.user_data_file !== undefined ? ['droplets', i, 'user_data_file'] : e.user_data !== undefined ? ['droplets', i, 'user_data'] : s.user_data_file !== undefined ? ['user_data_file'] : ['user_data'];
      throw new InputError(`droplet spec: user_data of "${e.name}" is ${Buffer.byteLength(userData, 'utf8')} bytes; DigitalOcean takes at most 64 KiB (${USER_DATA_MAX_BYTES} bytes)`, at(where));
    }
    const tags = [...new Set([...(s.tags ?? []), ...(e.tags ?? []), ownershipTag])];
    for (let k = 0; k < count; k++) {
      const n = (e.start ?? 1) + k;
      const name = e.name.replaceAll('{n}', String(n));
      if (!HOSTNAME.test(name)) throw new InputError(`droplet spec: "${name}" is not a valid droplet name`, pos, 'letters, digits, dots and dashes; it becomes the hostname');
      const prev = seen.get(name);
      if (prev) throw new InputError(`droplet spec: droplet "${name}" is named twice`, pos, `first at line ${prev.line}`);
      seen.set(name, pos);
      droplets.push({
        name,
        region: need('region') as string,
        size: need('size') as string,
        image: need('image') as string | number,
        sshKeys: get('ssh_keys') ?? [],
        tags,
        userData,
        vpcUuid: get('vpc_uuid'),
        monitoring: get('monitoring') ?? false,
        ipv6: get('ipv6') ?? false,
        vars: { ...(s.vars ?? {}), ...(e.vars ?? {}) },
        pos,
      });
    }
  });
  return {
    file: abs,
    name: s.name,
    ownershipTag,
    sshUser: s.ssh_user ?? 'root',
    sshPrivateKeyFile: s.ssh_private_key_file,
    inventoryFile: s.inventory ? resolvePath(s.inventory, base) : path.join(base, path.basename(abs).replace(/\.ya?ml$/i, '') + '.ini'),
    droplets,
  };
}

/** `~/x` is the home directory's, relative paths are relative to the spec. */
export function resolvePath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(base, p);
}

function knownKeys(p: ReadonlyArray<PropertyKey>): string[] {
  const shape = p.length === 0 ? dropletSpecSchema.shape : p[0] === 'droplets' && p.length === 2 ? dropletEntry.shape : { public_key_file: 1, name: 1 };
  return Object.keys(shape);
}

/** The value at a path of keys and indexes, if there is one. */
function valueAt(root: unknown, p: ReadonlyArray<PropertyKey>): unknown {
  let cur = root;
  for (const k of p) {
    if (!cur || typeof cur !== 'object' || typeof k === 'symbol') return undefined;
    cur = (cur as Record<string | number, unknown>)[k as string | number];
  }
  return cur;
}
