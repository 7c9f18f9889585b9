import { posix } from 'node:path';
import { type FileQuery, type FileState } from '../../facts/file-state.js';
import { InputError, ModuleError } from '../../util/errors.js';
import type { Plan, TaskContext } from '../types.js';
import { MAX_DIFF_BYTES } from './file-diff.js';
import { planContent, type ContentPlanData, type WriteOptions } from './managed-file.js';
import { fileStatesFact } from '../../facts/files.js';

/**
 * Where copy and template put their content: dest may be a file, an existing
 * directory (dest/basename(src)) or a path ending in '/' (a directory created
 * on demand). All candidate paths are read in one round trip.
 */

export interface PlaceArgs extends WriteOptions {
  dest: string;
  /** Basename used when dest is a directory (undefined for copy content:). */
  srcName?: string;
  content: Buffer;
  force?: boolean;
  /** Follow a symlink at dest and write its target (default: replace the link). */
  follow?: boolean;
  /** What each directory created for a dest ending in '/' gets (copy: directory_mode, owner, group). */
  mkdirAttrs?: { chmod?: string; chown?: string };
}

/** Pure part: pick the destination from the fetched states and plan the write. */
export function decidePlacement(a: PlaceArgs, states: { dest: FileState; inDir?: FileState; parent: FileState }): Plan<ContentPlanData> {
  let target = a.dest;
  let state = states.dest;
  let mkdir: string | undefined;
  const slash = a.dest.endsWith('/');
  if (slash || (state.exists && state.type === 'directory')) {
    if (!a.srcName) throw new InputError(`dest ${a.dest} is a directory: content needs a file name in dest`);
    target = posix.join(a.dest, a.srcName);
    state = states.inDir!;
    if (slash && !states.dest.exists) mkdir = a.dest.replace(/\/+$/, '') || '/';
  } else if (!states.parent.exists) {
    throw new ModuleError(`destination directory ${posix.dirname(a.dest)} does not exist`);
  } else if (states.parent.type !== 'directory') {
    throw new ModuleError(`destination ${posix.dirname(a.dest)} is not a directory`);
  }
  if (a.follow && state.exists && state.realPath) target = state.realPath;
  if (state.exists && state.type === 'directory') throw new ModuleError(`${target} is a directory, cannot replace it with a file`);
  const { changes, data } = planContent({ ...a, dest: target, state, mkdir });
  return changes.length ? { changes, data } : { changes, data, result: { changed: false, ...data.result } };
}

/** What planPlacement reads: dest, its parent and dest/srcName (with --diff, their content too). */
export function placementQueries(a: Pick<PlaceArgs, 'dest' | 'srcName' | 'follow'>, diff: boolean): FileQuery[] {
  const content = diff ? MAX_DIFF_BYTES : undefined;
  const q = (path: string): FileQuery => ({ path, follow: a.follow, checksum: 'sha256', contentMaxBytes: content });
  const queries: FileQuery[] = [q(a.dest), { path: posix.dirname(a.dest.replace(/\/+$/, '')) || '/', checksum: false }];
  if (a.srcName) queries.push(q(posix.join(a.dest, a.srcName)));
  return queries;
}

/** Read dest, dest/srcName and dest's parent in one command, then decide. */
export async function planPlacement(ctx: TaskContext, a: PlaceArgs): Promise<Plan<ContentPlanData>> {
  const [dest, parent, inDir] = await ctx.fact(fileStatesFact, { queries: placementQueries(a, ctx.diff) });
  // Check mode: a missing directory may be created by an earlier task of this run (one that predicted a change).
  if (ctx.check && ctx.earlierChangesPredicted && !parent!.exists && !a.dest.endsWith('/')) {
    return { changes: [{ summary: `create ${a.dest} (its directory does not exist yet: an earlier task must create it)` }] };
  }
  return decidePlacement(a, { dest: dest!, parent: parent!, inDir });
}
