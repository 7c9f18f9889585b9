/**
 * `copy` with a directory src, as Ansible's copy action plugin does it
 * (ansible-core 2.14, plugins/action/copy.py):
 *
 * - `src: dir` copies the tree to dest/dir/…, `src: dir/` copies the
 *   directory's contents into dest/; dest is a directory either way.
 * - Each file is placed as a single copy places it (`mode`, `owner`, `group`,
 *   `force`, `backup`, `validate` apply to it; `mode: preserve` is the source
 *   file's mode).
 * - Every directory created on the way (dest itself and its missing parents
 *   included) gets `directory_mode` (when given) and `owner`/`group`;
 *   directories of the source tree that already exist on the host get them
 *   too; other existing directories (dest, dest/dir) are left alone. `mode`
 *   never applies to directories.
 * - Symlinks in the source: with `local_follow` (the default) a link to a
 *   file is copied as a file and a link to a directory as a directory; a
 *   dangling link, a link back into the tree above it, and every link with
 *   `local_follow: false`, become the same link on the host.
 * - An empty source directory creates nothing; an empty subdirectory is
 *   created.
 *
 * The controller walk is here; planning is pure (from the `files` fact over
 * every path the tree touches, read in one round trip).
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, join, posix, sep } from 'node:path';
import type { FileQuery, FileState } from '../../facts/file-state.js';
import { ModuleError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import type { Change, ModuleResult, Plan, TaskContext } from '../types.js';
import { atomicWrite } from './atomic-write.js';
import { attrCommands, chmodArg, parseMode, planAttrs } from './file-attrs.js';
import { planContent, type ContentPlanData, type WriteOptions } from './managed-file.js';
import { fileStatesFact } from '../../facts/files.js';

/** What the source tree holds, by path relative to dest (Ansible's _walk_dirs). */
export interface SourceTree {
  /** Regular files (or links to them, with local_follow): the controller file to read. */
  files: { rel: string; abs: string }[];
  /** Directories below the top one. */
  dirs: string[];
  /** Links copied as links: the target as stored in the link. */
  links: { rel: string; target: string }[];
}

/**
 * Walk a controller directory. `trailingSlash` (the src as written ended in
 * '/'): paths relative to it; otherwise they start with its basename.
 * Entries are sorted by name, so plans and their order are stable.
 */
export function walkSourceTree(top: string, trailingSlash: boolean, localFollow: boolean): SourceTree {
  const tree: SourceTree = { files: [], dirs: [], links: [] };
  const topReal = realpathSync(top);
  const walk = (dir: string, rel: string, ancestors: string[]): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const l = lstatSync(abs);
      if (l.isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync(abs);
        } catch {
          real = undefined; // dangling
        }
        const st = real === undefined ? undefined : statSync(real);
        if (localFollow && real !== undefined && st!.isFile()) tree.files.push({ rel: r, abs: real });
        else if (localFollow && real !== undefined && st!.isDirectory() && !ancestors.some((a) => a === real || a.startsWith(real + sep))) {
          tree.dirs.push(r);
          walk(real, r, [...ancestors, real]);
        } else tree.links.push({ rel: r, target: readlinkSync(abs) });
      } else if (l.isDirectory()) {
        tree.dirs.push(r);
        walk(abs, r, [...ancestors, realpathSync(abs)]);
      } else tree.files.push({ rel: r, abs });
    }
  };
  walk(top, trailingSlash ? '' : basename(top.replace(/\/+$/, '')), [topReal]);
  return tree;
}

/** A source tree with the bytes (and mode) each file will have on the host. */
export interface TreeContent {
  files: { rel: string; content: Buffer; mode?: string | number; vaulted?: boolean }[];
  dirs: string[];
  links: { rel: string; target: string }[];
}

export interface TreeWant extends WriteOptions {
  /** dest as given (a '/' is implied). */
  dest: string;
  directoryMode?: string | number;
  force: boolean;
  /** follow a symlink at a file's dest (Ansible: only when the tree has no subdirectories). */
  follow: boolean;
  /** Ask for file contents (for diffs). */
  contentMaxBytes?: number;
}

export interface TreePlanData {
  kind: 'tree';
  /** Directories to create, parents first, with the attributes they get. */
  mkdirs: { path: string; chmod?: string; chown?: string }[];
  files: ContentPlanData[];
  /** Existing directories of the tree whose attributes change. */
  dirAttrs: { path: string; chmod?: string; chown?: string }[];
  /** relink: (re)create the link; chown: on the link itself. */
  links: { path: string; target: string; relink: boolean; chown?: string }[];
  result: Record<string, unknown>;
}

const destOf = (dest: string, rel: string) => posix.join(dest, rel);

/** Every directory from the root down that holds `path` (not '/', not path itself). */
function parentsOf(path: string): string[] {
  const out: string[] = [];
  let d = posix.dirname(path);
  while (d !== '/' && d !== '.' && d !== '') {
    out.unshift(d);
    d = posix.dirname(d);
  }
  return out;
}

/** The paths to read: every directory on the way, the tree's directories, files and links. */
export function treeQueries(w: TreeWant, tree: TreeContent): FileQuery[] {
  const dest = w.dest.replace(/\/+$/, '') || '/';
  const follow = w.follow && tree.dirs.length === 0;
  const seen = new Set<string>();
  const queries: FileQuery[] = [];
  const add = (q: FileQuery) => {
    if (seen.has(q.path)) return;
    seen.add(q.path);
    queries.push(q);
  };
  // Directories are read through a link (a link to a directory serves as one, as Ansible's makedirs and file module see it).
  const dir = (p: string) => add({ path: p, follow: true, checksum: false });
  for (const p of [...tree.files.map((f) => f.rel), ...tree.dirs, ...tree.links.map((l) => l.rel)]) parentsOf(destOf(dest, p)).forEach(dir);
  tree.dirs.forEach((d) => dir(destOf(dest, d)));
  tree.files.forEach((f) => add({ path: destOf(dest, f.rel), follow, checksum: 'sha256', contentMaxBytes: w.contentMaxBytes }));
  tree.links.forEach((l) => add({ path: destOf(dest, l.rel), checksum: false }));
  return queries;
}

function chownSpec(owner?: string, group?: string): string | undefined {
  return owner !== undefined || group !== undefined ? `${owner ?? ''}${group !== undefined ? ':' + group : ''}` : undefined;
}

/** Plan the tree from the states of treeQueries' paths. Pure. */
export function decideTree(w: TreeWant, tree: TreeContent, states: ReadonlyMap<string, FileState>, src: string): Plan<TreePlanData> {
  const dest = w.dest.replace(/\/+$/, '') || '/';
  const stateOf = (p: string): FileState => states.get(p) ?? { path: p, exists: false };
  const changes: Change[] = [];
  const result: Record<string, unknown> = { dest: `${dest.replace(/\/$/, '')}/`, src };
  const data: TreePlanData = { kind: 'tree', mkdirs: [], files: [], dirAttrs: [], links: [], result };
  const dirSpec = w.directoryMode !== undefined ? parseMode(w.directoryMode) : undefined;
  const created = new Set<string>();

  // Directories: every missing one on the way to an entry is created, with directory_mode, owner and group.
  const needDir = (p: string) => {
    if (created.has(p)) return;
    const st = stateOf(p);
    if (st.exists && st.type === 'directory') return;
    if (st.exists) throw new ModuleError(`${p} exists and is not a directory (${st.type}): cannot copy ${src} into it`);
    created.add(p);
    const chmod = dirSpec ? chmodArg(dirSpec) : undefined;
    const chown = chownSpec(w.owner, w.group);
    data.mkdirs.push({ path: p, chmod, chown });
    changes.push({ summary: `create directory ${p}${chmod ? ` (mode ${chmod})` : ''}` });
  };
  const allRels = [...tree.files.map((f) => f.rel), ...tree.dirs, ...tree.links.map((l) => l.rel)];
  for (const rel of allRels) parentsOf(destOf(dest, rel)).forEach(needDir);
  for (const rel of tree.dirs) needDir(destOf(dest, rel));

  // Files: placed as a single copy places them.
  const follow = w.follow && tree.dirs.length === 0;
  for (const f of tree.files) {
    let target = destOf(dest, f.rel);
    const state = stateOf(target);
    if (state.exists && state.type === 'directory') throw new ModuleError(`${target} is a directory, cannot replace it with a file`);
    if (follow && state.exists && state.realPath) target = state.realPath;
    if (state.exists && !w.force) continue;
    const p = planContent({ ...w, mode: f.mode, dest: target, state, content: f.content, force: w.force });
    if (!p.changes.length) continue;
    // A decrypted vault file is a secret: no diff shows it.
    changes.push(...(f.vaulted ? p.changes.map((c) => (c.diff ? { summary: `${c.summary} (diff hidden: the src is vault-encrypted)` } : c)) : p.changes));
    data.files.push(p.data);
  }

  // Directories of the tree that exist: directory_mode, owner and group (mode never).
  for (const rel of tree.dirs) {
    const p = destOf(dest, rel);
    if (created.has(p)) continue;
    const a = planAttrs(stateOf(p), { mode: w.directoryMode, owner: w.owner, group: w.group }, p);
    if (!a.chmod && !a.chown) continue;
    changes.push(...a.changes);
    data.dirAttrs.push({ path: p, chmod: a.chmod, chown: a.chown });
  }

  // Links copied as links (file state=link force=yes): owner and group on the link itself.
  for (const l of tree.links) {
    const p = destOf(dest, l.rel);
    const st = stateOf(p);
    if (st.exists && st.type === 'directory') throw new ModuleError(`${p} is a directory, cannot replace it with a link to ${l.target}`);
    if (st.exists && st.type === 'link' && st.linkTarget === l.target) {
      const a = planAttrs(st, { owner: w.owner, group: w.group }, p);
      if (a.chown) {
        changes.push(...a.changes);
        data.links.push({ path: p, target: l.target, relink: false, chown: a.chown });
      }
      continue;
    }
    changes.push({ summary: st.exists ? `replace ${st.type} ${p} with a link to ${l.target}` : `link ${p} -> ${l.target}` });
    data.links.push({ path: p, target: l.target, relink: true, chown: chownSpec(w.owner, w.group) });
  }

  return changes.length ? { changes, data } : { changes, data, result: { changed: false, ...result } };
}

/** Read every path of the tree in one command (the `files` fact), then decide. */
export async function planTree(ctx: TaskContext, w: TreeWant, tree: TreeContent, src: string): Promise<Plan<TreePlanData>> {
  const queries = treeQueries(w, tree);
  const states = queries.length ? await ctx.fact(fileStatesFact, { queries }) : [];
  return decideTree(w, tree, new Map(queries.map((q, i) => [q.path, states[i]!])), src);
}

/** Carry out a tree plan: directories, then files (each atomically), then attributes, then links. */
export async function applyTree(ctx: TaskContext, data: TreePlanData): Promise<ModuleResult> {
  const result: ModuleResult = { changed: true, ...data.result };
  if (ctx.check) return { ...result, changed: false, msg: 'check mode: nothing written' };
  const attrs = (e: { path: string; chmod?: string; chown?: string }) => attrCommands(e.path, e, shq);
  if (data.mkdirs.length) await ctx.run(data.mkdirs.map((d) => [`mkdir -- ${shq(d.path)}`, ...attrs(d)].join(' && ')).join(' && '));
  for (const f of data.files) {
    if (f.write) {
      const w = f.write;
      await atomicWrite(ctx.exec.bind(ctx), { dest: f.dest, content: w.content, mode: w.mode, owner: w.owner, group: w.group, backup: w.backup, validate: w.validate, unsafeWrites: w.unsafeWrites });
    }
    if (f.attrs) {
      const cmds = attrCommands(f.dest, f.attrs, shq);
      if (cmds.length) await ctx.run(cmds.join(' && '));
    }
  }
  const dirCmds = data.dirAttrs.flatMap(attrs);
  const linkCmds = data.links.flatMap((l) => [
    ...(l.relink ? [`ln -sfn -- ${shq(l.target)} ${shq(l.path)}`] : []),
    ...(l.chown ? [`chown -h -- ${shq(l.chown)} ${shq(l.path)}`] : []),
  ]);
  if (dirCmds.length || linkCmds.length) await ctx.run([...dirCmds, ...linkCmds].join(' && '));
  return result;
}
