/**
 * `stat`: report a path's state, registered as `stat: {exists, isdir, isreg,
 * islnk, mode, pw_name, gr_name, size, checksum …}` like Ansible's (checksum
 * is sha1 by default, as there). One round trip; never changes anything.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type FileQuery, type FileState } from '../facts/file-state.js';
import { fileStatesFact } from '../facts/files.js';
import { bool, onePathOf, pickPath } from './common/args.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const PATH_KEYS = ['path', 'dest', 'name'] as const;

const schema = z
  .strictObject({
    path: z.string().min(1).optional().describe('The path to examine (aliases: dest, name).'),
    dest: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    follow: bool.default(false).describe('Report the target of a symlink instead of the link.'),
    get_checksum: bool.default(true).describe("Compute a regular file's checksum (stat.checksum)."),
    checksum_algorithm: z.enum(CHECKSUM_ALGORITHMS as [ChecksumAlgorithm, ...ChecksumAlgorithm[]]).default('sha1').describe('Algorithm of stat.checksum.'),
    get_mime: bool.optional().describe('Accepted for compatibility; mime types are not reported.'),
    get_attributes: bool.optional().describe('Accepted for compatibility; attributes are not reported.'),
  })
  .superRefine(onePathOf(PATH_KEYS));

export type StatArgs = z.infer<typeof schema>;

/** Pure: Ansible's stat dictionary from a FileState. */
export function statResult(s: FileState): Record<string, unknown> {
  if (!s.exists) return { exists: false };
  const bits = parseInt(s.mode ?? '0', 8);
  const out: Record<string, unknown> = {
    exists: true,
    path: s.path,
    mode: s.mode,
    isdir: s.type === 'directory',
    isreg: s.type === 'file',
    islnk: s.type === 'link',
    ischr: s.type === 'char',
    isblk: s.type === 'block',
    isfifo: s.type === 'fifo',
    issock: s.type === 'socket',
    uid: s.uid,
    gid: s.gid,
    pw_name: s.owner ?? String(s.uid),
    gr_name: s.group ?? String(s.gid),
    size: s.size,
    inode: s.inode,
    dev: s.dev,
    nlink: s.nlink,
    atime: s.atime,
    mtime: s.mtime,
    ctime: s.ctime,
    rusr: !!(bits & 0o400), wusr: !!(bits & 0o200), xusr: !!(bits & 0o100),
    rgrp: !!(bits & 0o040), wgrp: !!(bits & 0o020), xgrp: !!(bits & 0o010),
    roth: !!(bits & 0o004), woth: !!(bits & 0o002), xoth: !!(bits & 0o001),
    isuid: !!(bits & 0o4000), isgid: !!(bits & 0o2000),
    readable: s.readable,
    writeable: s.writeable,
    executable: s.executable,
  };
  if (s.linkTarget !== undefined) {
    out.lnk_target = s.linkTarget;
    out.lnk_source = posix.resolve(posix.dirname(s.path), s.linkTarget);
  }
  if (s.checksum !== undefined) out.checksum = s.checksum;
  return out;
}

function statQuery(args: StatArgs): FileQuery {
  return { path: pickPath(args, PATH_KEYS), follow: args.follow, checksum: args.get_checksum ? args.checksum_algorithm : false, access: true };
}

export const statModule: Module<StatArgs> = {
  name: 'stat',
  doc: {
    short: "Report a path's state: existence, type, mode, owner, size, checksum.",
    examples: `
- name: Look at a file
  stat:
    path: /etc/ssh/sshd_config
  register: sshd_config

- name: Use what was found
  debug:
    msg: "sshd_config is {{ sshd_config.stat.size }} bytes"
  when: sshd_config.stat.exists
`,
  },
  schema,
  readAhead: (args) => [statQuery(args)],
  async plan(ctx, args) {
    const [s] = await ctx.fact(fileStatesFact, { queries: [statQuery(args)] });
    return { changes: [], result: { changed: false, stat: statResult(s) } };
  },
  async apply(_ctx, _args, plan) {
    // Never called with an empty plan; kept total for safety.
    return { changed: false, ...(plan.result ?? {}) };
  },
};

registerModule(statModule);
