/**
 * A real OpenSSH sshd on loopback for integration tests: generated host key,
 * generated client key, random free port, its own config and authorized_keys
 * in a temp dir (so parallel test files never share state). Runs as root
 * (tests run as root); you log in as a plain test user created by
 * scripts/test-setup.sh (stock bash, stock skeleton).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionSpec } from '../../src/transport/connection.js';

/** Users made by scripts/test-setup.sh. */
export const TEST_USER_NOPASSWD = 'drover-t1';
export const TEST_USER_SUDO_PW = 'drover-t2';
export const TEST_USER2_PASSWORD = 'drover-t2-pw';
export const TEST_USER_NO_SUDO = 'drover-t3';

export interface SshdOptions {
  /** Login user the returned key is for (default drover-t1). All test users may log in with it. */
  user?: string;
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** Extra sshd_config lines. */
  extraConfig?: string;
  /** Use this port (e.g. to restart on the same port with another host key). */
  port?: number;
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** Private key (ed25519, no passphrase) authorized for every test user. */
  keyFile: string;
  /** A known_hosts file holding exactly this server's host key as `[127.0.0.1]:port`. */
  knownHostsFile: string;
  /** `SHA256:…` of the host key, as ssh-keygen -l prints it. */
  hostKeyFingerprint: string;
  /** The host key's public line (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  dir: string;
  /** The listening sshd (master) process id. */
  pid: number;
  /** Process ids of the per-connection sshd processes (monitor and session) right now. */
  pids(): number[];
  /** SIGKILL every per-connection sshd process: every client connection drops at once. */
  killConnections(): void;
  /** sshd's stderr so far (for debugging a failing test). */
  log(): string;
  stop(): Promise<void>;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-sshd-'));
  chmodSync(dir, 0o755);
  const keyType = opts.hostKeyType ?? 'ed25519';
  const hostKey = join(dir, `ssh_host_${keyType}_key`);
  execFileSync('ssh-keygen', ['-q', '-t', keyType, '-N', '', '-f', hostKey, '-C', 'drover-test-host']);
  const keyFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile, '-C', 'drover-test-client']);
  const clientPub = readFileSync(keyFile + '.pub', 'utf8');
  // sshd reads authorized_keys as the user: the directory and file must be readable.
  const akDir = join(dir, 'authorized_keys');
  mkdirSync(akDir, { mode: 0o755 });
  chmodSync(akDir, 0o755);
  for (const u of [TEST_USER_NOPASSWD, TEST_USER_SUDO_PW, TEST_USER_NO_SUDO]) {
    writeFileSync(join(akDir, u), clientPub, { mode: 0o644 });
  }
  const hostPublicKey = readFileSync(hostKey + '.pub', 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', hostKey + '.pub'], { encoding: 'utf8' }).split(/\s+/)[1]!;

  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort());
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${akDir}/%u`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin no',
        `AllowUsers ${TEST_USER_NOPASSWD} ${TEST_USER_SUDO_PW} ${TEST_USER_NO_SUDO}`,
        'AllowTcpForwarding yes',
        'MaxStartups 200',
        'MaxSessions 200',
        'MaxAuthTries 10',
        'LoginGraceTime 30',
        'PrintMotd no',
        'UseDNS no',
        'LogLevel INFO',
        'Subsystem sftp internal-sftp',
        opts.extraConfig ?? '',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (log += d));
    try {
      await waitListening(child, () => log);
    } catch (e) {
      lastErr = e;
      child.kill('SIGKILL');
      if (opts.port) break;
      continue;
    }
    const knownHostsFile = join(dir, 'known_hosts');
    writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
    const pid = child.pid!;
    // Per-connection processes: the privileged monitor (child of the master)
    // and the unprivileged "user@notty" process under it that owns the socket.
    const pids = (): number[] => {
      const out: number[] = [];
      let level = [pid];
      while (level.length) {
        const next: number[] = [];
        for (const parent of level) {
          try {
            for (const line of execFileSync('pgrep', ['-P', String(parent), '-x', 'sshd'], { encoding: 'utf8' }).split('\n')) {
              if (line) next.push(Number(line));
            }
          } catch {
            /* no children */
          }
        }
        out.push(...next);
        level = next;
      }
      return out;
    };
    return {
      host: '127.0.0.1',
      port,
      user: opts.user ?? TEST_USER_NOPASSWD,
      keyFile,
      knownHostsFile,
      hostKeyFingerprint,
      hostPublicKey,
      dir,
      pid,
      pids,
      killConnections() {
        for (const p of pids()) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      },
      log: () => log,
      stop: () => stop(child, dir),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${String(lastErr)}`);
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

function waitListening(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (/Server listening on/.test(log())) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null || Date.now() - t0 > 10_000) {
        clearInterval(timer);
        reject(new Error(`sshd exited or timed out: ${log()}`));
      }
    }, 20);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A ConnectionSpec for this sshd (strict host key checking against its known_hosts file). */
export function sshSpec(sshd: Sshd, over: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    name: `sshd-${sshd.port}`,
    kind: 'ssh',
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyFile: sshd.keyFile,
    hostKeyChecking: 'strict',
    knownHostsFile: sshd.knownHostsFile,
    connectTimeoutMs: 5000,
    connectRetries: 2,
    keepaliveIntervalMs: 5000,
    ...over,
  };
}
