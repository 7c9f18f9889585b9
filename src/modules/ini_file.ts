/**
 * `ini_file`: set or remove one option (or a whole section) in an INI file,
 * keeping comments and layout — the workhorse of OpenStack configuration
 * (keystone.conf [database] connection, nova.conf [DEFAULT] …). The edit is
 * pure (common/ini-edit.ts) on the content fetched with the file's state in
 * one round trip; repeated runs are idempotent.
 */
import { z } from 'zod';
import { attrArgs, bool, onePathOf, pickPath, unsafeWritesArg } from './common/args.js';
import { editIni } from './common/ini-edit.js';
import { applyContentPlan, writeOptions, type ContentPlanData } from './common/managed-file.js';
import { planTextEdit } from './common/text-edit.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const PATH_KEYS = ['path', 'dest'] as const;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const schema = z
  .strictObject({
    path: z.string().min(1).optional().describe('The INI file (alias: dest).'),
    dest: z.string().min(1).optional(),
    section: z.string().nullable().optional().describe('Section name without brackets; null/omitted: options before the first section.'),
    option: z.string().min(1).optional().describe('Option name; omitted with state=absent removes the whole section.'),
    value: scalar.nullable().optional().describe('Option value (true becomes "true").'),
    state: z.enum(['present', 'absent']).default('present'),
    exclusive: bool.default(true).describe('present: remove other occurrences of option; absent: remove all occurrences whatever their value.'),
    no_extra_spaces: bool.default(false).describe('Write option=value instead of option = value.'),
    allow_no_value: bool.default(false).describe('Allow an option without value (a bare "option" line).'),
    create: bool.default(true).describe('Create the file when missing.'),
    backup: bool.default(false),
    follow: bool.default(false).describe('Write through a symlink instead of replacing it.'),
    ...attrArgs,
    unsafe_writes: unsafeWritesArg,
  })
  .superRefine(onePathOf(PATH_KEYS))
  .superRefine((a, ctx) => {
    if (a.state === 'present' && a.option !== undefined && (a.value === undefined || a.value === null) && !a.allow_no_value) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'value is required with state=present (or set allow_no_value: true)' });
    }
    if (a.option === undefined && a.value !== undefined && a.value !== null) ctx.addIssue({ code: 'custom', path: ['option'], message: 'value needs option' });
    if (a.state === 'absent' && a.option === undefined && (a.section === undefined || a.section === null)) {
      ctx.addIssue({ code: 'custom', path: ['section'], message: 'state=absent without option removes a section: give section' });
    }
  });

export type IniFileArgs = z.infer<typeof schema>;

export const iniFileModule: Module<IniFileArgs, ContentPlanData> = {
  name: 'ini_file',
  aliases: ['community.general.ini_file'],
  schema,
  async plan(ctx, args) {
    const path = pickPath(args, PATH_KEYS);
    return planTextEdit(
      ctx,
      {
        path,
        follow: args.follow,
        create: args.create,
        skipWhenMissing: args.state === 'absent',
        ...writeOptions(args),
        missingMessage: `Destination ${path} does not exist! (create: false)`,
      },
      (text) =>
        editIni(text, {
          section: args.section,
          option: args.option,
          value: args.value === undefined || args.value === null ? undefined : String(args.value),
          state: args.state,
          exclusive: args.exclusive,
          no_extra_spaces: args.no_extra_spaces,
          allow_no_value: args.allow_no_value,
        }),
    );
  },
  apply: applyContentPlan,
};

registerModule(iniFileModule);
