import type { FileState } from '../../facts/file-state.js';
import { digestHex } from '../../util/digest.js';
import { ModuleError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import type { Change, ModuleResult, Plan, TaskContext } from '../types.js';
import { idString } from './args.js';
import { atomicWrite } from './atomic-write.js';
import { attrCommands, chmodArg, parseMode, planAttrs } from './file-attrs.js';
import { contentDiff, humanSize } from './file-diff.js';
import { formatMode } from '../../facts/file-state.js';
import { mkdirStepsCommand } from './mkdir-steps.js';

/**
 * The part copy, template, lineinfile and ini_file share: given the current
 * state of the destination and the wanted content and attributes, plan the
 * changes (pure), then apply exactly that plan (one atomic write, or only
 * chown/chmod when the content is already right).
 */

/** How a managed file is written: its attributes and the write's options. */
export interface WriteOptions {
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  validate?: string;
  unsafeWrites?: boolean;
}

/** WriteOptions from a module's arguments, spelled as Ansible spells them. */
export function writeOptions(a: {
  mode?: string | number;
  owner?: string | number;
  group?: string | number;
  backup?: boolean;
  validate?: string;
  unsafe_writes?: boolean;
}): WriteOptions {
  return { mode: a.mode, owner: idString(a.owner), group: idString(a.group), backup: a.backup, validate: a.validate, unsafeWrites: a.unsafe_writes };
}

export interface ContentWant extends WriteOptions {
  dest: string;
  /** Current state of dest: queried with checksum sha256 (and content, for diffs). */
  state: FileState;
  content: Buffer;
  /** false: an existing dest is left alone entirely (copy force: no). Default true. */
  force?: boolean;
  /** Directory to create before writing (copy to `dir/` that does not exist). */
  mkdir?: string;
  /** Attributes each directory created for `mkdir` gets (copy's directory_mode, owner, group), as chmod/chown arguments. */
  mkdirAttrs?: { chmod?: string; chown?: string };
}

export interface ContentPlanData {
  dest: string;
  mkdir?: string;
  mkdirAttrs?: { chmod?: string; chown?: string };
  write?: { content: Buffer; mode?: string; owner?: string; group?: string; backup?: boolean; validate?: string; unsafeWrites?: boolean };
  attrs?: { chmod?: string; chown?: string };
  /** Values registered whether or not apply runs. */
  result: Record<string, unknown>;
}

export function sha256(buf: Buffer): string {
  return digestHex(buf, 'sha256');
}

function summaryWithDiff(summary: string, path: string, before: Buffer | undefined, after: Buffer, beforeKnown: boolean): Change {
  if (!beforeKnown) return { summary };
  const d = contentDiff(path, before, after);
  return d.diff ? { summary, diff: d.diff } : { summary: `${summary} (${d.note})` };
}

/** Plan writing `content` (with attributes) to dest. Pure. */
export function planContent(w: ContentWant): { changes: Change[]; data: ContentPlanData } {
  const { dest, state, content } = w;
  const result: Record<string, unknown> = { dest, checksum: digestHex(content, 'sha1'), size: content.length };
  const data: ContentPlanData = { dest, result };
  const changes: Change[] = [];

  if (state.exists && state.type === 'directory') throw new ModuleError(`${dest} is a directory, not a file`);
  if (state.exists && w.force === false) {
    result.msg = 'file already exists (force: no)';
    return { changes, data };
  }

  const spec = w.mode !== undefined ? parseMode(w.mode) : undefined;
  if (state.exists && state.type === 'file' && state.checksum === sha256(content)) {
    // Content already right: only attributes may change.
    const a = planAttrs(state, { mode: w.mode, owner: w.owner, group: w.group }, dest);
    changes.push(...a.changes);
    if (a.chmod || a.chown) data.attrs = { chmod: a.chmod, chown: a.chown };
    Object.assign(result, { mode: a.mode, owner: w.owner ?? state.owner, group: w.group ?? state.group });
    return { changes, data };
  }

  if (w.mkdir) changes.push({ summary: `create directory ${w.mkdir}${w.mkdirAttrs?.chmod ? ` (mode ${w.mkdirAttrs.chmod})` : ''}` });
  const isFile = state.exists && state.type === 'file';
  const before = isFile ? state.content : undefined;
  const beforeKnown = !state.exists || (isFile && state.content !== undefined);
  if (!state.exists) {
    changes.push(summaryWithDiff(`create ${dest} (${humanSize(content.length)})`, dest, undefined, content, true));
  } else if (!isFile) {
    changes.push({ summary: `replace ${state.type} ${dest} with a file (${humanSize(content.length)})` });
  } else {
    const sizes = `${humanSize(state.size ?? 0)} -> ${humanSize(content.length)}`;
    changes.push(summaryWithDiff(`update ${dest} (${sizes})`, dest, before, content, beforeKnown));
  }

  let mode: string | undefined;
  if (spec) {
    if (state.exists && isFile) {
      // Existing file: compute the resulting mode, so the summary is exact.
      const a = planAttrs(state, { mode: w.mode, owner: w.owner, group: w.group }, dest);
      changes.push(...a.changes);
      mode = a.mode;
    } else {
      mode = spec.kind === 'absolute' ? formatMode(spec.bits) : chmodArg(spec);
    }
  } else if (state.exists && isFile) {
    const a = planAttrs(state, { owner: w.owner, group: w.group }, dest);
    changes.push(...a.changes);
  }
  if (!state.exists && (w.owner !== undefined || w.group !== undefined)) {
    changes.push({ summary: `${dest}: owner ${w.owner ?? '(default)'}, group ${w.group ?? '(default)'}` });
  }
  data.mkdir = w.mkdir;
  if (w.mkdir && (w.mkdirAttrs?.chmod || w.mkdirAttrs?.chown)) data.mkdirAttrs = w.mkdirAttrs;
  data.write = { content, mode, owner: w.owner, group: w.group, backup: w.backup, validate: w.validate, unsafeWrites: w.unsafeWrites };
  Object.assign(result, { mode: mode ?? state.mode, owner: w.owner ?? state.owner, group: w.group ?? state.group });
  return { changes, data };
}

/** Apply a content plan; returns what the task registers. */
export async function applyContent(ctx: TaskContext, data: ContentPlanData): Promise<ModuleResult> {
  const result: ModuleResult = { changed: true, ...data.result };
  if (ctx.check) return { ...result, changed: false, msg: 'check mode: nothing written' };
  if (data.mkdir && data.mkdirAttrs) {
    // As Ansible's makedirs + adjust_recursive_directory_permissions: each directory created on the way gets the attributes.
    const parts = data.mkdir.split('/').filter(Boolean);
    const steps = parts.map((_, i) => (data.mkdir!.startsWith('/') ? '/' : '') + parts.slice(0, i + 1).join('/'));
    const { chmod, chown } = data.mkdirAttrs;
    const attrs = [...(chown ? [`chown -- ${shq(chown)} "$d"`] : []), ...(chmod ? [`chmod -- ${shq(chmod)} "$d"`] : [])];
    await ctx.run(mkdirStepsCommand(steps.map(shq), attrs));
  } else if (data.mkdir) await ctx.run(`mkdir -p -- ${shq(data.mkdir)}`);
  if (data.write) {
    const w = data.write;
    const r = await atomicWrite(ctx.exec.bind(ctx), { dest: data.dest, content: w.content, mode: w.mode, owner: w.owner, group: w.group, backup: w.backup, validate: w.validate, unsafeWrites: w.unsafeWrites });
    if (r.backupFile) result.backup_file = r.backupFile;
  }
  if (data.attrs) {
    const cmds = attrCommands(data.dest, data.attrs, shq);
    if (cmds.length) await ctx.run(cmds.join(' && '));
  }
  return result;
}

/** `apply` of a module whose plan is a content plan and whose result is applyContent's. */
export function applyContentPlan(ctx: TaskContext, _args: unknown, plan: Plan<ContentPlanData>): Promise<ModuleResult> {
  return applyContent(ctx, plan.data!);
}
