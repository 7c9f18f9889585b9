import { posix } from 'node:path';
import { type FileQuery, type FileState } from '../../facts/file-state.js';
import { ModuleError } from '../../util/errors.js';
import type { Plan, TaskContext } from '../types.js';
import { planContent, type ContentPlanData, type WriteOptions } from './managed-file.js';
import { fileStatesFact } from '../../facts/files.js';

/**
 * In-place text edits (lineinfile, ini_file): fetch the file's content and
 * its parent directory in one round trip, run a pure edit function, then
 * plan the write like copy does (atomic, owner/mode, backup, validate).
 */

export interface EditOutcome {
  text: string;
  msg: string;
}

export interface TextEditArgs extends WriteOptions {
  path: string;
  /** Write to a symlink's target instead of replacing the link with a file. */
  follow: boolean;
  /** Create the file (and its parent directories) when missing. */
  create: boolean;
  /** The file is missing and must stay missing (e.g. state absent): no edit. */
  skipWhenMissing: boolean;
  /** Message when the file is missing and create is false. */
  missingMessage: string;
}

/** Bytes -> text without losing anything: UTF-8 when it round-trips, else latin1. */
export function decodeText(buf: Buffer): { text: string; encoding: BufferEncoding } {
  const hit = decoded.get(buf);
  if (hit) return hit;
  const utf = buf.toString('utf8');
  const out: { text: string; encoding: BufferEncoding } = Buffer.from(utf, 'utf8').equals(buf) ? { text: utf, encoding: 'utf8' } : { text: buf.toString('latin1'), encoding: 'latin1' };
  decoded.set(buf, out);
  return out;
}
/** A loop's items edit the same content read once: it is decoded once. */
const decoded = new WeakMap<Buffer, { text: string; encoding: BufferEncoding }>();

/** Pure: from the fetched states and the edit function, the plan. */
export function decideTextEdit(
  a: TextEditArgs,
  file: FileState,
  parent: FileState,
  edit: (text: string) => EditOutcome,
): Plan<ContentPlanData> {
  const target = a.follow && file.exists && file.realPath ? file.realPath : a.path;
  if (file.exists && file.type === 'directory') throw new ModuleError(`${a.path} is a directory`);
  let mkdir: string | undefined;
  if (!file.exists) {
    if (a.skipWhenMissing) {
      const result = { changed: false, msg: 'file not present', path: a.path };
      return { changes: [], result };
    }
    if (!a.create) throw new ModuleError(a.missingMessage);
    if (!parent.exists) mkdir = posix.dirname(a.path);
  }
  if (file.exists && file.type !== 'file') throw new ModuleError(`${a.path} is a ${file.type}, not a regular file`);
  if (file.exists && file.content === undefined) throw new ModuleError(`${a.path}: content was not fetched`);
  const { text, encoding } = file.exists ? decodeText(file.content!) : { text: '', encoding: 'utf8' as BufferEncoding };
  const out = edit(text);
  // Unchanged text is the very bytes read (BOM and line ends kept), whose digests are known.
  const content = file.exists && out.text === text ? file.content! : Buffer.from(out.text, encoding);
  const { changes, data } = planContent({
    dest: target,
    state: file,
    content,
    mode: a.mode,
    owner: a.owner,
    group: a.group,
    backup: a.backup,
    validate: a.validate,
    unsafeWrites: a.unsafeWrites,
    mkdir,
  });
  data.result.msg = changes.length ? out.msg || 'attributes changed' : '';
  data.result.path = a.path;
  delete data.result.dest;
  return changes.length ? { changes, data } : { changes, data, result: { changed: false, ...data.result } };
}

/** What planTextEdit reads: the file's content (always through a symlink: `follow` only decides where the write goes) and its parent. */
export function textEditQueries(path: string): FileQuery[] {
  return [
    { path, follow: true, checksum: 'sha256', contentMaxBytes: Number.MAX_SAFE_INTEGER },
    { path: posix.dirname(path), checksum: false },
  ];
}

export async function planTextEdit(ctx: TaskContext, a: TextEditArgs, edit: (text: string) => EditOutcome): Promise<Plan<ContentPlanData>> {
  const [file, parent] = await ctx.fact(fileStatesFact, { queries: textEditQueries(a.path) });
  // Check mode on a fresh host: the file may be created by an earlier task of this
  // run (a package install), so its absence is a predicted change — but only when
  // an earlier task did predict a change; otherwise the real run fails, and so does this.
  if (ctx.check && ctx.earlierChangesPredicted && !file!.exists) {
    // Removing lines from a file a package has yet to create: whether it will hold them is
    // known only once it is there.
    if (a.skipWhenMissing) return { changes: [], unknown: `${a.path} does not exist yet: whether an earlier task creates it with lines this one removes is known only then` };
    if (!a.create) return { changes: [{ summary: `edit ${a.path} (it does not exist yet: an earlier task must create it)` }] };
  }
  return decideTextEdit(a, file!, parent!, edit);
}
