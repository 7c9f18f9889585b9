import type { Command } from 'commander';
import { Option } from 'commander';
import { wholeNumber, positiveNumber, shardValue } from './flag-values.js';
import { promptHidden } from './prompt.js';
import { setVaultFromFlags, vaultOptions } from './vault-options.js';

const collect = (v: string, acc: string[]) => [...acc, v];
const csv = (v: string, acc: string[]) => [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** `drover play PLAYBOOK -i INVENTORY …` — the flags Ansible users know. */
export function register(program: Command): void {
  const cmd = program
    .command('play')
    .description('run a playbook against an inventory')
    .argument('<playbook>', 'playbook file (YAML)')
    .option('-i, --inventory <path>', 'inventory file, directory or host list (repeatable; else ansible.cfg inventory / ANSIBLE_INVENTORY)', collect, [])
    .option('-C, --check', 'plan only: report what would change, change nothing')
    .option('-D, --diff', 'show unified diffs of files that change')
    .option('-l, --limit <pattern>', 'limit to hosts matching a pattern')
    .option('--shard <K/N>', 'run only shard K of N of the selected hosts (after --limit): fan a run out over N runners', shardValue)
    .option('-t, --tags <tags>', 'only run tasks with these tags', csv, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', csv, [])
    .option('-e, --extra-vars <vars>', 'k=v pairs, @file.yaml or JSON (repeatable)', collect, [])
    .option('-f, --forks <n>', 'hosts worked on at once', wholeNumber('--forks', 1), 20)
    .option('--start-at-task <name>', 'start at the task with this name')
    .option('--step', 'confirm each task before it runs')
    .option('--events <file>', 'write a JSON-lines event log')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .option('--timeout <seconds>', 'default per-command timeout', positiveNumber('--timeout'))
    .option('-K, --ask-become-pass', 'ask for the sudo password (kept in memory, never in argv or logs)')
    .addOption(new Option('-v, --verbose', 'show module results (-vvv: the commands they run)').argParser((_v, prev: number) => prev + 1).default(0))
    .option('-F, --ssh-config <file>', 'OpenSSH client config to read instead of ~/.ssh/config')
    .option('-b, --become', 'run the plays as another user (sudo), where they say nothing else')
    .option('--become-user <user>', 'the user to become (default root)')
    .option('-u, --user <user>', 'log in as this user where the inventory names none')
    .option('--syntax-check', 'check the playbook (as drover check) and stop')
    .option('--list-hosts', 'list the hosts each play would run on, and stop')
    .option('--list-tasks', 'list the tasks each play would run, and stop')
    .action(async (playbook: string, o, c: Command) => {
      // ansible.cfg and ANSIBLE_* stand in for flags not given (config-file.ts).
      const cfg = (await import('./config-file.js')).runDefaults(o, (k) => c.getOptionValueSource(k) === 'cli');
      await setVaultFromFlags(o);
      const { runPlaybook } = await import('../engine/run.js');
      const { consoleSink } = await import('../report/console.js');
      const extraVars: string[] = [...o.extraVars];
      if (cfg.askBecomePass) {
        const password = await promptHidden('BECOME password: ', '--ask-become-pass needs a terminal; set ansible_become_password in a vars file instead');
        extraVars.push(JSON.stringify({ ansible_become_password: password }));
      }
      const runOpts = {
        playbook,
        inventory: cfg.inventory,
        rolesPath: cfg.rolesPath,
        become: cfg.become,
        connection: cfg.connection,
        ...(cfg.remoteUser !== undefined ? { remoteUser: cfg.remoteUser } : {}),
        check: o.check,
        diff: o.diff,
        limit: o.limit,
        ...(o.shard ? { shard: o.shard } : {}),
        tags: o.tags,
        skipTags: o.skipTags,
        extraVars,
        forks: cfg.forks,
        startAtTask: o.startAtTask,
        step: o.step,
        eventsFile: o.events,
        taskTimeout: o.timeout,
        verbose: o.verbose,
        argv: process.argv.slice(2),
        sinks: [consoleSink({ out: process.stdout, verbose: o.verbose, diff: Boolean(o.diff), check: Boolean(o.check), ...(o.color === false ? { color: false } : {}) })],
      };
      const listing = o.syntaxCheck ? 'syntax' : o.listHosts ? 'hosts' : o.listTasks ? 'tasks' : undefined;
      if (listing) {
        const { printListing } = await import('./play-listing.js');
        await printListing(listing, runOpts, process.stdout);
        return;
      }
      const summary = await runPlaybook(runOpts);
      process.exitCode = summary.exitCode;
    });
  vaultOptions(cmd);
}

/** Shared by the commands that ask for a password (adhoc.ts imports it from here). */
export { promptHidden };
