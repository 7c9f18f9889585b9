import { existsSync } from 'node:fs';
import { onPath } from '../../util/on-path.js';
import { run } from './exec.js';
import { TABLES, atRisk, parseRules, planFirewall, planRemoval, type BridgeFirewall, type Family } from './firewall.js';

/** The machine cannot host local nodes as things stand (not root, tools missing...). */
export class HostSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostSetupError';
  }
}

export function requireRoot(what: string, uid = process.getuid?.()): void {
  if (uid !== 0) {
    throw new HostSetupError(
      `${what} needs root: local lab nodes are systemd-nspawn containers on a bridge. ` +
        'Run it as root, e.g. `sudo npx drover lab up lab1`, or use Vagrant + VirtualBox (DROVER_PROVIDER=vagrant).',
    );
  }
}

/** Executable (or file) that proves a host package is installed -> the Debian package. */
export const HOST_PACKAGES: ReadonlyArray<{ probe: string; pkg: string }> = [
  { probe: 'systemd-nspawn', pkg: 'systemd-container' },
  { probe: 'debootstrap', pkg: 'debootstrap' },
  { probe: '/usr/sbin/apt-cacher-ng', pkg: 'apt-cacher-ng' },
  { probe: 'zstd', pkg: 'zstd' },
  { probe: 'ssh-keygen', pkg: 'openssh-client' },
  { probe: 'ip', pkg: 'iproute2' },
];

export async function missingHostPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const { probe, pkg } of HOST_PACKAGES) {
    const ok = probe.startsWith('/') ? existsSync(probe) : onPath(probe);
    if (!ok) missing.push(pkg);
  }
  return missing;
}

/** Install missing host packages with apt-get, saying what and why first. */
export async function ensureHostPackages(log: (msg: string) => void): Promise<string[]> {
  const missing = await missingHostPackages();
  if (missing.length === 0) return [];
  if (!onPath('apt-get')) {
    throw new HostSetupError(`local lab nodes need these packages, and there is no apt-get to install them: ${missing.join(' ')}`);
  }
  log(`installing host packages for local lab nodes: apt-get install -y ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(['apt-get', 'install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', ...missing], { env, allowFail: true });
  let r = await install();
  if (r.rc !== 0) {
    // A fresh machine often has no package lists yet.
    log('apt-get install failed; running apt-get update once and retrying');
    await run(['apt-get', 'update'], { env });
    r = await install();
  }
  if (r.rc !== 0) {
    throw new HostSetupError(`\`apt-get install -y ${missing.join(' ')}\` failed (exit ${r.rc}):\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
  }
  const still = await missingHostPackages();
  if (still.length) throw new HostSetupError(`installed ${missing.join(' ')} but still missing: ${still.join(' ')}`);
  return missing;
}

/** The lab bridge with the gateway/proxy address; created once, left in place. */
export async function ensureBridge(bridge: string, bridgeIp: string, prefix: number): Promise<boolean> {
  const show = await run(['ip', '-o', '-4', 'addr', 'show', 'dev', bridge], { allowFail: true });
  let created = false;
  if (show.rc !== 0) {
    await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    created = true;
  }
  if (!show.stdout.includes(` ${bridgeIp}/`)) {
    await run(['ip', 'addr', 'add', `${bridgeIp}/${prefix}`, 'dev', bridge]);
  }
  await run(['ip', 'link', 'set', bridge, 'up']);
  return created;
}

/**
 * The VM network's bridge (upstream's unnumbered 172.16.0.0/24): no address
 * on the host either (addrgenmode none: not even an IPv6 link-local one), so
 * it only carries frames between the nodes' VM-network interfaces.
 */
export async function ensureVmBridge(bridge: string): Promise<boolean> {
  const show = await run(['ip', '-o', 'link', 'show', 'dev', bridge], { allowFail: true });
  let created = false;
  if (show.rc !== 0) {
    await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    await run(['ip', 'link', 'set', 'dev', bridge, 'addrgenmode', 'none'], { allowFail: true });
    created = true;
  }
  await run(['ip', 'link', 'set', bridge, 'up']);
  return created;
}

const IPTABLES: Record<Family, string> = { 4: 'iptables', 6: 'ip6tables' };

/** Run iptables/ip6tables (waiting for the xtables lock), throwing with its stderr on failure. */
async function xtables(family: Family, args: string[]): Promise<string> {
  return (await run([IPTABLES[family], '-w', '5', ...args])).stdout;
}

/**
 * Put drover's ACCEPT rules for its bridges on top of their chains (filter
 * table in both families, nat for IPv4; see firewall.ts). Never throws: what could not be done comes
 * back as warnings that name the bridge and the traffic at risk.
 * Returns the commands run, and the warnings.
 */
export async function ensureFirewall(fw: BridgeFirewall, bridgeIp: string): Promise<{ changed: string[]; warnings: string[] }> {
  const changed: string[] = [];
  const warnings: string[] = [];
  const missing = new Set<string>();
  for (const { family, table } of TABLES) {
    const bin = IPTABLES[family];
    if (missing.has(bin)) continue;
    if (!onPath(bin)) {
      missing.add(bin);
      warnings.push(`${bin} not found: drover cannot add its ACCEPT rules for bridge ${fw.bridge}; ${atRisk(fw, bridgeIp)} (install iptables)`);
      continue;
    }
    try {
      const current = parseRules(await xtables(family, ['-t', table, '-S']));
      if (current.legacyTablesPresent && table === 'filter') {
        warnings.push(
          `${bin} lists iptables-legacy tables as well: drover's rules for bridge ${fw.bridge} are in the nf_tables ones; ` +
            `a firewall that uses iptables-legacy (e.g. an older Docker) is not covered, and ${atRisk(fw, bridgeIp)}`,
        );
      }
      for (const cmd of planFirewall(fw, family, current, table)) {
        await xtables(family, ['-t', table, ...cmd]);
        changed.push(`${bin} -t ${table} ${cmd.join(' ')}`);
      }
    } catch (e) {
      warnings.push(`could not put drover's ${bin} rules (${table} table) for bridge ${fw.bridge} in place (${(e as Error).message.split('\n').join(' ')}); ${atRisk(fw, bridgeIp)}`);
    }
  }
  return { changed, warnings };
}

/** Delete every rule drover tagged for these bridges, in both families. Never throws; returns warnings. */
export async function removeFirewall(bridges: readonly string[]): Promise<{ changed: string[]; warnings: string[] }> {
  const changed: string[] = [];
  const warnings: string[] = [];
  for (const { family, table } of TABLES) {
    const bin = IPTABLES[family];
    if (!onPath(bin)) continue;
    try {
      const current = parseRules(await xtables(family, ['-t', table, '-S']));
      for (const cmd of planRemoval(bridges, current)) {
        await xtables(family, ['-t', table, ...cmd]);
        changed.push(`${bin} -t ${table} ${cmd.join(' ')}`);
      }
    } catch (e) {
      warnings.push(`could not remove drover's ${bin} rules for ${bridges.join(', ')} (${(e as Error).message.split('\n').join(' ')}); see \`${bin} -S | grep drover:\``);
    }
  }
  return { changed, warnings };
}
