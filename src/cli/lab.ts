import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT, InputError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/project-root.js';
import type { RunOptions, RunSummary } from '../engine/api.js';
import { comparePrediction } from '../engine/prediction.js';
import type { LabNode, LabProvider, NodeStatus } from '../providers/types.js';
import type { VagrantInventoryExtra } from '../providers/vagrant/provider.js';
import { wholeNumber } from './flag-values.js';
import { setVaultFromFlags, vaultOptions, type VaultFlags } from './vault-options.js';

const collect = (v: string, acc: string[]) => [...acc, v];
const csv = (v: string, acc: string[]) => [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/**
 * `vagrant ssh-config` output -> the lab's INI inventory (the inventory layer
 * does the parsing), with what the provider learned about the machines:
 * management addresses, node-kind settings, each node's VM-network interface.
 */
export async function vagrantInventoryIni(sshConfig: string, lab: string, extra: VagrantInventoryExtra): Promise<string> {
  const { inventoryFromSshConfig, renderIni } = await import('../inventory/vagrant-ssh-config.js');
  const inv = inventoryFromSshConfig(sshConfig, { mgmtIps: extra.mgmtIps });
  Object.assign(inv.allVars, extra.allVars);
  for (const h of inv.hosts) Object.assign(h.vars, extra.hostVars[h.name] ?? {});
  return renderIni(inv, `Written by drover from \`vagrant ssh-config\` for lab ${lab}.`);
}

type DoOptions = NonNullable<import('../providers/select.js').SelectOptions['digitalocean']>;

/** The provider chosen by `--provider`, else DROVER_PROVIDER, else what this machine has. */
async function provider(flag?: string, digitalocean: DoOptions = {}): Promise<LabProvider> {
  const { selectProvider } = await import('../providers/select.js');
  // Deleting droplets is asked on the terminal (or --yes), as `drover droplet down` does.
  const confirm = async (question: string) => {
    const { promptLine } = await import('./prompt.js');
    return (await promptLine(question, 'refusing to delete droplets without confirmation: stdin is not a terminal; pass --yes')).trim().toLowerCase() === 'yes';
  };
  return selectProvider(process.env, { renderVagrantInventory: vagrantInventoryIni, provider: flag, digitalocean: { confirm, ...digitalocean } });
}

const PROVIDER_HELP = 'where the nodes run: local, vagrant, vagrant:virtualbox|libvirt|docker or digitalocean (default: $DROVER_PROVIDER, else Vagrant where VirtualBox is installed, else local)';

/** The nodes a lab needs; an unknown lab is bad input. */
async function nodesFor(lab: string): Promise<readonly LabNode[]> {
  const { labNodes, LAB_NODES } = await import('../providers/select.js');
  const nodes = labNodes(lab);
  if (!nodes) throw new InputError(`unknown lab "${lab}"`, undefined, `known labs: ${Object.keys(LAB_NODES).join(', ')}`);
  return nodes;
}

/** labs/LAB/site.yaml (or another of its playbooks): in the current directory if it has one, else the project's own. */
function labPlaybook(lab: string, file = 'site.yaml'): string {
  const found = findLabFile(lab, file);
  if (found) return found;
  throw new InputError(`lab ${lab} has no playbook`, undefined, `expected labs/${lab}/${file} here or in ${PROJECT_ROOT}`);
}

function findLabFile(lab: string, file: string): string | undefined {
  return [process.cwd(), PROJECT_ROOT].map((base) => join(base, 'labs', lab, file)).find((p) => existsSync(p));
}

/** The roles a lab may use: drover's own (roles/ at the project root). */
const LAB_ROLES = [join(PROJECT_ROOT, 'roles')];

/**
 * Verifying runs the verify/ tasks of the lab's roles; a lab without any
 * would "pass" having checked nothing, so that is an error.
 */
async function requireVerifyTasks(lab: string): Promise<void> {
  await import('../modules/index.js');
  const { loadPlaybook } = await import('../playbook/index.js');
  const playbook = loadPlaybook(labPlaybook(lab), { rolesPath: LAB_ROLES });
  if (playbook.plays.some((p) => p.verifyTasks.length > 0)) return;
  throw new InputError(`lab ${lab} has nothing to verify: no role it uses has verify/ tasks`, undefined, `give a role in labs/${lab}/site.yaml a verify/main.yaml`);
}

function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${Math.round(n / (1 << 20))} MiB`;
}

function formatUptime(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatStatus(rows: readonly NodeStatus[]): string {
  const table = [
    ['LAB', 'NODE', 'STATE', 'IP', 'MEMORY', 'UPTIME'],
    ...rows.map((r) => [r.lab, r.name, r.state, r.ip ?? '-', formatBytes(r.memoryBytes), formatUptime(r.uptimeSec)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Bring the lab's nodes up if needed and return its inventory. Labs without nodes run on this machine. */
async function ensureLab(lab: string, providerFlag?: string): Promise<string> {
  const nodes = await nodesFor(lab);
  if (nodes.length === 0) {
    const own = join(dirname(labPlaybook(lab)), 'inventory.ini');
    if (existsSync(own)) return own;
    const inv = resolve('.drover', 'labs', lab, 'inventory.ini');
    mkdirSync(dirname(inv), { recursive: true });
    writeFileSync(inv, `# Written by drover: lab ${lab} runs on this machine.\nlocalhost ansible_connection=local\n`);
    return inv;
  }
  const p = await provider(providerFlag);
  const r = await p.up(lab, nodes);
  if (r.started.length) process.stderr.write(`drover: lab ${lab} up (${r.started.join(', ')}); inventory ${r.inventory}\n`);
  return r.inventory;
}

interface PlayFlags extends VaultFlags {
  extraVars: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  events?: string;
  verbose: number;
  diff?: boolean;
  provider?: string;
}

async function play(lab: string, inventory: string, flags: PlayFlags, extra: Partial<RunOptions>, title?: string, file = 'site.yaml'): Promise<RunSummary> {
  const { runPlaybook } = await import('../engine/run.js');
  const { consoleSink } = await import('../report/console.js');
  if (title) process.stdout.write(`\n== ${title}\n`);
  return runPlaybook({
    playbook: labPlaybook(lab, file),
    inventory: [inventory],
    extraVars: flags.extraVars,
    limit: flags.limit,
    tags: flags.tags,
    skipTags: flags.skipTags,
    forks: flags.forks,
    eventsFile: flags.events,
    verbose: flags.verbose,
    diff: flags.diff,
    // A lab asks for drover's own roles (roles/ at the project root); a user's playbook never gets them implicitly.
    rolesPath: LAB_ROLES,
    ...extra,
    sinks: [consoleSink({ out: process.stdout, verbose: flags.verbose, diff: Boolean(flags.diff), check: Boolean(extra.check) })],
  });
}

function playOptions(cmd: Command): Command {
  cmd
    .option('-e, --extra-vars <vars>', 'k=v pairs, @file.yaml or JSON (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'limit to hosts matching a pattern')
    .option('-t, --tags <tags>', 'only run tasks with these tags', csv, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags', csv, [])
    .option('-f, --forks <n>', 'hosts worked on at once', wholeNumber('--forks', 1), 20)
    .option('--events <file>', 'write a JSON-lines event log')
    .option('-D, --diff', 'show unified diffs of files that change')
    .option('--provider <provider>', PROVIDER_HELP)
    .addOption(new Option('-v, --verbose', 'show commands (-vv: results too)').argParser((_v, prev: number) => prev + 1).default(0));
  return vaultOptions(cmd);
}

function listTasks(tasks: RunSummary['changed']): string {
  return tasks.map((t) => `  - ${t.host}: ${t.task}${t.where ? ` (${t.where})` : ''}`).join('\n');
}

/**
 * Molecule's sequence, built in, with check mode held to its word: check mode
 * first (on fresh nodes it predicts the whole converge: every task it says
 * will change must change, every task that changes must have been predicted
 * or called unknown), converge, converge again (must change nothing), check
 * mode (must predict nothing to change), verify.
 */
async function testLab(lab: string, flags: PlayFlags): Promise<number> {
  await requireVerifyTasks(lab);
  const inventory = await ensureLab(lab, flags.provider);
  const predicted = await play(lab, inventory, flags, { mode: 'converge', check: true }, `check mode: what the converge will change (1/5)`);
  if (predicted.exitCode !== EXIT.ok) return fail(`check mode before the converge failed`, predicted.exitCode);
  const converge = await play(lab, inventory, flags, { mode: 'converge' }, `converge: as check mode predicted (2/5)`);
  if (converge.exitCode !== EXIT.ok) return fail(`converge failed`, converge.exitCode);
  const miss = comparePrediction(predicted, converge);
  if (miss.over.length || miss.under.length) {
    const over = miss.over.length ? `\npredicted to change, changed nothing (${miss.over.length}):\n${listTasks(miss.over)}` : '';
    const under = miss.under.length ? `\nchanged, predicted to change nothing (${miss.under.length}):\n${listTasks(miss.under)}` : '';
    return fail(`check mode did not predict the converge:${over}${under}`, EXIT.taskFailed);
  }
  const again = await play(lab, inventory, flags, { mode: 'converge' }, `converge again: nothing may change (3/5)`);
  if (again.exitCode !== EXIT.ok) return fail(`second converge failed`, again.exitCode);
  if (again.changed.length) return fail(`not idempotent: the second converge changed ${again.changed.length} task(s):\n${listTasks(again.changed)}`, EXIT.taskFailed);
  const check = await play(lab, inventory, flags, { mode: 'converge', check: true }, `check mode: nothing may be predicted to change (4/5)`);
  if (check.exitCode !== EXIT.ok) return fail(`check mode failed`, check.exitCode);
  if (check.changed.length) return fail(`check mode predicts ${check.changed.length} change(s) on converged nodes:\n${listTasks(check.changed)}`, EXIT.taskFailed);
  if (check.unknown.length) process.stderr.write(`drover: check mode could not predict ${check.unknown.length} task(s):\n${listTasks(check.unknown)}\n`);
  const verify = await play(lab, inventory, flags, { mode: 'verify' }, `verify (5/5)`);
  if (verify.exitCode !== EXIT.ok) return fail(`verify failed`, verify.exitCode);
  process.stdout.write(`\nlab ${lab}: converged as check mode predicted, idempotent, check mode clean, verified\n`);
  return EXIT.ok;
}

/**
 * A lab without nodes (tls1..tls3) runs on this machine: destroying it stops
 * what it started, with its labs/LAB/teardown.yaml. False for a lab with nodes.
 */
async function teardownLocalLab(lab: string, extraVars: string[]): Promise<boolean> {
  if ((await nodesFor(lab)).length > 0) return false;
  if (!findLabFile(lab, 'teardown.yaml')) {
    process.stdout.write(`lab ${lab} runs on this machine and has nothing to tear down\n`);
    return true;
  }
  const inventory = await ensureLab(lab);
  const s = await play(lab, inventory, { extraVars, tags: [], skipTags: [], forks: 1, verbose: 0 }, { mode: 'converge' }, undefined, 'teardown.yaml');
  process.exitCode = s.exitCode;
  return true;
}

function fail(msg: string, code: number): number {
  process.stderr.write(`drover lab test: ${msg}\n`);
  return code || EXIT.taskFailed;
}

/** Registers `drover lab`: nodes for the blog's labs, and running/testing the labs on them. */
export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('lab nodes (local containers, Vagrant machines: VirtualBox, libvirt, docker, or DigitalOcean droplets) and the labs that run on them');

  lab
    .command('up')
    .description('create and boot the lab\'s nodes (running nodes are left alone)')
    .argument('[lab]', 'lab name', 'lab1')
    .option('--provider <provider>', PROVIDER_HELP)
    .option('--dry-run', 'digitalocean: print what the lab costs per hour and month and what would be created; change nothing')
    .option('--region <slug>', 'digitalocean: datacenter (default: $DROVER_DO_REGION, else fra1)')
    .option('--size <slug>', 'digitalocean: droplet size for every node (default: $DROVER_DO_SIZE, else s-4vcpu-8gb for the controller, s-2vcpu-4gb for computes)')
    .option('--image <slug>', 'digitalocean: image (default: $DROVER_DO_IMAGE, else debian-12-x64)')
    .action(async (name: string, o: { provider?: string; dryRun?: boolean; region?: string; size?: string; image?: string }) => {
      const nodes = await nodesFor(name);
      if (nodes.length === 0) {
        process.stdout.write(`lab ${name} needs no nodes: it runs on this machine\n`);
        return;
      }
      const p = await provider(o.provider, { settings: { region: o.region, size: o.size, image: o.image } });
      if (o.dryRun) {
        if (!p.dryRun) throw new InputError(`--dry-run: the ${p.name} provider has nothing to price or plan`, undefined, 'it is for --provider digitalocean');
        process.stdout.write((await p.dryRun(name, nodes)).join('\n') + '\n');
        return;
      }
      const t0 = Date.now();
      const r = await p.up(name, nodes);
      const steps = Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`).join(', ');
      process.stdout.write(
        (r.started.length ? `started ${r.started.join(', ')}` : 'all nodes were already running') +
          ` (${p.name} provider, ${((Date.now() - t0) / 1000).toFixed(1)}s${steps ? `: ${steps}` : ''})\n` +
          `inventory: ${r.inventory}\n` +
          formatStatus(await p.status(name)),
      );
    });

  lab
    .command('down')
    .description('stop the lab\'s nodes cleanly (their disks are kept); on DigitalOcean: destroy them (stopped droplets are billed)')
    .argument('[lab]', 'lab name (default: every lab with nodes)')
    .option('--provider <provider>', PROVIDER_HELP)
    .option('-y, --yes', 'digitalocean: delete without asking')
    .action(async (name: string | undefined, o: { provider?: string; yes?: boolean }) => {
      const p = await provider(o.provider, { yes: o.yes });
      const labs = name ? [name] : [...new Set((await p.status()).map((s) => s.lab))];
      for (const l of labs) await p.down(l);
    });

  lab
    .command('destroy')
    .description('remove the lab\'s nodes (the cached base image and apt cache are kept); a lab on this machine runs its labs/LAB/teardown.yaml')
    .argument('<lab>', 'lab name')
    .option('-e, --extra-vars <vars>', 'a lab on this machine: k=v pairs, @file.yaml or JSON for its teardown (repeatable)', collect, [])
    .option('--provider <provider>', PROVIDER_HELP)
    .option('-y, --yes', 'digitalocean: delete without asking')
    .action(async (name: string, o: { provider?: string; yes?: boolean; extraVars: string[] }) => {
      if (await teardownLocalLab(name, o.extraVars)) return;
      await (await provider(o.provider, { yes: o.yes })).destroy(name);
    });

  lab
    .command('status')
    .description('node state, address, memory and uptime')
    .argument('[lab]', 'lab name (default: all)')
    .option('--json', 'machine-readable output')
    .option('--provider <provider>', PROVIDER_HELP)
    .action(async (name: string | undefined, o: { json?: boolean; provider?: string }) => {
      const rows = await (await provider(o.provider)).status(name);
      if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else if (rows.length === 0) process.stdout.write('no lab nodes\n');
      else process.stdout.write(formatStatus(rows));
    });

  lab
    .command('ssh')
    .description('open a shell on a node (strict host keys, the lab\'s key)')
    .argument('<node>', 'node name, e.g. controller')
    .argument('[command...]', 'command to run instead of a shell')
    .option('--lab <lab>', 'lab the node belongs to (default: the one where it runs)')
    .option('--provider <provider>', PROVIDER_HELP)
    .action(async (node: string, command: string[], o: { lab?: string; provider?: string }) => {
      const p = await provider(o.provider);
      let labName = o.lab;
      if (!labName) {
        const rows = (await p.status()).filter((s) => s.name === node);
        labName = (rows.find((r) => r.state === 'running') ?? rows[0])?.lab;
        if (!labName) throw new InputError(`no lab has a node named ${node}`, undefined, 'see `drover lab status`');
      }
      const argv = [...(await p.sshCommand(labName, node)), ...command];
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      process.exitCode = r.status ?? EXIT.usage;
    });

  playOptions(
    lab
      .command('run')
      .description('bring the lab up if needed and play labs/LAB/site.yaml on it')
      .argument('<lab>', 'lab name')
      .option('-C, --check', 'plan only: report what would change, change nothing'),
  ).action(async (name: string, o: PlayFlags & { check?: boolean }) => {
    await setVaultFromFlags(o);
    const inventory = await ensureLab(name, o.provider);
    const s = await play(name, inventory, o, { mode: 'converge', check: o.check });
    process.exitCode = s.exitCode;
  });

  playOptions(
    lab
      .command('test')
      .description('converge, converge again (no changes allowed), check mode (no changes predicted), verify'),
  )
    .argument('<lab>', 'lab name')
    .action(async (name: string, o: PlayFlags) => {
      await setVaultFromFlags(o);
      process.exitCode = await testLab(name, o);
    });

  playOptions(
    lab.command('verify').description('run the roles\' verify tasks (what the blog tells the reader to check)'),
  )
    .argument('<lab>', 'lab name')
    .action(async (name: string, o: PlayFlags) => {
      await setVaultFromFlags(o);
      await requireVerifyTasks(name);
      const inventory = await ensureLab(name, o.provider);
      const s = await play(name, inventory, o, { mode: 'verify' });
      process.exitCode = s.exitCode;
    });
}
