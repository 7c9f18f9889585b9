/**
 * The transport's floor: 3 connections x 20 trivial commands against a real
 * loopback sshd, over drover's long-lived shell session vs a new exec channel
 * per command (what a naive ssh2 client does). Needs root and
 * scripts/test-setup.sh. Run: npx tsx bench/transport-floor.ts [hosts] [commands]
 */
import ssh2 from 'ssh2';
import type { Client as ClientType } from 'ssh2';
import { readFileSync } from 'node:fs';
import { startSshd, sshSpec } from '../test/helpers/sshd.js';
import { SshConnection } from '../src/transport/ssh.js';

const hosts = Number(process.argv[2] ?? 3);
const commands = Number(process.argv[3] ?? 20);
const sshd = await startSshd();

function connectRaw(): Promise<ClientType> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c)).once('error', reject);
    c.connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: readFileSync(sshd.keyFile) });
  });
}

function execChannel(c: ClientType, cmd: string): Promise<number> {
  return new Promise((resolve, reject) =>
    c.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let rc = -1;
      ch.on('exit', (code: number) => (rc = code)).on('close', () => resolve(rc));
      ch.resume();
      ch.stderr.resume();
    }),
  );
}

async function timeIt(label: string, f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms`);
  return ms;
}

try {
  // Warm-up (page cache, sshd's first fork).
  const w = new SshConnection(sshSpec(sshd));
  await w.exec('true');
  await w.close();

  console.log(`${hosts} connections x ${commands} trivial commands (true), loopback OpenSSH`);
  let sess: SshConnection[] = [];
  const sConnect = await timeIt('shell session: connect + start shell', async () => {
    sess = Array.from({ length: hosts }, () => new SshConnection(sshSpec(sshd)));
    await Promise.all(sess.map((c) => c.open()));
  });
  const sRun = await timeIt('shell session: commands', async () => {
    await Promise.all(sess.map(async (c) => { for (let i = 0; i < commands; i++) await c.exec('true'); }));
  });
  await Promise.all(sess.map((c) => c.close()));

  let raw: ClientType[] = [];
  const rConnect = await timeIt('exec channel per command: connect', async () => {
    raw = await Promise.all(Array.from({ length: hosts }, connectRaw));
  });
  const rRun = await timeIt('exec channel per command: commands', async () => {
    await Promise.all(raw.map(async (c) => { for (let i = 0; i < commands; i++) await execChannel(c, 'true'); }));
  });
  raw.forEach((c) => c.end());
  console.log(`total: shell session ${(sConnect + sRun).toFixed(0)} ms, exec per command ${(rConnect + rRun).toFixed(0)} ms; commands alone ${(rRun / sRun).toFixed(1)}x faster`);
} finally {
  await sshd.stop();
}
