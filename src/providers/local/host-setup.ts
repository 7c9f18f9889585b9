import { existsSync } from 'node:fs';
import { haveCommand, run } from './exec.js';

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
    const ok = probe.startsWith('/') ? existsSync(probe) : await haveCommand(probe);
    if (!ok) missing.push(pkg);
  }
  return missing;
}

/** Install missing host packages with apt-get, saying what and why first. */
export async function ensureHostPackages(log: (msg: string) => void): Promise<string[]> {
  const missing = await missingHostPackages();
  if (missing.length === 0) return [];
  if (!(await haveCommand('apt-get'))) {
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
