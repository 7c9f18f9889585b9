/**
 * `shell`: like `command`, but the line is a shell script (pipes,
 * redirections, globs, `&&`). Run as `/bin/sh -c` like Ansible, or through
 * `executable` (e.g. /bin/bash for bash-isms).
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';
import { guardArgs, guardedCommandModule, withInline } from './command-common.js';

const schema = z.strictObject({
  cmd: z.string().describe('The shell script to run.'),
  executable: z.string().optional().describe('The shell to run it with (default /bin/sh).'),
  ...guardArgs,
});

export type ShellArgs = z.infer<typeof schema>;

/**
 * Pure: the line sent to the target. A fresh shell keeps `exit`, `set -e` and
 * `cd` inside the task. The script reaches it in the environment, not on its
 * command line (`sh -c '<script>'` would show it, secrets and all, in every
 * user's `ps`); the shell takes it out of the environment before running it.
 */
export function shellLine(args: ShellArgs): string {
  const a = withInline(args);
  if (a.cmd.trim() === '') throw new InputError('shell: no command given (cmd is empty)');
  const exe = typeof a.executable === 'string' ? a.executable : '/bin/sh';
  return `DROVER_SCRIPT=${shq(a.cmd)} ${shq(exe)} -c ${shq(RUN_FROM_ENV)}`;
}

/** Run $DROVER_SCRIPT as the shell's script, with the variable no longer exported to what it starts. */
const RUN_FROM_ENV = 'drover_script=$DROVER_SCRIPT; unset DROVER_SCRIPT; eval "$drover_script"';

export const shellModule: Module<ShellArgs, { line: string }> = guardedCommandModule({
  name: 'shell',
  doc: {
    short: 'Run a command line through a shell (/bin/sh) on the host: pipes, redirections, globs.',
    examples: `
- name: A pipeline, only when its result is missing
  shell: dpkg -l | grep '^ii' > /root/packages.txt
  args:
    creates: /root/packages.txt

- name: A bash script
  shell: |
    set -o pipefail
    journalctl -u nginx --since today | tail -n 20
  args:
    executable: /bin/bash
  register: nginx_log
`,
  },
  schema,
  prepare: (args) => ({ line: shellLine(args) }),
  registered: (args) => args.cmd,
});

registerModule(shellModule);
