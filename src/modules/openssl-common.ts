/**
 * What the openssl_* and openssh_keypair modules share: read every file a
 * task needs from the target in one round trip, write results atomically
 * (content on stdin, never in argv), keep private keys out of every output.
 * Key and certificate generation happens on the controller (src/pki); only
 * files travel.
 */
import { z } from 'zod';
import type { FileState } from '../facts/file-state.js';
import { fileStatesFact } from '../facts/files.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { attrArgs, bool, idString } from './common/args.js';
import { atomicWrite } from './common/atomic-write.js';
import { attrCommands, planAttrs, type AttrPlan } from './common/file-attrs.js';
import type { Change, ModuleResult, Plan, TaskContext } from './types.js';

/** PEM files are small; anything larger is not what we are looking for. */
const MAX_BYTES = 1024 * 1024;

export async function readTargetFiles(ctx: TaskContext, paths: readonly string[]): Promise<Map<string, FileState>> {
  const unique = [...new Set(paths)];
  const states = await ctx.fact(fileStatesFact, { queries: unique.map((path) => ({ path, follow: true, checksum: false as const, contentMaxBytes: MAX_BYTES })) });
  return new Map(unique.map((p, i) => [p, states[i]!]));
}

/** The bytes of an existing regular file (PEM or DER), or undefined when absent. Errors name the path. */
export function bytesOf(state: FileState | undefined, what: string): Buffer | undefined {
  if (!state || !state.exists) return undefined;
  if (state.type !== 'file') throw new ModuleError(`${what} ${state.path} is a ${state.type}, not a file`);
  if (state.contentTooLarge) throw new ModuleError(`${what} ${state.path} is larger than ${MAX_BYTES} bytes: not a PEM or DER file`);
  return state.content ?? Buffer.alloc(0);
}

/** The text of an existing regular file, or undefined when absent. Errors name the path. */
export function textOf(state: FileState | undefined, what: string): string | undefined {
  return bytesOf(state, what)?.toString('utf8');
}

/** mode/owner/group as the modules' arguments give them. */
export interface Attrs {
  mode?: string | number;
  owner?: string | number;
  group?: string | number;
}

export const stateArg = z.enum(['present', 'absent']).default('present');

/** The arguments every module here takes: force (regenerate), state, and the file's attributes. */
export const managedFileArgs = {
  force: bool.default(false).describe('Regenerate even when the existing one matches.'),
  state: stateArg.describe('Whether the file should exist (present) or be removed (absent).'),
  ...attrArgs,
};

/** Accepted so community.crypto playbooks run unchanged; drover has one backend. */
export const selectCryptoBackendArg = z.string().optional().describe('Accepted for compatibility; ignored.');

/** Attribute changes for a file whose content stays. */
export function planKeptFile(state: FileState, attrs: Attrs): AttrPlan {
  return planAttrs(state, { mode: attrs.mode, owner: idString(attrs.owner), group: idString(attrs.group) }, state.path);
}

/** The plan for a file whose content stays: only its attributes may change. */
export function keptFilePlan(state: FileState, attrs: Attrs, result: Record<string, unknown>): Plan<FilePlanData<'attrs'>> {
  const plan = planKeptFile(state, attrs);
  return { changes: plan.changes, data: { action: 'attrs', attrs: plan }, result };
}

export interface FileWrite extends Attrs {
  path: string;
  content: string | Buffer;
  /** Default: keep an existing file's mode; 0600 for secrets. */
  mode?: string | number;
  /** Keep a timestamped copy of the old file (Ansible's backup). */
  backup?: boolean;
}

function modeString(m: string | number | undefined): string | undefined {
  if (m === undefined) return undefined;
  return typeof m === 'number' ? m.toString(8).padStart(4, '0') : m;
}

/** Returns the backup's path when one was made. */
export async function writeTargetFile(ctx: TaskContext, w: FileWrite): Promise<string | undefined> {
  const r = await atomicWrite((c, o) => ctx.exec(c, o), { dest: w.path, content: w.content, mode: modeString(w.mode), owner: idString(w.owner), group: idString(w.group), backup: w.backup });
  return r.backupFile;
}

export async function applyAttrPlan(ctx: TaskContext, path: string, p: AttrPlan | undefined): Promise<void> {
  if (!p) return;
  for (const cmd of attrCommands(path, p, shq)) await ctx.run(cmd);
}

export async function removeTargetFiles(ctx: TaskContext, paths: readonly string[]): Promise<void> {
  await ctx.run(`rm -f -- ${paths.map(shq).join(' ')}`);
}

export function removalChanges(states: Map<string, FileState>, paths: readonly string[]): Change[] {
  return paths.filter((p) => states.get(p)?.exists).map((p) => ({ summary: `remove ${p}` }));
}

/** What a plan hands to apply: the action (remove the file, or the module's own: attrs, generate …) and attribute changes. */
export interface FilePlanData<Action extends string = string> {
  action: Action | 'remove';
  attrs?: AttrPlan;
}

/**
 * The apply steps the key, CSR and certificate modules share: remove the file
 * (state absent), or fix only its mode/owner/group. Undefined when the plan
 * is to (re)generate, which each module does its own way.
 */
export async function applyRemoveOrAttrs(
  ctx: TaskContext,
  path: string,
  plan: Plan<FilePlanData>,
): Promise<ModuleResult | undefined> {
  const d = plan.data!;
  if (d.action === 'remove') {
    await removeTargetFiles(ctx, [path]);
    return { changed: true, filename: path };
  }
  if (d.action === 'attrs') {
    await applyAttrPlan(ctx, path, d.attrs);
    return { changed: true, ...plan.result };
  }
  return undefined;
}
