/**
 * `command`: run a program with arguments, no shell features (pipes,
 * redirections, globs are literal), like Ansible's. `creates`/`removes` are
 * decided while planning in one round trip; otherwise check mode says
 * "unknown" because a command's effect cannot be predicted.
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { shellWords } from '../util/shell-words.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';
import { bool } from './common/args.js';
import { guardArgs, guardedCommandModule, shWordExpanding, withInline } from './command-common.js';

const schema = z
  .strictObject({
    cmd: z.string().optional().describe('The command line (split like a POSIX shell would, but not run by one).'),
    argv: z.array(z.union([z.string(), z.number(), z.boolean()])).optional().describe('The command as a list of words.'),
    expand_argument_vars: bool.default(true).describe('Expand $VARS and a leading ~ in the words.'),
    ...guardArgs,
  })
  .superRefine((a, ctx) => {
    if (a.cmd === undefined && a.argv === undefined) ctx.addIssue({ code: 'custom', message: 'one of cmd (free-form) or argv is required' });
    if (a.cmd !== undefined && a.argv !== undefined) ctx.addIssue({ code: 'custom', message: 'cmd and argv are mutually exclusive' });
    if (a.cmd !== undefined) {
      try {
        shellWords(a.cmd);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['cmd'], message: `cannot split the command line: ${(e as Error).message}` });
      }
    }
  });

export type CommandArgs = z.infer<typeof schema>;

export interface CommandPlanData {
  /** The words as Ansible registers them in `cmd`. */
  argv: string[];
  /** The shell line sent to the target. */
  line: string;
}

/** Pure: the argv and the quoted command line for these arguments. */
export function commandLine(args: CommandArgs): CommandPlanData {
  const a = withInline(args);
  let argv: string[];
  if (a.argv !== undefined) {
    argv = a.argv.map(String);
  } else {
    try {
      argv = shellWords(a.cmd ?? '');
    } catch (e) {
      throw new InputError(`command: cannot split ${JSON.stringify(a.cmd)}: ${(e as Error).message}`);
    }
  }
  if (argv.length === 0) throw new InputError('command: no command given (cmd is empty)');
  const quote = a.expand_argument_vars ? shWordExpanding : shq;
  return { argv, line: argv.map(quote).join(' ') };
}

export const commandModule: Module<CommandArgs, CommandPlanData> = guardedCommandModule({
  name: 'command',
  doc: {
    short: 'Run a program with arguments on the host, without a shell.',
    examples: `
- name: Run a command (free form)
  command: /usr/bin/uptime
  register: up

- name: Run it only when a file does not exist yet, in a directory
  command: ./configure --prefix=/usr/local
  args:
    chdir: /usr/src/app
    creates: /usr/src/app/Makefile

- name: Pass the words as a list (no quoting to get wrong)
  command:
    argv: [echo, "hello world"]
`,
  },
  schema,
  prepare: commandLine,
  registered: (_args, data) => data.argv,
});

registerModule(commandModule);
