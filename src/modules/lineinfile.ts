/**
 * `lineinfile`: make sure one line is (or is not) in a text file. The new
 * content is computed in pure code (common/lineinfile-edit.ts, Ansible's
 * algorithm) from the content fetched with the file's state in one round
 * trip, then written atomically. Symlinks are followed, as Ansible does.
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { attrArgs, bool, onePathOf, pickPath, unsafeWritesArg } from './common/args.js';
import { editLines } from './common/lineinfile-edit.js';
import { pythonRegex } from '../util/python-regex.js';
import { applyContentPlan, writeOptions, type ContentPlanData } from './common/managed-file.js';
import { planTextEdit, textEditQueries } from './common/text-edit.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const PATH_KEYS = ['path', 'dest', 'destfile', 'name'] as const;

const regex = z.string().superRefine((s, ctx) => {
  try {
    pythonRegex(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(e as Error).message}` });
  }
});

const schema = z
  .strictObject({
    path: z.string().min(1).optional().describe('The file to edit; required (aliases: dest, destfile, name).'),
    dest: z.string().min(1).optional(),
    destfile: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    line: z.union([z.string(), z.number(), z.boolean()]).optional().describe('The line to insert or replace.'),
    regexp: regex.optional().describe('Regular expression for the line to replace (present) or remove (absent). Last match wins.'),
    search_string: z.string().optional().describe('Literal string for the line to replace or remove.'),
    state: z.enum(['present', 'absent']).default('present').describe('Whether the line should be there (present) or not (absent).'),
    insertafter: z.string().optional().describe('Regexp, or EOF (default) / BOF: where to insert when nothing matches.'),
    insertbefore: z.string().optional().describe('Regexp or BOF: where to insert when nothing matches.'),
    firstmatch: bool.default(false).describe('Use the first line matching insertafter/insertbefore instead of the last.'),
    backrefs: bool.default(false).describe('Expand \\1 / \\g<name> in line from regexp; never insert when regexp does not match.'),
    create: bool.default(false).describe('Create the file when missing.'),
    backup: bool.default(false).describe('Keep a timestamped copy of the old file.'),
    validate: z
      .string()
      .includes('%s', { message: 'validate must contain %s' })
      .optional()
      .describe('A command that checks the new content before it replaces the file; %s is the temporary file (e.g. /usr/sbin/sshd -t -f %s).'),
    ...attrArgs,
    unsafe_writes: unsafeWritesArg,
  })
  .superRefine(onePathOf(PATH_KEYS))
  .superRefine((a, ctx) => {
    if (a.insertafter !== undefined && a.insertbefore !== undefined) ctx.addIssue({ code: 'custom', message: 'insertafter and insertbefore are mutually exclusive' });
    if (a.regexp !== undefined && a.search_string !== undefined) ctx.addIssue({ code: 'custom', message: 'regexp and search_string are mutually exclusive' });
    if (a.state === 'present' && a.line === undefined) ctx.addIssue({ code: 'custom', path: ['line'], message: 'line is required with state=present' });
    if (a.state === 'absent' && a.line === undefined && a.regexp === undefined && a.search_string === undefined) {
      ctx.addIssue({ code: 'custom', message: 'one of line, regexp or search_string is required with state=absent' });
    }
    if (a.backrefs && a.regexp === undefined) ctx.addIssue({ code: 'custom', path: ['backrefs'], message: 'backrefs needs regexp' });
    for (const k of ['insertafter', 'insertbefore'] as const) {
      const v = a[k];
      if (v !== undefined && v !== 'EOF' && v !== 'BOF') {
        try {
          pythonRegex(v);
        } catch (e) {
          ctx.addIssue({ code: 'custom', path: [k], message: `invalid regular expression: ${(e as Error).message}` });
        }
      }
    }
  });

export type LineInFileArgs = z.infer<typeof schema>;

export const lineinfileModule: Module<LineInFileArgs, ContentPlanData> = {
  name: 'lineinfile',
  doc: {
    short: 'Make sure one line is (or is not) in a text file.',
    examples: `
- name: Set a value, replacing the line that sets it now (or appending one)
  lineinfile:
    path: /etc/ssh/sshd_config
    regexp: '^#?PasswordAuthentication '
    line: PasswordAuthentication no
    validate: /usr/sbin/sshd -t -f %s

- name: Add a line after a marker, creating the file when missing
  lineinfile:
    path: /etc/hosts.local
    line: 192.168.1.10 controller
    insertafter: '^# cluster'
    create: true

- name: Remove every line matching a pattern
  lineinfile: path=/etc/sudoers.d/extra regexp='^bob ' state=absent
`,
  },
  schema,
  readAhead: (args) => textEditQueries(pickPath(args, PATH_KEYS)),
  async plan(ctx, args) {
    const path = pickPath(args, PATH_KEYS);
    if (args.state === 'present' && args.line === undefined) throw new InputError('lineinfile: line is required with state=present');
    return planTextEdit(
      ctx,
      {
        path,
        follow: true,
        create: args.create,
        skipWhenMissing: args.state === 'absent',
        ...writeOptions(args),
        missingMessage: `Destination ${path} does not exist! (set create: true to create it)`,
      },
      (text) =>
        editLines(text, {
          line: args.line === undefined ? undefined : String(args.line),
          regexp: args.regexp,
          search_string: args.search_string,
          state: args.state,
          insertafter: args.insertafter,
          insertbefore: args.insertbefore,
          backrefs: args.backrefs,
          firstmatch: args.firstmatch,
        }),
    );
  },
  apply: applyContentPlan,
};

registerModule(lineinfileModule);
