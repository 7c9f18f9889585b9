/**
 * `ini_file`: set or remove one option (or a whole section) in an INI file,
 * keeping comments and layout — the workhorse of OpenStack configuration
 * (keystone.conf [database] connection, nova.conf [DEFAULT] …). The edit is
 * pure (common/ini-edit.ts) on the content fetched with the file's state in
 * one round trip; repeated runs are idempotent.
 */
import { z } from 'zod';
import { pyStr } from '../template/functions.js';
import { attrArgs, bool, onePathOf, pickPath, unsafeWritesArg } from './common/args.js';
import { editIni } from './common/ini-edit.js';
import { applyContentPlan, writeOptions, type ContentPlanData } from './common/managed-file.js';
import { planTextEdit, textEditQueries, type TextEditArgs } from './common/text-edit.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const PATH_KEYS = ['path', 'dest'] as const;

/** Ansible's type='str': a non-string scalar becomes Python's str() of it (True, False, 4, 1.5). */
const str = z.union([z.string(), z.number(), z.boolean()]).transform((v) => pyStr(v));

/** A value: anything, as Python's str() writes it (True, ['a', 'b'], {'k': 1}). */
const anyStr = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).transform((v) => pyStr(v));

/** Ansible's type='list', elements='str': a string is split at commas, a number is one element. */
const strList = z.union([z.array(anyStr), str.transform((v) => v.split(','))]);

const VALUE_REQUIRED = "Parameter 'value(s)' must be defined if state=present and allow_no_value=False (value is required: give value or values, or set allow_no_value: true)";

const schema = z
  .strictObject({
    path: z.string().min(1).optional().describe('The INI file (alias: dest).'),
    dest: z.string().min(1).optional(),
    section: str.nullable().optional().describe('Section name without brackets; null/omitted: options before the first section.'),
    option: str.optional().describe('Option name; omitted with state=absent removes the whole section.'),
    value: anyStr.nullable().optional().describe('Option value, as Python writes it: true becomes "True", a list [\'a\', \'b\'].'),
    values: strList.nullable().optional().describe('Several values of the option, one line each (exclusive: exactly these); not with value.'),
    state: z.enum(['present', 'absent']).default('present').describe('present: the option (or section) is there with its value; absent: it is removed.'),
    exclusive: bool.default(true).describe('present: remove other occurrences of option; absent: remove all occurrences whatever their value.'),
    no_extra_spaces: bool.default(false).describe('Write option=value instead of option = value.'),
    allow_no_value: bool.default(false).describe('Allow an option without value (a bare "option" line).'),
    create: bool.default(true).describe('Create the file when missing.'),
    backup: bool.default(false).describe('Keep a timestamped copy of the old file.'),
    follow: bool.default(false).describe('Write through a symlink instead of replacing it.'),
    ...attrArgs,
    unsafe_writes: unsafeWritesArg,
  })
  .superRefine(onePathOf(PATH_KEYS))
  .superRefine((a, ctx) => {
    const hasValue = a.value !== undefined && a.value !== null;
    const hasValues = a.values !== undefined && a.values !== null && a.values.length > 0;
    if (hasValue && a.values !== undefined && a.values !== null) ctx.addIssue({ code: 'custom', path: ['values'], message: 'parameters are mutually exclusive: value|values' });
    // Ansible's rule, section-only tasks included (they need allow_no_value to add an empty section).
    if (a.state === 'present' && !a.allow_no_value && !hasValue && !hasValues) ctx.addIssue({ code: 'custom', path: ['value'], message: VALUE_REQUIRED });
    if (a.option === undefined && (hasValue || hasValues)) ctx.addIssue({ code: 'custom', path: ['option'], message: 'value needs option' });
    if (a.state === 'absent' && a.option === undefined && (a.section === undefined || a.section === null || a.section === '')) {
      ctx.addIssue({ code: 'custom', path: ['section'], message: 'state=absent without option removes a section: give section' });
    }
  });

export type IniFileArgs = z.infer<typeof schema>;

export const iniFileModule: Module<IniFileArgs, ContentPlanData> = {
  name: 'ini_file',
  doc: {
    short: 'Set or remove one option, or a whole section, in an INI file.',
    examples: `
- name: Set the database connection of keystone.conf
  ini_file:
    path: /etc/keystone/keystone.conf
    section: database
    option: connection
    value: mysql+pymysql://keystone:secret@controller/keystone
    mode: "0640"

- name: Remove an option
  ini_file: path=/etc/keystone/keystone.conf section=DEFAULT option=debug state=absent
`,
  },
  aliases: ['community.general.ini_file'],
  schema,
  readAhead: (args) => textEditQueries(pickPath(args, PATH_KEYS)),
  async plan(ctx, args) {
    const path = pickPath(args, PATH_KEYS);
    const edit: TextEditArgs = {
      path,
      follow: args.follow,
      create: args.create,
      // Ansible checks create first: state=absent on a missing file with create=false fails too.
      skipWhenMissing: args.state === 'absent' && args.create,
      ...writeOptions(args),
      missingMessage: `Destination ${path} does not exist! (create: false)`,
    };
    // Check mode: a missing file with create=false fails as the real run does, unless an earlier task predicted a change (common/text-edit.ts).
    return planTextEdit(ctx, edit, (text) =>
      editIni(text, {
        section: args.section,
        option: args.option,
        values: args.values ?? (args.value === undefined || args.value === null ? [] : [args.value]),
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
