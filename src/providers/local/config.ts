import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { homedir } from 'node:os';

/**
 * Where the local provider keeps its state, and the lab network's shape.
 * Pure: everything comes from the environment passed in, so tests can build
 * any layout without touching the machine.
 */
export interface LocalConfig {
  /** Root of drover's state: base image cache, proxy, labs. */
  home: string;
  bridge: string;
  /** Network address of the lab subnet, e.g. 10.77.0.0. */
  network: string;
  prefix: number;
  /** The bridge's own address (network + 1): the nodes' gateway and apt proxy. */
  bridgeIp: string;
  proxyPort: number;
  /** Debian mirror used by debootstrap and, through the proxy, by the nodes. */
  mirror: string;
  suite: string;
  /** Seconds to wait for a node's sshd after boot. */
  sshTimeoutSec: number;
  /**
   * Prepended to node names for systemd-nspawn's machine name, which names the
   * host side of the veth (vb-NAME): two drover homes on one machine must
   * not both have a vb-controller. Empty by default.
   */
  machinePrefix: string;
  /**
   * Second host bridge, for the lab's VM/provider network (upstream's
   * 172.16.0.0/24, left unnumbered): every node has an interface on it
   * (VM_NETWORK_DEVICE inside), with no address. DROVER_VM_BRIDGE, default
   * vmBridgeName(bridge).
   */
  vmBridge: string;
}

/** The nodes' interface on the VM network, as the roles see it (vm_network_device). */
export const VM_NETWORK_DEVICE = 'eth1';

const IFNAMSIZ = 15;
const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 4);

/** Fit a name into 15 bytes: as is when it fits, else its start, a short hash of it, and the suffix. */
function fitName(base: string, suffix: string): string {
  if (base.length + suffix.length <= IFNAMSIZ) return base + suffix;
  const keep = IFNAMSIZ - suffix.length - 5;
  return `${base.slice(0, keep).replace(/[-_.]+$/, '')}-${shortHash(base)}${suffix}`;
}

/** The VM network's bridge for a lab bridge: BRIDGE-vm (drover0-vm), shortened with a hash when that is over 15 bytes. */
export function vmBridgeName(bridge: string): string {
  return fitName(bridge, '-vm');
}

/** Host end of a node's veth on the VM network: vm-MACHINE, shortened with a hash when over 15 bytes. */
export function vmVethName(machineName: string): string {
  return fitName(`vm-${machineName}`, '');
}

export const DEFAULT_SUBNET = '10.77.0.0/24';
export const DEFAULT_BRIDGE = 'drover0';

function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parse a CIDR subnet; host bits are cleared. Prefix 8..24 so the blog's .11/.21/.22 fit. */
export function parseSubnet(cidr: string): { network: string; prefix: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new Error(`DROVER_SUBNET=${cidr} is not a CIDR subnet like ${DEFAULT_SUBNET}`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 24) throw new Error(`DROVER_SUBNET=${cidr}: prefix must be between /8 and /24`);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToInt(m[1]!) / size) * size;
  return { network: intToIp(base), prefix };
}

/** network + offset, e.g. (10.77.0.0, 11) -> 10.77.0.11. */
export function addressInSubnet(network: string, offset: number): string {
  return intToIp(ipToInt(network) + offset);
}

export function defaultHome(env: NodeJS.ProcessEnv, uid: number | undefined): string {
  if (env.DROVER_HOME) return env.DROVER_HOME;
  return uid === 0 ? '/var/lib/drover' : join(homedir(), '.local', 'share', 'drover');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): LocalConfig {
  const { network, prefix } = parseSubnet(env.DROVER_SUBNET ?? DEFAULT_SUBNET);
  const bridge = env.DROVER_BRIDGE ?? DEFAULT_BRIDGE;
  // Linux interface names: at most 15 bytes, no slashes or spaces.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new Error(`DROVER_BRIDGE=${bridge} is not a valid interface name`);
  const vmBridge = env.DROVER_VM_BRIDGE || vmBridgeName(bridge);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(vmBridge)) throw new Error(`DROVER_VM_BRIDGE=${vmBridge} is not a valid interface name`);
  if (vmBridge === bridge) throw new Error(`DROVER_VM_BRIDGE must differ from DROVER_BRIDGE (${bridge})`);
  if (!/^[A-Za-z0-9-]{0,4}$/.test(env.DROVER_MACHINE_PREFIX ?? '')) throw new Error('DROVER_MACHINE_PREFIX must be at most 4 letters, digits or dashes (veth names have 15 bytes)');
  const timeout = Number(env.DROVER_SSH_TIMEOUT ?? 120);
  return {
    home: defaultHome(env, uid),
    bridge,
    network,
    prefix,
    bridgeIp: addressInSubnet(network, 1),
    proxyPort: 3142,
    mirror: env.DROVER_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian',
    suite: 'bookworm',
    sshTimeoutSec: Number.isFinite(timeout) && timeout > 0 ? timeout : 120,
    machinePrefix: env.DROVER_MACHINE_PREFIX ?? '',
    vmBridge,
  };
}

/** Every path the provider uses, derived from the config. */
export function paths(cfg: LocalConfig) {
  const labDir = (lab: string) => join(cfg.home, 'labs', lab);
  const nodeDir = (lab: string, node: string) => join(labDir(lab), 'nodes', node);
  return {
    cacheDir: join(cfg.home, 'cache'),
    runDir: join(cfg.home, 'run'),
    proxyDir: join(cfg.home, 'apt-cacher-ng'),
    supervisorScript: join(cfg.home, 'bin', 'node-supervisor.sh'),
    labsDir: join(cfg.home, 'labs'),
    labDir,
    nodeDir,
    nodeRoot: (lab: string, node: string) => join(nodeDir(lab, node), 'rootfs'),
    sshKey: (lab: string) => join(labDir(lab), 'id_ed25519'),
    knownHosts: (lab: string) => join(labDir(lab), 'known_hosts'),
    inventory: (lab: string) => join(labDir(lab), 'inventory.ini'),
    labSpec: (lab: string) => join(labDir(lab), 'lab.json'),
  };
}

export type Paths = ReturnType<typeof paths>;
