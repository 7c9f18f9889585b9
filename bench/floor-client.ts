/**
 * The floor: a bare ssh2 client with nothing of drover in it. One SSH
 * connection per host, and either a new exec channel per command or one
 * long-lived `bash -s` on one channel with commands framed by an end marker
 * (the least any tool must do to run a command and know its output and exit
 * status). The benchmarks compare drover against this.
 */
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';

export interface FloorTarget {
  host: string;
  port: number;
  user: string;
  keyFile: string;
  /** Host key as `ssh-ed25519 AAAA…`: checked like drover checks it (strict). */
  hostPublicKey?: string;
}

const keys = new Map<string, Buffer>();
function key(file: string): Buffer {
  let k = keys.get(file);
  if (!k) keys.set(file, (k = readFileSync(file)));
  return k;
}

/** One SSH connection (handshake + auth), retried with backoff like drover's transport. */
export async function floorConnect(t: FloorTarget, retries = 2): Promise<ClientType> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<ClientType>((resolve, reject) => {
        const c = new ssh2.Client();
        c.once('ready', () => resolve(c));
        c.once('error', (e) => {
          c.end();
          reject(e);
        });
        const want = t.hostPublicKey ? Buffer.from(t.hostPublicKey.split(/\s+/)[1] ?? '', 'base64') : undefined;
        c.connect({
          host: t.host,
          port: t.port,
          username: t.user,
          privateKey: key(t.keyFile),
          readyTimeout: 20_000,
          hostVerifier: want ? (k: Buffer) => k.equals(want) : undefined,
        });
        // As drover does: without it Nagle holds small packets for the server's delayed ACK (40 ms).
        c.setNoDelay(true);
      });
    } catch (e) {
      if (attempt >= retries) throw e;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

/** A new exec channel per command: sshd starts the user's login shell each time. */
export function floorExec(c: ClientType, cmd: string): Promise<{ rc: number; stdout: string }> {
  return new Promise((resolve, reject) =>
    c.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let rc = -1;
      let stdout = '';
      ch.on('exit', (code: number) => (rc = code)).on('close', () => resolve({ rc, stdout }));
      ch.on('data', (d: Buffer) => (stdout += d.toString()));
      ch.stderr.resume();
    }),
  );
}

/** One long-lived `bash -s` on one channel; commands run one after another, framed by an end marker. */
export class FloorShell {
  private buf = '';
  private errBuf = '';
  private waiting: { token: string; resolve: (r: { rc: number; stdout: string; stderr: string }) => void } | null = null;

  private constructor(private ch: ClientChannel) {
    ch.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.check();
    });
    ch.stderr.on('data', (d: Buffer) => {
      this.errBuf += d.toString('latin1');
      this.check();
    });
  }

  static open(c: ClientType): Promise<FloorShell> {
    return new Promise((resolve, reject) =>
      c.exec('exec bash --noprofile --norc -s', (err, ch) => (err ? reject(err) : resolve(new FloorShell(ch)))),
    );
  }

  private check(): void {
    const w = this.waiting;
    if (!w) return;
    const i = this.buf.indexOf(w.token);
    const j = this.errBuf.indexOf(w.token);
    if (i < 0 || j < 0) return;
    const nl = this.buf.indexOf('\n', i);
    if (nl < 0) return;
    const rc = Number(this.buf.slice(i + w.token.length, nl));
    const stdout = this.buf.slice(0, i);
    const stderr = this.errBuf.slice(0, j);
    this.buf = this.buf.slice(nl + 1);
    this.errBuf = this.errBuf.slice(j + w.token.length);
    this.waiting = null;
    w.resolve({ rc, stdout, stderr });
  }

  /** Run one command line (no stdin); output is everything before the marker. */
  exec(cmd: string): Promise<{ rc: number; stdout: string; stderr: string }> {
    const token = `__floor_${randomBytes(8).toString('hex')}__`;
    return new Promise((resolve) => {
      this.waiting = { token, resolve };
      this.ch.write(`{ ${cmd}\n} </dev/null; printf '%s%d\\n' ${token} $?; printf '%s' ${token} >&2\n`);
    });
  }

  close(): void {
    this.ch.end('exit 0\n');
  }
}

/**
 * The floor for many hosts: connect every host with bounded concurrency (as
 * drover's pool does), open one shell each, then run each host's commands in
 * order, hosts in parallel. Returns per-phase wall times.
 */
export async function floorRun(
  targets: FloorTarget[],
  commandsFor: (i: number) => string[],
  concurrency: number,
): Promise<{ connectMs: number; commandsMs: number; totalMs: number; failures: number }> {
  const t0 = performance.now();
  const q = new PQueue({ concurrency });
  let failures = 0;
  const clients: (ClientType | undefined)[] = [];
  const shells: (FloorShell | undefined)[] = [];
  await Promise.all(
    targets.map((t, i) =>
      q.add(async () => {
        try {
          clients[i] = await floorConnect(t);
          shells[i] = await FloorShell.open(clients[i]!);
        } catch {
          failures++;
        }
      }),
    ),
  );
  const t1 = performance.now();
  await Promise.all(
    shells.map(async (s, i) => {
      if (!s) return;
      for (const cmd of commandsFor(i)) {
        const r = await s.exec(cmd);
        if (r.rc !== 0) failures++;
      }
    }),
  );
  const t2 = performance.now();
  for (const s of shells) s?.close();
  for (const c of clients) c?.end();
  return { connectMs: t1 - t0, commandsMs: t2 - t1, totalMs: t2 - t0, failures };
}
