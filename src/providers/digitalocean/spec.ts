import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YNode } from 'yaml';
import { z } from 'zod';
import { InputError, InputErrors } from '../../util/errors.js';
import { readInputFile } from '../../util/local-files.js';
import type { SourcePos } from '../../util/source.js';

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
 * (Parsed as YAML 1.2 by the `yaml` library; validation errors point at file:line:col.
 * The playbook layer's positioned loader sits above providers, so this file
 * keeps its own small position lookup.)
 */

/** Tags: letters, numbers, colons, dashes and underscores, at most 255 (DigitalOcean's rule). */
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
/** Droplet names become hostnames: letters, digits, dots and dashes. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;
const SPEC_NAME = /^[A-Za-z0-9_-]{1,64}$/;
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
  return parseDropletSpec(readInputFile(abs, file, 'droplet spec'), abs);
}

export function parseDropletSpec(text: string, file: string): DropletSpec {
  const abs = path.resolve(file);
  const display = displayPath(abs);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const at = (offset: number): SourcePos => {
    const p = lc.linePos(offset);
    return { file: display, line: p.line, col: p.col };
  };
  const top: SourcePos = { file: display, line: 1, col: 1 };
  const firstErr = doc.errors[0];
  if (firstErr) {
    throw new InputError(`YAML syntax error: ${firstErr.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, firstErr.linePos ? { file: display, line: firstErr.linePos[0].line, col: firstErr.linePos[0].col } : at(firstErr.pos[0]));
  }
  const value: unknown = doc.toJS();
  const parsed = dropletSpecSchema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const where = keys.length ? keyPos(doc, issue.path, keys[0]!, at) : nodePos(doc, issue.path, at);
      const what = keys.length ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
      const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return new InputError(`droplet spec: ${field}${what}`, where ?? top, keys.length ? `known keys: ${knownKeys(issue.path).join(', ')}` : undefined);
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
    const pos = nodePos(doc, ['droplets', i, 'name'], at) ?? top;
    const get = <K extends keyof typeof dropletSettings>(k: K) => (e[k] !== undefined ? e[k] : s[k]);
    const need = (k: 'region' | 'size' | 'image') => {
      const v = get(k);
      if (v === undefined) throw new InputError(`droplet spec: droplet "${e.name}" has no ${k}`, nodePos(doc, ['droplets', i], at) ?? top, `set ${k}: at the top of the spec or on the droplet`);
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
        throw new InputError(`droplet spec: cannot read user_data_file ${udFile}: ${(err as Error).message}`, nodePos(doc, e.user_data_file !== undefined ? ['droplets', i, 'user_data_file'] : ['user_data_file'], at) ?? pos);
      }
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

function nodeAt(doc: Document, p: ReadonlyArray<PropertyKey>): YNode | undefined {
  let node: unknown = doc.contents;
  let best: YNode | undefined = node as YNode | undefined;
  for (const k of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(k));
      node = pair?.value ?? undefined;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k];
    } else node = undefined;
    if (!node) break;
    best = node as YNode;
  }
  return best;
}

function nodePos(doc: Document, p: ReadonlyArray<PropertyKey>, at: (o: number) => SourcePos): SourcePos | undefined {
  const n = nodeAt(doc, p);
  return n?.range ? at(n.range[0]) : undefined;
}

function keyPos(doc: Document, p: ReadonlyArray<PropertyKey>, key: string, at: (o: number) => SourcePos): SourcePos | undefined {
  const n = nodeAt(doc, p);
  if (isMap(n)) {
    const pair = n.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
    const k = pair?.key as YNode | undefined;
    if (k?.range) return at(k.range[0]);
  }
  return n?.range ? at(n.range[0]) : undefined;
}

function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}
