import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/local-files.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabNode, LabProvider, NodeState, NodeStatus, UpResult } from '../types.js';
import { ensureProxy, stopProxy } from '../local/apt-proxy.js';
import { addressInSubnet, defaultHome, loadConfig } from '../local/config.js';
import { ensureHostPackages } from '../local/host-setup.js';
import { run } from '../local/exec.js';
import { DOCKER_IMAGE, ensureDockerImage } from './docker-image.js';
import { GUEST_LINKS_COMMAND, parseGuestLinks, vmNetworkDevice } from './guest-network.js';
import { stepTimer } from '../step-timer.js';

/**
 * The blog's way: VirtualBox VMs from the top-level Vagrantfile, driven with
 * the real `vagrant` CLI. Turning `vagrant ssh-config` into an inventory is
 * the inventory layer's job (src/inventory/vagrant-ssh-config.ts); the CLI
 * passes that converter in, so this layer imports nothing above it.
 */
export type SshConfigToIni = (sshConfig: string, lab: string, extra: VagrantInventoryExtra) => Promise<string>;

/** What the provider knows about the machines and `vagrant ssh-config` does not. */
export interface VagrantInventoryExtra {
  /** Node -> management address (the Vagrantfile's private_network). */
  mgmtIps: Record<string, string>;
  /** Settings every host shares ([all:vars]). */
  allVars: Record<string, string>;
  /** Per-host settings. */
  hostVars: Record<string, Record<string, string>>;
}

/** The Vagrant providers the Vagrantfile configures, the blog's first. */
export const VAGRANT_PROVIDERS = ['virtualbox', 'libvirt', 'docker'] as const;
export type VagrantProviderName = (typeof VAGRANT_PROVIDERS)[number];

/** The Vagrantfile's management network (upstream: vboxnet0, 192.168.1.0/24). */
export const VAGRANT_MGMT_NETWORK = '192.168.1.0';

/**
 * Node-kind settings for the roles, by the Vagrant provider the machine runs
 * on: containers cannot boot instances (nova's fake driver, as on local
 * nodes) nor load Open vSwitch (Neutron's Linux-bridge agent), VMs use
 * libvirt and Open vSwitch as in the blog. Roles choose by these variables,
 * never by hostname or provider.
 */
export function nodeKindVars(provider: string): Record<string, string> {
  return provider === 'docker'
    ? // Docker owns a container's interfaces and brings them up itself.
      { lab_node_kind: 'container', compute_driver: 'fake.FakeDriver', vm_network_device_config: 'none', neutron_mechanism_driver: 'linuxbridge' }
    : { lab_node_kind: 'vm', compute_driver: 'libvirt.LibvirtDriver', neutron_mechanism_driver: 'openvswitch' };
}

export interface VagrantProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory holding the Vagrantfile (default: $VAGRANT_CWD, else the project root). */
  cwd?: string;
  renderInventory?: SshConfigToIni;
  /** `--provider` for `vagrant up`; unset: Vagrant's own rules (VAGRANT_DEFAULT_PROVIDER, the Vagrantfile's order). */
  vagrantProvider?: VagrantProviderName;
  log?: (msg: string) => void;
}

/** Vagrant's machine states -> drover's three. */
export function toNodeState(vagrantState: string): NodeState {
  if (vagrantState === 'running') return 'running';
  if (vagrantState === 'not_created') return 'absent';
  return 'stopped'; // poweroff, saved, aborted, paused, shutoff ...
}

/** Parse `vagrant status --machine-readable`: machine -> state (or -> provider with kind 'provider-name'). */
export function parseMachineReadableStatus(text: string, kind: 'state' | 'provider-name' = 'state'): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const f = line.split(',');
    if (f.length >= 4 && f[2] === kind && f[1]) out.set(f[1], f[3]!);
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
  private readonly vagrantProvider?: VagrantProviderName;
  private readonly log: (msg: string) => void;

  constructor(opts: VagrantProviderOptions = {}) {
    const env = opts.env ?? process.env;
    const cwd = opts.cwd ?? env.VAGRANT_CWD ?? findVagrantDir();
    if (!cwd) throw new Error('no Vagrantfile found (set VAGRANT_CWD to the directory holding it)');
    this.cwd = cwd;
    this.vagrantProvider = opts.vagrantProvider;
    // A chosen provider is Vagrant's default for every command, not only `up`: for a
    // machine not created yet, `destroy`/`halt` load the default provider (libvirt where
    // vagrant-libvirt is installed, which fails without libvirtd).
    const chosen = opts.vagrantProvider ? { ...env, VAGRANT_DEFAULT_PROVIDER: opts.vagrantProvider } : env;
    // The docker provider boots drover's image unless the user named another.
    this.env = this.effectiveProvider(chosen) === 'docker' && !chosen.DROVER_DOCKER_IMAGE ? { ...chosen, DROVER_DOCKER_IMAGE: DOCKER_IMAGE } : chosen;
    this.home = defaultHome(env, process.getuid?.());
    this.renderInventory = opts.renderInventory;
    this.log = opts.log ?? ((m) => process.stderr.write(`drover: ${m}\n`));
  }

  /** The provider `vagrant up` will use when it is known before the machines exist. */
  private effectiveProvider(env: NodeJS.ProcessEnv): string | undefined {
    return this.vagrantProvider ?? env.VAGRANT_DEFAULT_PROVIDER;
  }

  /** argv for a vagrant sub-command; `up` names the provider only when one was chosen. */
  static argv(cmd: 'up' | 'halt' | 'destroy' | 'ssh-config' | 'status', machines: readonly string[], provider?: string): string[] {
    switch (cmd) {
      case 'up':
        return ['vagrant', 'up', ...(provider ? [`--provider=${provider}`] : []), ...machines];
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

  /** `vagrant ssh-config` as written at the last `up`: plain `ssh -F` is much faster than `vagrant ssh`. */
  private sshConfigPath(lab: string): string {
    return join(this.home, 'vagrant', lab, 'ssh_config');
  }

  private labFile(lab: string): string {
    return join(this.home, 'vagrant', lab, 'nodes.json');
  }

  /** apt-cacher-ng for docker machines (the blog's apt cache): one cache, reused across labs and runs. */
  private proxyDir(): string {
    return join(this.home, 'vagrant', 'apt-cacher-ng');
  }

  /**
   * Containers reach the host on docker0; an apt proxy there saves each
   * machine downloading the same packages. Returns the node_setup settings
   * that point apt at it (the blog's use_apt_proxy / apt_proxy_url).
   */
  private async dockerAptProxy(): Promise<Record<string, string>> {
    const r = await run(['ip', '-o', '-4', 'addr', 'show', 'dev', 'docker0'], { allowFail: true });
    const ip = /\binet\s+([\d.]+)\//.exec(r.stdout)?.[1];
    if (!ip) {
      this.log('docker0 has no IPv4 address: the machines download packages directly (no apt proxy)');
      return {};
    }
    const cfg = loadConfig(this.env);
    await ensureHostPackages(this.log);
    await ensureProxy({ dir: this.proxyDir(), bridgeIp: ip, port: cfg.proxyPort, mirror: cfg.mirror });
    return { use_apt_proxy: 'true', apt_proxy_url: `http://${ip}:${cfg.proxyPort}` };
  }

  /**
   * The saved ssh-config is still right when no machine was created after it
   * was written (Vagrant writes machines/NAME/PROVIDER/id when it creates one).
   */
  private savedConfigCurrent(cfgPath: string, names: readonly string[]): boolean {
    let written: number;
    try {
      written = statSync(cfgPath).mtimeMs;
    } catch {
      return false;
    }
    const dotfile = this.env.VAGRANT_DOTFILE_PATH ? resolve(this.cwd, this.env.VAGRANT_DOTFILE_PATH) : join(this.cwd, '.vagrant');
    for (const name of names) {
      let providers: string[];
      try {
        providers = readdirSync(join(dotfile, 'machines', name));
      } catch {
        return false;
      }
      for (const p of providers) {
        try {
          if (statSync(join(dotfile, 'machines', name, p, 'id')).mtimeMs > written) return false;
        } catch {
          /* not created with this provider */
        }
      }
    }
    return true;
  }

  /** The lab's machines and management addresses, as the last `up` recorded them. */
  private labMachines(lab: string): Array<{ name: string; ip?: string }> {
    try {
      const list = JSON.parse(readFileSync(this.labFile(lab), 'utf8')) as Array<string | { name: string; ip?: string }>;
      return list.map((m) => (typeof m === 'string' ? { name: m } : m)); // a plain name: written by an older drover
    } catch {
      return [];
    }
  }

  private labNames(lab: string): string[] {
    return this.labMachines(lab).map((m) => m.name);
  }

  private vagrant(argv: readonly string[]) {
    return run(argv, { cwd: this.cwd, env: this.env as Record<string, string> });
  }

  /** Long vagrant steps stream their output to the user. */
  private stream(argv: readonly string[]): Promise<void> {
    return new Promise((res, rej) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.cwd, env: this.env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (e) => rej(new Error(`\`${argv.join(' ')}\` could not start: ${e.message}`)));
      child.on('close', (code) => (code === 0 ? res() : rej(new Error(`\`${argv.join(' ')}\` failed (exit ${code}) in ${this.cwd}`))));
    });
  }

  private async statusText(names: readonly string[]): Promise<string> {
    return (await this.vagrant(VagrantProvider.argv('status', names))).stdout;
  }

  /** The VM-network interface of each node, read from the guest (see guest-network.ts). */
  private async vmNetworkDevices(sshConfig: string, mgmtIps: Record<string, string>): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    await Promise.all(
      Object.entries(mgmtIps).map(async ([node, ip]) => {
        const r = await run(['ssh', '-F', sshConfig, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', node, GUEST_LINKS_COMMAND], { env: this.env as Record<string, string>, allowFail: true });
        const dev = r.rc === 0 ? vmNetworkDevice(parseGuestLinks(r.stdout), ip) : undefined;
        if (dev) out[node] = dev;
        else this.log(`${node}: no single VM-network interface found (${r.rc === 0 ? 'ip link shows none or several' : `ssh failed: ${r.stderr.trim()}`}); vm_network_device stays unset`);
      }),
    );
    return out;
  }

  async up(lab: string, nodes: readonly LabNode[]): Promise<UpResult> {
    if (!this.renderInventory) throw new Error('VagrantProvider needs an inventory renderer (renderInventory)');
    const names = nodes.map((n) => n.name);
    const mgmtIps = Object.fromEntries(nodes.map((n) => [n.name, addressInSubnet(VAGRANT_MGMT_NETWORK, n.hostOctet)]));
    mkdirSync(dirname(this.labFile(lab)), { recursive: true });
    writeFileSync(this.labFile(lab), JSON.stringify(names.map((name) => ({ name, ip: mgmtIps[name] }))) + '\n');
    const { timings, timed } = stepTimer();
    const beforeText = await this.statusText(names);
    const before = parseMachineReadableStatus(beforeText);
    const toStart = names.filter((n) => before.get(n) !== 'running');
    if (toStart.length && this.effectiveProvider(this.env) === 'docker') {
      await timed('dockerImage', () => ensureDockerImage(this.env, this.log, this.env.DROVER_DOCKER_IMAGE));
    }
    if (toStart.length) await timed('vagrantUp', () => this.stream(VagrantProvider.argv('up', toStart, this.vagrantProvider)));
    // Each vagrant command starts Ruby and its plugins (seconds): machines that were all
    // running already keep their provider and the ssh-config saved at their start.
    const providers = parseMachineReadableStatus(toStart.length ? await this.statusText(names) : beforeText, 'provider-name');
    const cfgPath = this.sshConfigPath(lab);
    const saved = toStart.length === 0 && this.savedConfigCurrent(cfgPath, names) ? readFileSync(cfgPath, 'utf8') : undefined;
    const sshConfig = saved ?? (await this.vagrant(VagrantProvider.argv('ssh-config', names))).stdout;
    if (saved === undefined) writeFileAtomic(cfgPath, sshConfig);
    const devices = await timed('probe', () => this.vmNetworkDevices(cfgPath, mgmtIps));
    const kinds = new Set(names.map((n) => providers.get(n) ?? 'unknown'));
    if (kinds.size !== 1) throw new Error(`lab ${lab}'s machines run on different Vagrant providers (${[...kinds].join(', ')}): destroy them and bring them up with one`);
    const kind = [...kinds][0]!;
    const allVars = { ...nodeKindVars(kind), ...(kind === 'docker' ? await timed('aptProxy', () => this.dockerAptProxy()) : {}) };
    const hostVars: Record<string, Record<string, string>> = {};
    for (const [n, dev] of Object.entries(devices)) hostVars[n] = { vm_network_device: dev };
    writeFileAtomic(this.inventoryPath(lab), await this.renderInventory(sshConfig, lab, { mgmtIps, allVars, hostVars }));
    return { inventory: this.inventoryPath(lab), started: toStart, timings };
  }

  async down(lab: string): Promise<void> {
    const names = this.labNames(lab);
    if (names.length) await this.stream(VagrantProvider.argv('halt', names));
  }

  async destroy(lab: string): Promise<void> {
    const names = this.labNames(lab);
    if (names.length) await this.stream(VagrantProvider.argv('destroy', names));
    if (await stopProxy(this.proxyDir())) this.log('stopped apt-cacher-ng (its cache is kept)');
  }

  async status(lab?: string): Promise<NodeStatus[]> {
    const labs = lab ? [lab] : [];
    if (!lab) {
      try {
        labs.push(...readdirSync(join(this.home, 'vagrant')));
      } catch {
        /* no labs yet */
      }
    }
    const out: NodeStatus[] = [];
    for (const l of labs) {
      const machines = this.labMachines(l);
      if (!machines.length) continue;
      const states = parseMachineReadableStatus(await this.statusText(machines.map((m) => m.name)));
      for (const m of machines) {
        const state = toNodeState(states.get(m.name) ?? 'not_created');
        out.push({ lab: l, name: m.name, state, ...(m.ip && state !== 'absent' ? { ip: m.ip } : {}) });
      }
    }
    return out;
  }

  async sshCommand(lab: string, node: string): Promise<string[]> {
    const cfg = this.sshConfigPath(lab);
    if (existsSync(cfg)) return ['ssh', '-F', cfg, node];
    return ['env', `VAGRANT_CWD=${this.cwd}`, 'vagrant', 'ssh', node, '--'];
  }
}
