/**
 * `file`: make a path a file, directory, symlink or hard link, or remove
 * it, with mode/owner/group. Planned from one round trip (path, src and the
 * parent directory read together; a second one lists the tree for
 * `recurse`). Apply runs exactly the planned commands.
 *
 * Deliberate difference from Ansible: `state: touch` on an existing path
 * changes only its attributes and does not bump the timestamps, so touch is
 * idempotent (Ansible reports "changed" on every run).
 * Also: for `state: link`, owner/group apply to the link itself (chown -h)
 * and mode is ignored (Linux symlinks have none). `directory` applies
 * mode/owner/group to every directory it creates, as Ansible does.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { formatMode, type FileQuery, type FileState } from '../facts/file-state.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { attrArgs, bool, idString, onePathOf, pickPath } from './common/args.js';
import { applyMode, attrCommands, chmodArg, parseMode, planAttrs } from './common/file-attrs.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';
import { fileStatesFact } from '../facts/files.js';
import { mkdirStepsCommand } from './common/mkdir-steps.js';

const PATH_KEYS = ['path', 'dest', 'name'] as const;
const STATES = ['file', 'directory', 'touch', 'absent', 'link', 'hard'] as const;
export type FileStateArg = (typeof STATES)[number];

const schema = z
  .strictObject({
    path: z.string().min(1).optional().describe('The path to manage (aliases: dest, name).'),
    dest: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    state: z.enum(STATES).optional().describe('Default: the current type of path, or file.'),
    src: z.string().min(1).optional().describe('Link target (state link/hard); relative to the link\'s directory.'),
    recurse: bool.default(false).describe('state=directory: apply owner/group/mode to everything below.'),
    force: bool.default(false).describe('state=link: replace a file or empty directory, or link to a missing src.'),
    follow: bool.default(true).describe('Apply attributes to the target of a symlink.'),
    ...attrArgs,
    modification_time: z.literal('preserve').optional().describe('Only "preserve" (the drover default) is accepted.'),
    access_time: z.literal('preserve').optional().describe('Only "preserve" (the drover default) is accepted.'),
  })
  .superRefine(onePathOf(PATH_KEYS))
  .superRefine((a, ctx) => {
    if ((a.state === 'link' || a.state === 'hard') && a.src === undefined) ctx.addIssue({ code: 'custom', path: ['src'], message: `src is required with state=${a.state}` });
    if (a.src !== undefined && a.state !== undefined && a.state !== 'link' && a.state !== 'hard') {
      ctx.addIssue({ code: 'custom', path: ['src'], message: 'src is only used with state=link or state=hard' });
    }
    if (a.recurse && a.state !== undefined && a.state !== 'directory') ctx.addIssue({ code: 'custom', path: ['recurse'], message: 'recurse needs state=directory' });
  });

export type FileArgs = z.infer<typeof schema>;

/** One entry below a directory, for recurse. */
export interface TreeEntry {
  type: string; // find's %y: f d l …
  owner: string;
  group: string;
  uid: number;
  gid: number;
  mode: number;
}

export interface FilePlanData {
  commands: string[];
  result: Record<string, unknown>;
}

export interface FileFacts {
  path: FileState;
  src?: FileState;
  parent?: FileState;
  tree?: TreeEntry[];
  /** Check mode after predicted changes: a missing parent may exist by the time this runs. */
  parentMayAppear?: boolean;
}

export function effectiveState(a: FileArgs, current: FileState): FileStateArg {
  if (a.state) return a.state;
  if (a.recurse) return 'directory';
  if (a.src !== undefined) return 'link';
  if (current.exists) return current.type === 'directory' ? 'directory' : current.type === 'link' ? 'link' : 'file';
  return 'file';
}

/** Where a link's src points, for existence checks: relative to the link's directory. */
export function resolveSrc(path: string, src: string): string {
  return posix.isAbsolute(src) ? src : posix.join(posix.dirname(path), src);
}

function wanted(a: FileArgs) {
  return { mode: a.mode, owner: idString(a.owner), group: idString(a.group) };
}

/** Attribute changes + commands for an existing path. */
function attrs(a: FileArgs, st: FileState, path: string, changes: Change[], cmds: string[], noDereference = false): void {
  const w = wanted(a);
  const p = planAttrs(st, noDereference ? { owner: w.owner, group: w.group } : w, path);
  changes.push(...p.changes);
  cmds.push(...attrCommands(path, p, shq, noDereference));
}

/** Attributes for a path that a command of the plan is about to create. */
function attrsForNew(a: FileArgs, path: string, changes: Change[], cmds: string[], noDereference = false): void {
  const w = wanted(a);
  const chown = w.owner !== undefined || w.group !== undefined ? `${w.owner ?? ''}${w.group !== undefined ? ':' + w.group : ''}` : undefined;
  let chmod: string | undefined;
  if (w.mode !== undefined && !noDereference) {
    const spec = parseMode(w.mode);
    chmod = spec.kind === 'absolute' ? formatMode(spec.bits) : chmodArg(spec);
    changes.push({ summary: `${path}: mode ${chmod}` });
  }
  if (chown) changes.push({ summary: `${path}: owner/group ${chown}` });
  cmds.push(...attrCommands(path, { chmod, chown }, shq, noDereference));
}

function treeChanges(a: FileArgs, path: string, tree: TreeEntry[], changes: Change[], cmds: string[]): void {
  const w = wanted(a);
  const spec = w.mode !== undefined ? parseMode(w.mode) : undefined;
  const same = (want: string, name: string, id: number) => want === name || (/^\d+$/.test(want) && Number(want) === id);
  let own = 0;
  let grp = 0;
  let mod = 0;
  for (const e of tree) {
    if (w.owner !== undefined && !same(w.owner, e.owner, e.uid)) own++;
    if (w.group !== undefined && !same(w.group, e.group, e.gid)) grp++;
    if (spec && e.type !== 'l' && applyMode(spec, e.mode, e.type === 'd') !== e.mode) mod++;
  }
  if (own || grp) {
    const spec2 = `${own ? w.owner : ''}${grp ? ':' + w.group : ''}`;
    if (own) changes.push({ summary: `${path}/*: owner -> ${w.owner} on ${own} entr${own === 1 ? 'y' : 'ies'}` });
    if (grp) changes.push({ summary: `${path}/*: group -> ${w.group} on ${grp} entr${grp === 1 ? 'y' : 'ies'}` });
    cmds.push(`chown -R -- ${shq(spec2)} ${shq(path)}`);
  }
  if (mod && spec) {
    changes.push({ summary: `${path}/*: mode -> ${chmodArg(spec)} on ${mod} entr${mod === 1 ? 'y' : 'ies'}` });
    cmds.push(`chmod -R -- ${shq(chmodArg(spec))} ${shq(path)}`);
  }
}

/** `/a/b/c` -> /a, /a/b, /a/b/c (relative paths likewise, from their first component). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const lead = path.startsWith('/') ? '/' : '';
  return parts.map((_, i) => lead + parts.slice(0, i + 1).join('/'));
}

/** Pure planning from the fetched facts. */
export function planFile(a: FileArgs, f: FileFacts): { changes: Change[]; data: FilePlanData } {
  const path = pickPath(a, PATH_KEYS).replace(/(.)\/+$/, '$1');
  const st = f.path;
  const state = effectiveState(a, st);
  const changes: Change[] = [];
  const cmds: string[] = [];
  const result: Record<string, unknown> = { path, state };
  const q = shq(path);

  switch (state) {
    case 'absent':
      if (st.exists) {
        changes.push({ summary: `remove ${st.type} ${path}` });
        cmds.push(`rm -rf -- ${q}`);
      }
      result.state = 'absent';
      break;

    case 'file':
      if (!st.exists) throw new ModuleError(`file (${path}) is absent, cannot continue (use state=touch to create it)`);
      if (st.type === 'directory') throw new ModuleError(`${path} is a directory, not a file (state=file)`);
      attrs(a, st, path, changes, cmds);
      break;

    case 'directory':
      if (!st.exists) {
        changes.push({ summary: `create directory ${path}` });
        // Like Ansible: each directory created on the way gets the mode, owner and group, not only the last.
        const made: string[] = [];
        attrsForNew(a, path, changes, made);
        const steps = ancestors(path).map(shq);
        cmds.push(made.length ? mkdirStepsCommand(steps, made.map((c) => c.replaceAll(q, '"$d"'))) : `mkdir -p -- ${q}`);
      } else if (st.type !== 'directory') {
        throw new ModuleError(`${path} exists and is a ${st.type}, not a directory`);
      } else {
        attrs(a, st, path, changes, cmds);
        if (a.recurse) treeChanges(a, path, f.tree ?? [], changes, cmds);
      }
      break;

    case 'touch':
      if (!st.exists) {
        if (f.parent && !f.parent.exists && !f.parentMayAppear) throw new ModuleError(`cannot touch ${path}: directory ${posix.dirname(path)} does not exist`);
        changes.push({ summary: `create empty file ${path}` });
        cmds.push(`touch -- ${q}`);
        attrsForNew(a, path, changes, cmds);
      } else {
        attrs(a, st, path, changes, cmds);
      }
      break;

    case 'link': {
      const src = a.src!;
      const isLinkTo = st.exists && st.type === 'link' && st.linkTarget === src;
      if (!a.force && f.src && !f.src.exists) {
        throw new ModuleError(`src file ${src} does not exist (resolved: ${resolveSrc(path, src)}); use force: true to create a dangling link`);
      }
      if (isLinkTo) {
        attrs(a, st, path, changes, cmds, true);
        break;
      }
      if (st.exists && st.type !== 'link') {
        if (!a.force) throw new ModuleError(`refusing to convert ${st.type} ${path} to a symlink (use force: true)`);
        if (st.type === 'directory') {
          // Like Ansible: only an empty directory may be replaced.
          changes.push({ summary: `replace empty directory ${path} with symlink -> ${src}` });
          cmds.push(`rmdir -- ${q}`);
        } else {
          changes.push({ summary: `replace ${st.type} ${path} with symlink -> ${src}` });
          cmds.push(`rm -f -- ${q}`);
        }
      } else if (st.exists) {
        changes.push({ summary: `relink ${path}: ${st.linkTarget} -> ${src}` });
      } else {
        changes.push({ summary: `create symlink ${path} -> ${src}` });
      }
      cmds.push(`ln -sfn -- ${shq(src)} ${q}`);
      attrsForNew(a, path, changes, cmds, true);
      result.src = src;
      break;
    }

    case 'hard': {
      const src = a.src!;
      if (!f.src?.exists) throw new ModuleError(`src file ${src} does not exist: cannot create a hard link`);
      if (f.src.type === 'directory') throw new ModuleError(`src ${src} is a directory: cannot hard-link it`);
      if (st.exists && st.type === 'directory') throw new ModuleError(`${path} is a directory: cannot replace it with a hard link`);
      const same = st.exists && st.inode === f.src.inode && st.dev === f.src.dev;
      if (same) {
        attrs(a, st, path, changes, cmds);
        break;
      }
      if (st.exists && !a.force && st.type !== 'file' && st.type !== 'link') {
        throw new ModuleError(`refusing to replace ${st.type} ${path} with a hard link (use force: true)`);
      }
      changes.push({ summary: st.exists ? `replace ${st.type} ${path} with hard link to ${src}` : `create hard link ${path} => ${src}` });
      cmds.push(`ln -f -- ${shq(resolveSrc(path, src))} ${q}`);
      // The link shares src's inode: compare the wanted attributes with src's.
      attrs(a, f.src, path, changes, cmds);
      result.src = src;
      break;
    }
  }
  if (changes.length === 0) Object.assign(result, { mode: st.mode, owner: st.owner, group: st.group, uid: st.uid, gid: st.gid, size: st.size });
  return { changes, data: { commands: cmds, result } };
}

/** find output for recurse: type, owner, group, uid, gid, mode — one line per entry below path. */
export function treeCommand(path: string): string {
  return `find ${shq(path)} -mindepth 1 -printf '%y\\t%u\\t%g\\t%U\\t%G\\t%m\\n'`;
}

export function parseTree(stdout: string): TreeEntry[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [type, owner, group, uid, gid, mode] = l.split('\t');
      return { type: type!, owner: owner!, group: group!, uid: Number(uid), gid: Number(gid), mode: parseInt(mode!, 8) };
    });
}

const targetPath = (args: FileArgs): string => pickPath(args, PATH_KEYS).replace(/(.)\/+$/, '$1');

/** What the plan reads: the path, its parent, and a link's or hard link's source. */
function fileQueries(args: FileArgs): FileQuery[] {
  const path = targetPath(args);
  const isLink = args.state === 'link' || args.state === 'hard' || (args.state === undefined && args.src !== undefined);
  const queries: FileQuery[] = [
    // Links and removals look at the path itself; attribute states follow links.
    { path, follow: !isLink && args.state !== 'absent' && args.follow, checksum: false },
    { path: posix.dirname(path), checksum: false },
  ];
  if (args.src !== undefined) queries.push({ path: resolveSrc(path, args.src), follow: args.state === 'hard', checksum: false });
  return queries;
}

export const fileModule: Module<FileArgs, FilePlanData> = {
  name: 'file',
  doc: {
    short: 'Manage a file, directory, symlink or hard link: existence, mode, owner.',
    examples: `
- name: A directory with owner and mode
  file:
    path: /srv/app
    state: directory
    owner: www-data
    mode: "0755"

- name: A symbolic link
  file:
    src: /srv/app/current
    dest: /srv/app/live
    state: link

- name: Remove a file
  file: path=/tmp/old.conf state=absent
`,
  },
  schema,
  readAhead: (args) => fileQueries(args),
  async plan(ctx, args) {
    const path = targetPath(args);
    if (args.mode !== undefined) parseMode(args.mode); // InputError before touching the host
    const [st, parent, src] = await ctx.fact(fileStatesFact, { queries: fileQueries(args) });
    const facts: FileFacts = { path: st!, parent, src, parentMayAppear: ctx.check && ctx.earlierChangesPredicted };
    // Check mode: a file an earlier task may create (a generated credentials file) is not there
    // yet; the real run fails only if nothing creates it, and its attributes are known only then.
    if (facts.parentMayAppear && !st!.exists && effectiveState(args, st!) === 'file') {
      return { changes: [], unknown: `${path} does not exist yet: whether an earlier task creates it, and with which attributes, is known only then` };
    }
    if (args.recurse && st!.exists && st!.type === 'directory' && (args.mode !== undefined || args.owner !== undefined || args.group !== undefined)) {
      const r = await ctx.run(treeCommand(path));
      facts.tree = parseTree(r.stdout);
    }
    const { changes, data } = planFile(args, facts);
    return changes.length ? { changes, data } : { changes, data, result: { changed: false, ...data.result } };
  },
  async apply(ctx, _args, plan) {
    const data = plan.data!;
    if (ctx.check) return { changed: false, ...data.result };
    // One round trip; && stops at the first failing step, which ctx.run reports with its stderr.
    if (data.commands.length) await ctx.run(data.commands.join(' && '));
    return { changed: true, ...data.result };
  },
};

registerModule(fileModule);
