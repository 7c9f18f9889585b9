/**
 * `copy`: put a controller file (src, looked up in the role's files/) or
 * inline `content` on the target. Compared by sha256 first, so unchanged
 * content is never transferred; written atomically with its final owner and
 * mode; `validate` runs on the temp file before it replaces dest. A directory
 * src copies its tree as Ansible does (common/copy-tree.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { decryptVaultFile } from '../util/text-input.js';
import { isVaultText } from '../util/vault.js';
import { formatMode } from '../facts/file-state.js';
import { pythonStr } from '../template/values.js';
import { attrArgs, bool, modeArg, unsafeWritesArg, validateArg } from './common/args.js';
import { chmodArg, parseMode } from './common/file-attrs.js';
import { applyTree, planTree, walkSourceTree, type TreeContent, type TreePlanData } from './common/copy-tree.js';
import { MAX_DIFF_BYTES } from './common/file-diff.js';
import { applyContent, writeOptions, type ContentPlanData } from './common/managed-file.js';
import { placementQueries, planPlacement } from './common/place-content.js';
import { registerModule } from './registry.js';
import type { Module, TaskContext } from './types.js';

const schema = z
  .strictObject({
    dest: z.string().min(1).describe('Remote path; an existing directory or a path ending in / receives dest/basename(src).'),
    src: z.string().min(1).optional().describe("Controller file or directory, looked up in the role's files/ then the playbook's files/. A directory is copied recursively: `dir` creates dest/dir/…, `dir/` copies its contents into dest."),
    content: z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional().describe('Inline content (instead of src); a list or mapping is written as JSON, as Ansible does.'),
    ...attrArgs,
    backup: bool.default(false).describe('Keep a timestamped copy of the old file.'),
    unsafe_writes: unsafeWritesArg,
    force: bool.default(true).describe('false: never touch an existing dest.'),
    validate: validateArg,
    follow: bool.default(false).describe('Write through a symlink at dest instead of replacing it.'),
    remote_src: bool.default(false).describe('Not supported yet: src on the target.'),
    directory_mode: modeArg.optional().describe('Mode of the directories the copy creates (dest ending in / and its missing parents; with a directory src also the tree\'s directories on the host); mode applies to files only.'),
    local_follow: bool.default(true).describe('Directory src: copy what symlinks in it point to (false: copy them as links).'),
    decrypt: bool.optional().describe('A vault-encrypted src is copied decrypted (default); false copies it as it is.'),
  })
  .superRefine((a, ctx) => {
    if ((a.src === undefined) === (a.content === undefined)) ctx.addIssue({ code: 'custom', message: 'exactly one of src or content is required' });
    if (a.remote_src) ctx.addIssue({ code: 'custom', path: ['remote_src'], message: 'remote_src is not supported by drover yet' });
  });

export type CopyArgs = z.infer<typeof schema>;

/** The bytes to place, and the mode when `mode: preserve` asks for the source's. */
/** Ansible's copy: a list or mapping is written as JSON (Python's json.dumps spacing), anything else as Python's str(). */
function contentText(content: NonNullable<CopyArgs['content']>): string {
  if (typeof content === 'object') return JSON.stringify(content, null, 1).replace(/\n\s*/g, ' ').replace(/([[{]) /g, '$1').replace(/ ([\]}])/g, '$1');
  return pythonStr(content);
}

type Source = { content: Buffer; name?: string; mode?: string | number; vaulted?: boolean };

/** A controller file's bytes: a vault-encrypted one decrypted (Ansible's `decrypt: yes` default). */
async function readSource(file: string, shown: string, args: CopyArgs): Promise<Source> {
  const mode = args.mode === 'preserve' ? formatMode((await stat(file)).mode) : args.mode;
  let content: Buffer = await readFile(file);
  let vaulted = false;
  if (args.decrypt !== false && isVaultText(content)) {
    content = decryptVaultFile(content, shown);
    vaulted = true;
  }
  return { content, mode, vaulted };
}

async function source(ctx: TaskContext, args: CopyArgs): Promise<Source | { tree: TreeContent }> {
  if (args.content !== undefined) {
    if (args.mode === 'preserve') throw new InputError('copy: mode: preserve needs src, not content');
    return { content: Buffer.from(contentText(args.content), 'utf8'), mode: args.mode };
  }
  const file = ctx.findFile('files', args.src!);
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new InputError(`copy: src ${args.src} not found (looked for ${file})`);
  }
  if (st.isDirectory()) {
    const walked = walkSourceTree(file, args.src!.endsWith('/'), args.local_follow);
    const files = await Promise.all(walked.files.map(async (f) => ({ rel: f.rel, ...(await readSource(f.abs, join(args.src!, relative(file, f.abs)), args)) })));
    return { tree: { files, dirs: walked.dirs, links: walked.links } };
  }
  return { ...(await readSource(file, args.src!, args)), name: basename(args.src!.replace(/\/+$/, '')) };
}

/** What a directory the copy creates gets, as Ansible's copy module does: directory_mode (never mode), owner, group. */
function createdDirAttrs(args: CopyArgs): { chmod?: string; chown?: string } {
  const w = writeOptions(args);
  return {
    chmod: args.directory_mode !== undefined ? chmodArg(parseMode(args.directory_mode)) : undefined,
    chown: w.owner !== undefined || w.group !== undefined ? `${w.owner ?? ''}${w.group !== undefined ? ':' + w.group : ''}` : undefined,
  };
}

export type CopyPlanData = ContentPlanData | TreePlanData;

export const copyModule: Module<CopyArgs, CopyPlanData> = {
  name: 'copy',
  doc: {
    short: 'Copy a file from the controller, or write inline content, to the host.',
    examples: `
- name: Write a file from inline content, with owner and mode
  copy:
    content: "Managed by drover\\n"
    dest: /etc/motd
    owner: root
    group: root
    mode: "0644"

- name: Copy a file from the playbook's (or role's) files/ directory, keeping a backup
  copy:
    src: sshd_config
    dest: /etc/ssh/sshd_config
    mode: "0600"
    backup: true
    validate: /usr/sbin/sshd -t -f %s

- name: Copy a directory from files/ as a tree (conf.d/ without its trailing slash lands in /etc/app/conf.d/)
  copy:
    src: conf.d
    dest: /etc/app/
    mode: "0640"
    directory_mode: "0750"
`,
  },
  schema,
  localFiles: [{ arg: 'src', kind: 'files', unlessArg: 'remote_src' }],
  readAhead(args, diff) {
    // A ~ dest needs the host's home first; a src/ is a tree (so may a src without the slash be: then the guess misses).
    if (args.dest.startsWith('~') || args.src?.endsWith('/')) return undefined;
    return placementQueries({ dest: args.dest, srcName: args.src === undefined ? undefined : basename(args.src), follow: args.follow }, diff);
  },
  async plan(ctx, args) {
    const src = await source(ctx, args);
    // As Ansible's copy action: a leading ~ in dest is the (become) user's home on the host.
    const dest = await ctx.expandUser(args.dest);
    if ('tree' in src) {
      const w = { ...writeOptions(args), dest, directoryMode: args.directory_mode, force: args.force, follow: args.follow, contentMaxBytes: ctx.diff ? MAX_DIFF_BYTES : undefined };
      return planTree(ctx, w, src.tree, args.src!);
    }
    if (args.content !== undefined && args.dest.endsWith('/')) throw new InputError('copy: dest must be a file path when content is given');
    const plan = await planPlacement(ctx, {
      ...writeOptions(args),
      dest,
      srcName: src.name,
      content: src.content,
      mode: src.mode,
      force: args.force,
      follow: args.follow,
      mkdirAttrs: createdDirAttrs(args),
    });
    // A decrypted vault file is a secret: no diff shows it.
    if (src.vaulted) plan.changes = plan.changes.map((c) => (c.diff ? { summary: `${c.summary} (diff hidden: the src is vault-encrypted)` } : c));
    return plan;
  },
  async apply(ctx, args, plan) {
    if ('kind' in plan.data!) return applyTree(ctx, plan.data);
    const result = await applyContent(ctx, plan.data!);
    if (args.src !== undefined) result.src = args.src;
    return result;
  },
};

registerModule(copyModule);
