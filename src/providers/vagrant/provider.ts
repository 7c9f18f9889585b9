import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabNode, LabProvider, NodeState, NodeStatus, UpResult } from '../select.js';
import { defaultHome } from '../local/config.js';
import { run } from '../local/exec.js';

/**
 * The blog's way: VirtualBox VMs from the top-level Vagrantfile, driven with
 * the real `vagrant` CLI. Turning `vagrant ssh-config` into an inventory is
 * the inventory layer's job (src/inventory/vagrant-ssh-config.ts); the CLI
 * passes that converter in, so this layer imports nothing above it.
 */
export type SshConfigToIni = (sshConfig: string, lab: string) => Promise<string>;

export interface VagrantProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory holding the Vagrantfile (default: $VAGRANT_CWD, else the project root). */
  cwd?: string;
  renderInventory?: SshConfigToIni;
  log?: (msg: string) => void;
}

/** Vagrant's machine states -> drover's three. */
export function toNodeState(vagrantState: string): NodeState {
  if (vagrantState === 'running') return 'running';
  if (vagrantState === 'not_created') return 'absent';
  return 'stopped'; // poweroff, saved, aborted, paused, shutoff ...
}

/** Parse `vagrant status --machine-readable`: machine -> state. */
export function parseMachineReadableStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const f = line.split(',');
    if (f.length >= 4 && f[2] === 'state' && f[1]) out.set(f[1], f[3]!);
  }
  return out;
}

/** The directory with the project's Vagrantfile, walking up from this file. */
export function findVagrantDir(start = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'Vagrantfile'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export class VagrantProvider implements LabProvider {
  readonly name = 'vagrant' as const;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private readonly home: string;
  private readonly renderInventory?: SshConfigToIni;
  private readonly log: (msg: string) => void;

  constructor(opts: VagrantProviderOptions = {}) {
    this.env = opts.env ?? process.env;
    const cwd = opts.cwd ?? this.env.VAGRANT_CWD ?? findVagrantDir();
    if (!cwd) throw new Error('no Vagrantfile found (set VAGRANT_CWD to the directory holding it)');
    this.cwd = cwd;
    this.home = defaultHome(this.env, process.getuid?.());
    this.renderInventory = opts.renderInventory;
    this.log = opts.log ?? ((m) => process.stderr.write(`drover: ${m}\n`));
  }

  /** argv for a vagrant sub-command (VirtualBox named: Debian's vagrant defaults to libvirt). */
  static argv(cmd: 'up' | 'halt' | 'destroy' | 'ssh-config' | 'status', machines: readonly string[]): string[] {
    switch (cmd) {
      case 'up':
        return ['vagrant', 'up', '--provider=virtualbox', ...machines];
      case 'destroy':
        return ['vagrant', 'destroy', '--force', ...machines];
      case 'status':
        return ['vagrant', 'status', '--machine-readable', ...machines];
      default:
        return ['vagrant', cmd, ...machines];
    }
  }

  inventoryPath(lab: string): string {
    return join(this.home, 'vagrant', lab, 'inventory.ini');
  }

  private labFile(lab: string): string {
    return join(this.home, 'vagrant', lab, 'nodes.json');
  }

  private labNames(lab: string): string[] {
    try {
      return JSON.parse(readFileSync(this.labFile(lab), 'utf8')) as string[];
    } catch {
      return [];
    }
  }

  /** Long vagrant steps stream their output to the user. */
  private stream(argv: readonly string[]): Promise<void> {
    return new Promise((res, rej) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.cwd, env: this.env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (e) => rej(new Error(`\`${argv.join(' ')}\` could not start: ${e.message}`)));
      child.on('close', (code) => (code === 0 ? res() : rej(new Error(`\`${argv.join(' ')}\` failed (exit ${code}) in ${this.cwd}`))));
    });
  }

  private async states(names: readonly string[]): Promise<Map<string, string>> {
    const r = await run(VagrantProvider.argv('status', names), { cwd: this.cwd, env: this.env as Record<string, string> });
    return parseMachineReadableStatus(r.stdout);
  }

  async up(lab: string, nodes: readonly LabNode[]): Promise<UpResult> {
    const names = nodes.map((n) => n.name);
    mkdirSync(dirname(this.labFile(lab)), { recursive: true });
    writeFileSync(this.labFile(lab), JSON.stringify(names) + '\n');
    const before = await this.states(names);
    const toStart = names.filter((n) => before.get(n) !== 'running');
    const t0 = Date.now();
    if (toStart.length) await this.stream(VagrantProvider.argv('up', toStart));
    const timings: Record<string, number> = { vagrantUp: Date.now() - t0 };
    const sshConfig = (await run(VagrantProvider.argv('ssh-config', names), { cwd: this.cwd, env: this.env as Record<string, string> })).stdout;
    if (!this.renderInventory) throw new Error('VagrantProvider needs an inventory renderer (renderInventory)');
    const inv = this.inventoryPath(lab);
    const tmp = `${inv}.tmp-${process.pid}`;
    writeFileSync(tmp, await this.renderInventory(sshConfig, lab));
    renameSync(tmp, inv);
    return { inventory: inv, started: toStart, timings };
  }

  async down(lab: string): Promise<void> {
    const names = this.labNames(lab);
    if (names.length) await this.stream(VagrantProvider.argv('halt', names));
  }

  async destroy(lab: string): Promise<void> {
    const names = this.labNames(lab);
    if (names.length) await this.stream(VagrantProvider.argv('destroy', names));
  }

  async status(lab?: string): Promise<NodeStatus[]> {
    const labs = lab ? [lab] : [];
    if (!lab) {
      try {
        const { readdirSync } = await import('node:fs');
        labs.push(...readdirSync(join(this.home, 'vagrant')));
      } catch {
        /* no labs yet */
      }
    }
    const out: NodeStatus[] = [];
    for (const l of labs) {
      const names = this.labNames(l);
      if (!names.length) continue;
      const states = await this.states(names);
      for (const n of names) out.push({ lab: l, name: n, state: toNodeState(states.get(n) ?? 'not_created') });
    }
    return out;
  }

  async sshCommand(_lab: string, node: string): Promise<string[]> {
    return ['env', `VAGRANT_CWD=${this.cwd}`, 'vagrant', 'ssh', node];
  }
}
