import { existsSync, mkdirSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { SOURCES_LIST } from './node-files.js';

/**
 * The Debian base every node is unpacked from: debootstrapped once, then
 * cached as a zstd tarball (~85 MB) and reused. Bump BASE_VERSION whenever
 * what goes into the image changes, so stale caches are rebuilt.
 */
export const BASE_VERSION = 1;

export const BASE_PACKAGES = [
  'openssh-server',
  'python3',
  'sudo',
  'iproute2',
  'systemd-sysv',
  'dbus',
  'iputils-ping',
  'netcat-openbsd',
  'ca-certificates',
  'less',
  'procps',
  'apt-utils',
];

export function baseTarball(cacheDir: string, suite: string): string {
  return join(cacheDir, `debian-${suite}-base-v${BASE_VERSION}.tar.zst`);
}

export const TAR_FLAGS = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

/** Return the cached base tarball, building it first if missing. */
export async function ensureBaseImage(
  opts: { cacheDir: string; suite: string; mirror: string },
  log: (msg: string) => void,
): Promise<{ path: string; built: boolean }> {
  const out = baseTarball(opts.cacheDir, opts.suite);
  if (existsSync(out) && statSync(out).size > 0) return { path: out, built: false };
  mkdirSync(opts.cacheDir, { recursive: true });
  const work = join(opts.cacheDir, `build-${process.pid}`);
  const root = join(work, 'rootfs');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const logFile = join(opts.cacheDir, 'base-build.log');
  log(`building the Debian ${opts.suite} base image once (debootstrap, ~1 min; log: ${logFile})`);
  try {
    const r = await run(
      ['debootstrap', '--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, opts.suite, root, opts.mirror],
      { allowFail: true },
    );
    writeFileSync(logFile, r.stdout + r.stderr);
    if (r.rc !== 0) {
      throw new Error(`debootstrap failed (exit ${r.rc}); see ${logFile}:\n${(r.stdout + r.stderr).trim().split('\n').slice(-10).join('\n')}`);
    }
    writeFileSync(join(root, 'etc/apt/sources.list'), SOURCES_LIST(opts.mirror, opts.suite));
    // Nodes get their address from systemd-networkd (10-host0.network, written per node).
    await run(['chroot', root, 'systemctl', 'enable', 'systemd-networkd']);
    // A plain login user with passwordless sudo, for roles that expect one (the blog's `vagrant`).
    await run(['chroot', root, 'useradd', '--create-home', '--shell', '/bin/bash', 'drover']);
    writeFileSync(join(root, 'etc/sudoers.d/drover'), 'drover ALL=(ALL) NOPASSWD:ALL\n', { mode: 0o440 });
    await run(['chroot', root, 'apt-get', 'clean']);
    // Identity is per node: host keys, machine-id and hostname are made when a node is created.
    await run(['sh', '-c', `rm -f ${root}/etc/ssh/ssh_host_* ${root}/etc/hostname ${root}/var/lib/dbus/machine-id`]);
    writeFileSync(join(root, 'etc/machine-id'), '');
    rmSync(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    await run(['tar', ...TAR_FLAGS, '-I', 'zstd -T0', '-cf', tmp, '-C', root, '.']);
    renameSync(tmp, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { path: out, built: true };
}
