import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/local-files.js';
import { dirname, join } from 'node:path';
import type { LabNode, LabProvider, NodeStatus, UpResult } from '../types.js';
import { VM_NETWORK_DEVICE, addressInSubnet, loadConfig, paths, vmVethName, type LocalConfig, type Paths } from './config.js';
import { processAlive, run, sleep } from './exec.js';
import {
  HostSetupError,
  ensureBridge,
  ensureFirewall,
  ensureHostPackages,
  ensureVmBridge,
  removeFirewall,
  requireRoot,
} from './host-setup.js';
import type { BridgeFirewall } from './firewall.js';
import { ensureProxy, stopProxy } from './apt-proxy.js';
import { ensureBaseImage } from './base-image.js';
import { cgroupMemory, localNodeCgroups, type NodeCgroups } from './cgroups.js';
import {
  bootedAt,
  createNode,
  hostPublicKeys,
  nodeExists,
  removeNode,
  startNode,
  stopNode,
  supervisorPid,
  treeMemory,
  waitForSsh,
  type NodeContext,
} from './node.js';
import { SUPERVISOR_SCRIPT, inventoryIni, knownHostsLines, type PlacedNode } from './node-files.js';
import { stepTimer } from '../step-timer.js';

/** What a lab's state dir remembers about it (lab.json). */
interface LabRecord {
  lab: string;
  nodes: PlacedNode[];
}

export interface LocalProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress messages (default: stderr). */
  log?: (msg: string) => void;
}

/** Write a file atomically, creating its directory first. */
function writeAtomic(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, text, mode);
}

/** The cgroups recorded for a node when it was last started. */
function readNodeCgroups(nodeDir: string): NodeCgroups {
  try {
    return JSON.parse(readFileSync(join(nodeDir, 'cgroups.json'), 'utf8')) as NodeCgroups;
  } catch {
    return { dirs: [] };
  }
}

/**
 * Lab nodes as systemd-nspawn containers booted with systemd, on a bridge,
 * apt through apt-cacher-ng, unpacked from a cached Debian base. State lives
 * under $DROVER_HOME (default /var/lib/drover): labs/LAB/{nodes,inventory.ini,
 * known_hosts,id_ed25519}, cache/ (base tarball), apt-cacher-ng/.
 */
export class LocalProvider implements LabProvider {
  readonly name = 'local' as const;
  readonly cfg: LocalConfig;
  readonly paths: Paths;
  private readonly log: (msg: string) => void;

  constructor(opts: LocalProviderOptions = {}) {
    this.cfg = loadConfig(opts.env ?? process.env);
    this.paths = paths(this.cfg);
    this.log = opts.log ?? ((m) => process.stderr.write(`drover: ${m}\n`));
  }

  inventoryPath(lab: string): string {
    return this.paths.inventory(lab);
  }

  /** Place the lab's nodes on the configured subnet. */
  place(nodes: readonly LabNode[]): PlacedNode[] {
    return nodes.map((n) => ({ name: n.name, group: n.group, ip: addressInSubnet(this.cfg.network, n.hostOctet) }));
  }

  private readLab(lab: string): LabRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.paths.labSpec(lab), 'utf8')) as LabRecord;
    } catch {
      return undefined;
    }
  }

  /** Labs that have a state dir. */
  labs(): string[] {
    try {
      return readdirSync(this.paths.labsDir).filter((l) => this.readLab(l) !== undefined).sort();
    } catch {
      return [];
    }
  }

  /** The bridges whose traffic drover's firewall rules let through. */
  get firewall(): BridgeFirewall {
    return { bridge: this.cfg.bridge, vmBridge: this.cfg.vmBridge, proxyPort: this.cfg.proxyPort };
  }

  private nodeCtx(lab: string, node: PlacedNode, all: readonly PlacedNode[], publicKey: string): NodeContext {
    const machineName = this.cfg.machinePrefix + node.name;
    return {
      dir: this.paths.nodeDir(lab, node.name),
      node,
      all,
      prefix: this.cfg.prefix,
      bridge: this.cfg.bridge,
      bridgeIp: this.cfg.bridgeIp,
      proxyPort: this.cfg.proxyPort,
      publicKey,
      supervisorScript: this.paths.supervisorScript,
      machineName,
      vm: { bridge: this.cfg.vmBridge, veth: vmVethName(machineName), device: VM_NETWORK_DEVICE },
    };
  }

  /** Running nodes of other labs that would clash with these addresses or veth names. */
  private clashes(lab: string, nodes: readonly PlacedNode[]): string[] {
    const out: string[] = [];
    for (const other of this.labs()) {
      if (other === lab) continue;
      for (const n of this.readLab(other)!.nodes) {
        if (supervisorPid(this.paths.nodeDir(other, n.name)) === undefined) continue;
        if (nodes.some((m) => m.ip === n.ip || m.name === n.name)) out.push(`${other}/${n.name} (${n.ip})`);
      }
    }
    return out;
  }

  private async ensureKey(lab: string): Promise<string> {
    const key = this.paths.sshKey(lab);
    if (!existsSync(key)) {
      mkdirSync(dirname(key), { recursive: true, mode: 0o700 });
      await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `drover-${lab}`, '-f', key]);
    }
    return readFileSync(`${key}.pub`, 'utf8').trim();
  }

  /**
   * One drover at a time changes nodes on this machine: a lock file holding
   * the owner's pid (a stale one, whose process is gone, is taken over).
   */
  private async locked<T>(f: () => Promise<T>): Promise<T> {
    const lock = join(this.paths.runDir, 'lock');
    mkdirSync(this.paths.runDir, { recursive: true });
    const deadline = Date.now() + 15 * 60_000;
    let told = false;
    for (;;) {
      try {
        writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (!(owner > 0) || !processAlive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new HostSetupError(`another drover (pid ${owner}) has held ${lock} for 15 minutes`);
      if (!told) this.log(`waiting for another drover (pid ${owner}) to finish with the lab nodes`);
      told = true;
      await sleep(500);
    }
    try {
      return await f();
    } finally {
      rmSync(lock, { force: true });
    }
  }

  async up(lab: string, labNodes: readonly LabNode[]): Promise<UpResult> {
    requireRoot(`drover lab up ${lab}`);
    return this.locked(() => this.upLocked(lab, labNodes));
  }

  private async upLocked(lab: string, labNodes: readonly LabNode[]): Promise<UpResult> {
    const { timings, timed } = stepTimer();
    const nodes = this.place(labNodes);
    const clash = this.clashes(lab, nodes);
    if (clash.length) {
      throw new HostSetupError(`lab ${lab} needs the same names/addresses as running nodes ${clash.join(', ')}: bring that lab down first (drover lab down LAB)`);
    }
    await timed('hostPackages', () => ensureHostPackages(this.log));
    writeAtomic(this.paths.supervisorScript, SUPERVISOR_SCRIPT, 0o755);
    writeAtomic(this.paths.labSpec(lab), JSON.stringify({ lab, nodes } satisfies LabRecord, null, 2) + '\n');
    await timed('bridge', async () => {
      await ensureBridge(this.cfg.bridge, this.cfg.bridgeIp, this.cfg.prefix);
      await ensureVmBridge(this.cfg.vmBridge);
    });
    // Checked at every `up`: dockerd (FORWARD policy DROP) may have started since the nodes did.
    await timed('firewall', async () => {
      const fw = await ensureFirewall(this.firewall, this.cfg.bridgeIp);
      if (fw.changed.length) this.log(`firewall: ACCEPT rules for ${this.cfg.bridge} and ${this.cfg.vmBridge} put on top (${fw.changed.length} iptables commands)`);
      for (const w of fw.warnings) this.log(`warning: ${w}`);
    });
    await timed('proxy', () =>
      ensureProxy({ dir: this.paths.proxyDir, bridgeIp: this.cfg.bridgeIp, port: this.cfg.proxyPort, mirror: this.cfg.mirror }),
    );
    const publicKey = await this.ensureKey(lab);

    const toStart = nodes.filter((n) => supervisorPid(this.paths.nodeDir(lab, n.name)) === undefined);
    const toCreate = toStart.filter((n) => !nodeExists(this.paths.nodeDir(lab, n.name)));
    if (toCreate.length) {
      const base = (await timed('baseImage', () => ensureBaseImage({ cacheDir: this.paths.cacheDir, suite: this.cfg.suite, mirror: this.cfg.mirror }, this.log))).path;
      this.log(`creating ${toCreate.map((n) => `${n.name} (${n.ip})`).join(', ')}`);
      await timed('createNodes', () => Promise.all(toCreate.map((n) => createNode(this.nodeCtx(lab, n, nodes, publicKey), base))));
    }
    for (const node of toStart) {
      const ctx = this.nodeCtx(lab, node, nodes, publicKey);
      // The machine prefix keeps two drover homes running the same lab in separate cgroups.
      const cgroups = localNodeCgroups(`drover-${this.cfg.machinePrefix}${lab}-${node.name}`);
      ctx.cgroupDirs = cgroups.dirs;
      writeFileSync(join(ctx.dir, 'cgroups.json'), JSON.stringify(cgroups) + '\n');
      startNode(ctx);
    }
    const started = toStart.map((n) => n.name);
    this.writeAccessFiles(lab, nodes);
    if (started.length) {
      this.log(`booting ${started.join(', ')}; waiting for ssh`);
      await timed('bootToSsh', () =>
        Promise.all(
          toStart.map((n) =>
            waitForSsh(n.ip, this.cfg.sshTimeoutSec * 1000).catch((e: Error) => {
              throw new Error(`node ${n.name}: ${e.message}; its console: ${join(this.paths.nodeDir(lab, n.name), 'console.log')}`);
            }),
          ),
        ),
      );
    }
    return { inventory: this.paths.inventory(lab), started, timings };
  }

  /** known_hosts (from the host keys drover generated) and the inventory. */
  private writeAccessFiles(lab: string, nodes: readonly PlacedNode[]): void {
    const lines = nodes.flatMap((n) => knownHostsLines(n, hostPublicKeys(this.paths.nodeDir(lab, n.name))));
    writeAtomic(this.paths.knownHosts(lab), lines.join('\n') + '\n');
    writeAtomic(
      this.paths.inventory(lab),
      inventoryIni({
        lab,
        nodes,
        privateKeyFile: this.paths.sshKey(lab),
        knownHostsFile: this.paths.knownHosts(lab),
        vmNetworkDevice: VM_NETWORK_DEVICE,
      }),
    );
  }

  async down(lab: string): Promise<void> {
    requireRoot(`drover lab down ${lab}`);
    return this.locked(() => this.downLocked(lab));
  }

  private async downLocked(lab: string): Promise<void> {
    const rec = this.readLab(lab);
    if (rec) {
      const stopped = await Promise.all(rec.nodes.map((n) => stopNode(this.paths.nodeDir(lab, n.name))));
      const names = rec.nodes.filter((_, i) => stopped[i]).map((n) => n.name);
      if (names.length) this.log(`stopped ${names.join(', ')}`);
    }
    await this.stopProxyIfIdle();
  }

  /** The proxy serves every lab: stop it once no node of any lab runs. */
  private async stopProxyIfIdle(): Promise<void> {
    const anyRunning = this.labs().some((l) => this.readLab(l)!.nodes.some((n) => supervisorPid(this.paths.nodeDir(l, n.name)) !== undefined));
    if (!anyRunning && (await stopProxy(this.paths.proxyDir))) this.log('stopped apt-cacher-ng (no node running)');
  }

  async destroy(lab: string): Promise<void> {
    requireRoot(`drover lab destroy ${lab}`);
    return this.locked(() => this.destroyLocked(lab));
  }

  private async destroyLocked(lab: string): Promise<void> {
    const rec = this.readLab(lab);
    if (rec) {
      for (const n of rec.nodes) {
        const dir = this.paths.nodeDir(lab, n.name);
        await stopNode(dir);
        removeNode(dir, readNodeCgroups(dir).dirs);
      }
    }
    // The base image and apt cache live outside the lab dir and are kept.
    rmSync(this.paths.labDir(lab), { recursive: true, force: true });
    await this.stopProxyIfIdle();
    // The bridges stay (as they always have); drover's firewall rules for them go with the last lab.
    if (this.labs().length === 0) {
      const fw = await removeFirewall([this.cfg.bridge, this.cfg.vmBridge]);
      if (fw.changed.length) this.log(`firewall: removed drover's ${fw.changed.length} rules for ${this.cfg.bridge} and ${this.cfg.vmBridge} (no lab left)`);
      for (const w of fw.warnings) this.log(`warning: ${w}`);
    }
  }

  async status(lab?: string): Promise<NodeStatus[]> {
    const out: NodeStatus[] = [];
    for (const l of lab ? [lab] : this.labs()) {
      const rec = this.readLab(l);
      if (!rec) continue;
      for (const n of rec.nodes) {
        const dir = this.paths.nodeDir(l, n.name);
        const st: NodeStatus = { lab: l, name: n.name, ip: n.ip, state: nodeExists(dir) ? 'stopped' : 'absent' };
        const pid = supervisorPid(dir);
        if (pid !== undefined) {
          st.state = 'running';
          const booted = bootedAt(dir);
          if (booted) st.uptimeSec = Math.max(0, Math.round(Date.now() / 1000 - booted));
          const cg = readNodeCgroups(dir).memory;
          const mem = cg ? cgroupMemory(cg) : undefined;
          if (mem !== undefined) {
            st.memoryBytes = mem;
            st.memorySource = 'cgroup';
          } else {
            st.memoryBytes = treeMemory(pid);
            st.memorySource = 'pss';
          }
        }
        out.push(st);
      }
    }
    return out;
  }

  async sshCommand(lab: string, node: string): Promise<string[]> {
    const rec = this.readLab(lab);
    const n = rec?.nodes.find((x) => x.name === node);
    if (!n) throw new HostSetupError(`lab ${lab} has no node ${node}${rec ? ` (nodes: ${rec.nodes.map((x) => x.name).join(', ')})` : ''}`);
    return [
      'ssh',
      '-i',
      this.paths.sshKey(lab),
      '-o',
      `UserKnownHostsFile=${this.paths.knownHosts(lab)}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentitiesOnly=yes',
      `root@${n.ip}`,
    ];
  }
}
