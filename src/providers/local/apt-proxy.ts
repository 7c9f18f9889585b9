import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { processAlive, run, sleep } from './exec.js';
import { HostSetupError } from './host-setup.js';

/**
 * apt-cacher-ng on the bridge address, as the blog's labs use an apt cache.
 * The host runs no init system (and its policy-rc.d blocks service starts),
 * so drover runs it in the foreground as its own user, detached, with a pid
 * file, and a private copy of its config: the host's /etc stays untouched.
 */
export interface ProxySettings {
  dir: string;
  bridgeIp: string;
  port: number;
  /** Upstream for the Debian archive (the packaged default does not resolve here). */
  mirror: string;
}

const USER = 'apt-cacher-ng';

export function proxyPidFile(dir: string): string {
  return join(dir, 'apt-cacher-ng.pid');
}

/** The pid of a running drover-started apt-cacher-ng, or undefined. */
export function runningProxyPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(proxyPidFile(dir), 'utf8').trim());
    return pid > 0 && processAlive(pid, 'apt-cacher-ng') ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Start apt-cacher-ng (or reuse the one drover started before). Returns whether it was started now. */
export async function ensureProxy(p: ProxySettings): Promise<boolean> {
  if (runningProxyPid(p.dir) !== undefined) return false;
  const conf = join(p.dir, 'conf');
  const cache = join(p.dir, 'cache');
  const logs = join(p.dir, 'log');
  const runDir = join(p.dir, 'run');
  for (const d of [conf, cache, logs, runDir]) mkdirSync(d, { recursive: true });
  if (!existsSync('/etc/apt-cacher-ng/acng.conf')) throw new HostSetupError('apt-cacher-ng is not installed (/etc/apt-cacher-ng/acng.conf missing)');
  await run(['cp', '-a', '/etc/apt-cacher-ng/.', conf + '/']);
  // The packaged Debian backend list does not resolve on this kind of machine: name the mirror.
  writeFileSync(join(conf, 'backends_debian'), p.mirror.replace(/\/?$/, '/') + '\n');
  await run(['chown', '-R', `${USER}:${USER}`, p.dir]);

  const logFd = openSync(join(logs, 'foreground.log'), 'a');
  const child = spawn(
    'setpriv',
    [
      `--reuid=${USER}`,
      `--regid=${USER}`,
      '--init-groups',
      '/usr/sbin/apt-cacher-ng',
      '-c',
      conf,
      'ForeGround=1',
      `BindAddress=${p.bridgeIp}`,
      `Port=${p.port}`,
      'ForceManaged=1',
      `CacheDir=${cache}`,
      `LogDir=${logs}`,
      `SocketPath=${join(runDir, 'socket')}`,
      `PidFile=${join(runDir, 'pid')}`,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new HostSetupError('could not start apt-cacher-ng (setpriv did not spawn)');
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  writeFileSync(proxyPidFile(p.dir), `${pid}\n`);

  for (let i = 0; i < 100; i++) {
    if (exited !== undefined) break;
    if (await portOpen(p.bridgeIp, p.port, 300)) return true;
    await sleep(100);
  }
  const tail = readFileSync(join(logs, 'foreground.log'), 'utf8').trim().split('\n').slice(-10).join('\n');
  throw new HostSetupError(
    `apt-cacher-ng did not start listening on ${p.bridgeIp}:${p.port}` +
      (exited !== undefined ? ` (exited with ${exited})` : '') +
      (tail ? `:\n${tail}` : ''),
  );
}

/** Stop the drover-started apt-cacher-ng, if any. */
export async function stopProxy(dir: string): Promise<boolean> {
  const pid = runningProxyPid(dir);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && processAlive(pid, 'apt-cacher-ng'); i++) await sleep(100);
  if (processAlive(pid, 'apt-cacher-ng')) process.kill(pid, 'SIGKILL');
  rmSync(proxyPidFile(dir), { force: true });
  return true;
}
