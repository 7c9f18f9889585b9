import type { Command } from 'commander';
import { Option } from 'commander';
import { wholeNumber, positiveNumber, shardValue } from './flag-values.js';
import { setVaultFromFlags, vaultOptions, type VaultFlags } from './vault-options.js';
import { EXIT, InputError, InputErrors, isInputError } from '../util/errors.js';
import type { RunDefaults } from './config-file.js';
import type { Shard } from '../engine/shard.js';

const collect = (v: string, acc: string[]) => [...acc, v];

/** Where the in-memory playbook of an ad-hoc run is named in messages (relative to the working directory). */
export const ADHOC_SOURCE = '<ad-hoc>';

export interface AdhocSpec {
  pattern: string;
  module: string;
  args?: string;
  become?: boolean;
  becomeUser?: string;
}

/**
 * The one-play, one-task playbook an ad-hoc command stands for, as YAML text
 * (so it is loaded and validated exactly like a playbook file). Line 1 holds
 * the host pattern and the last line the task; `adhocInputErrors` uses that
 * to name the flag a problem came from.
 * `-a` is a string (`k=v …`, or a command line for command/shell) or a JSON object.
 */
export function adhocPlaybookText(spec: AdhocSpec): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [`- hosts: ${q(spec.pattern)}`, `  name: ${q('drover ad-hoc')}`, '  gather_facts: false'];
  if (spec.become) lines.push('  become: true');
  if (spec.becomeUser !== undefined) lines.push(`  become_user: ${q(spec.becomeUser)}`);
  const args = spec.args?.trim() ? spec.args : undefined;
  let value = '';
  if (args !== undefined && args.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (e) {
      throw new InputError(`-a ${q(args)}: not valid JSON (${(e as Error).message})`, undefined, 'give key=value pairs, or a JSON object');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`-a ${q(args)}: a JSON argument must be an object`);
    value = JSON.stringify(parsed);
  } else if (args !== undefined) value = q(args);
  lines.push('  tasks:', `    - ${q(spec.module)}: ${value}`);
  return lines.join('\n') + '\n';
}

/** Input errors of an ad-hoc run, each naming the flag it came from instead of a line of the generated playbook. */
export function adhocInputErrors(e: InputError | InputErrors, spec: AdhocSpec, text: string): InputErrors {
  const lastLine = text.trimEnd().split('\n').length;
  const errors = e instanceof InputErrors ? e.errors : [e];
  return new InputErrors(
    errors.map((x) => {
      if (x.pos?.file !== ADHOC_SOURCE) return x;
      const flag =
        x.pos.line === 1
          ? `host pattern ${JSON.stringify(spec.pattern)}`
          : x.pos.line === lastLine
            ? spec.args?.trim()
              ? `-a ${JSON.stringify(spec.args)}`
              : `-m ${spec.module}`
            : 'ad-hoc options';
      return new InputError(`${flag}: ${x.detail}`, undefined, x.hint);
    }),
  );
}

/**
 * `drover PATTERN -i INV -m MODULE -a ARGS`: run one module on the hosts
 * matching PATTERN, like `ansible`. The default command: a first word that is
 * not a sub-command lands here. Runs through the same engine as `play` (an
 * in-memory one-task playbook), so validation, exit statuses and
 * connections are the same; the output is Ansible's ad-hoc shape.
 */
export function register(program: Command): void {
  const cmd = program
    .command('adhoc', { isDefault: true })
    .usage('PATTERN -i INVENTORY [-m MODULE] [-a ARGS] [options]')
    .description('run one module on the hosts matching PATTERN, like `ansible`; the default command, so `drover all -i hosts -m ping` works')
    .argument('[pattern]', 'host pattern: all, a group, a host, a:b, a:!b, a:&b')
    .option('-i, --inventory <path>', 'inventory file, directory or host list (repeatable)', collect, [])
    .option('-m, --module-name <module>', 'module to run (drover doc --list)', 'command')
    .option('-a, --args <args>', 'module arguments: key=value pairs, a JSON object, or the command line for command/shell')
    .option('-b, --become', 'run as another user (sudo)')
    .option('--become-user <user>', 'the user to become (default root)')
    .option('-u, --user <user>', 'SSH login user for hosts whose inventory sets no ansible_user')
    .option('-K, --ask-become-pass', 'ask for the sudo password (kept in memory, never in argv or logs)')
    .option('-f, --forks <n>', 'hosts worked on at once', wholeNumber('--forks', 1), 20)
    .option('-C, --check', 'plan only: report what would change, change nothing')
    .option('-D, --diff', 'show unified diffs of files that change')
    .option('-e, --extra-vars <vars>', 'k=v pairs, @file.yaml or JSON (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit the hosts to a pattern')
    .option('--shard <K/N>', 'run only shard K of N of the matching hosts (after --limit)', shardValue)
    .option('-o, --one-line', 'one line per host')
    .option('--timeout <seconds>', 'per-command timeout', positiveNumber('--timeout'))
    .option('--events <file>', 'write a JSON-lines event log')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .option('-F, --ssh-config <file>', 'OpenSSH client config to read instead of ~/.ssh/config')
    .addOption(new Option('-v, --verbose', 'show the commands run (on stderr)').argParser((_v, prev: number) => prev + 1).default(0))
    .allowExcessArguments()
    .action(async (pattern: string | undefined, o, cmd: Command) => {
      if (pattern === undefined) {
        // `drover` alone: the program's help, as before there was a default command.
        process.stderr.write(program.helpInformation());
        process.exitCode = EXIT.usage;
        return;
      }
      // A misspelt sub-command lands here too (`drover pley site.yaml`): say so rather than run it as a pattern.
      const extra = cmd.args.slice(1);
      if (extra.length || (o.args === undefined && cmd.getOptionValueSource('moduleName') === 'default')) {
        const { didYouMean } = await import('../util/did-you-mean.js');
        const sub = didYouMean(pattern, program.commands.map((c) => c.name()).filter((n) => n !== 'adhoc'));
        if (sub) throw new InputError(`unknown command '${pattern}' (did you mean '${sub}'?)`, undefined, "see 'drover --help'");
        if (extra.length) throw new InputError(`unexpected argument '${extra[0]}': an ad-hoc command takes one host pattern; quote a command line for -a`);
      }
      const cfg = (await import('./config-file.js')).runDefaults(o, (k) => cmd.getOptionValueSource(k) === 'cli');
      await setVaultFromFlags(o);
      process.exitCode = await runAdhoc(pattern, o, cfg);
    });
  vaultOptions(cmd);
}

interface AdhocFlags extends VaultFlags {
  inventory: string[];
  moduleName: string;
  args?: string;
  become?: boolean;
  becomeUser?: string;
  user?: string;
  askBecomePass?: boolean;
  forks: number;
  check?: boolean;
  diff?: boolean;
  extraVars: string[];
  limit?: string;
  shard?: Shard;
  oneLine?: boolean;
  timeout?: number;
  events?: string;
  color?: boolean;
  verbose: number;
}

async function runAdhoc(pattern: string, o: AdhocFlags, cfg: RunDefaults): Promise<number> {
  await import('../modules/index.js');
  const { getModule, moduleNames } = await import('../modules/registry.js');
  const mod = getModule(o.moduleName);
  if (!mod) {
    const { didYouMean } = await import('../util/did-you-mean.js');
    const dym = didYouMean(o.moduleName, moduleNames());
    throw new InputError(`-m ${o.moduleName}: no such module${dym ? ` (did you mean '${dym}'?)` : ''}`, undefined, "'drover doc --list' lists the modules");
  }
  const spec: AdhocSpec = { pattern, module: o.moduleName, ...(o.args !== undefined ? { args: o.args } : {}), ...(o.become ? { become: true } : {}), ...(o.becomeUser !== undefined ? { becomeUser: o.becomeUser } : {}) };
  const text = adhocPlaybookText(spec);
  const extraVars = [...o.extraVars];
  if (cfg.askBecomePass) {
    const { promptHidden } = await import('./prompt.js');
    const password = await promptHidden('BECOME password: ', '--ask-become-pass needs a terminal; set ansible_become_password in a vars file instead');
    extraVars.push(JSON.stringify({ ansible_become_password: password }));
  }
  const { runPlaybook } = await import('../engine/run.js');
  const { adhocSink } = await import('../report/adhoc.js');
  const { resolve } = await import('node:path');
  const color = o.color !== false && (process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : Boolean((process.stdout as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR);
  try {
    const summary = await runPlaybook({
      playbook: resolve(ADHOC_SOURCE),
      playbookText: text,
      inventory: cfg.inventory,
      rolesPath: cfg.rolesPath,
      become: cfg.become,
      connection: cfg.connection,
      check: o.check,
      diff: o.diff,
      limit: o.limit,
      ...(o.shard ? { shard: o.shard } : {}),
      extraVars,
      forks: cfg.forks,
      verbose: o.verbose,
      ...(cfg.remoteUser !== undefined ? { remoteUser: cfg.remoteUser } : {}),
      ...(o.timeout !== undefined ? { taskTimeout: o.timeout } : {}),
      ...(o.events !== undefined ? { eventsFile: o.events } : {}),
      sinks: [adhocSink({ out: process.stdout, err: process.stderr, module: mod.name, oneLine: Boolean(o.oneLine), verbose: o.verbose, diff: Boolean(o.diff), color })],
    });
    return summary.exitCode;
  } catch (e) {
    if (isInputError(e)) throw adhocInputErrors(e, spec, text);
    throw e;
  }
}
