/**
 * SSH transport on ssh2: one SSH connection per host for the whole run, one
 * long-lived shell channel on it for the login user and one per become user
 * (see shell-session.ts for why). A dropped connection fails the command in
 * flight (retryable) and is reopened by the next exec.
 */
import ssh2 from 'ssh2';
import type { AgentAuthMethod, AuthMethod, Client as ClientType, ClientChannel, ConnectConfig, ParsedKey, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ConnectionSpec } from './connection.js';
import { UnreachableError } from '../util/errors.js';
import { ShellConnection } from './shell-connection.js';
import type { ShellStreams } from './shell-session.js';
import { checkHostKey, knownKeyTypes, readKnownHosts } from './known-hosts.js';

const { Client } = ssh2;

/** Why a live connection ended, when ssh2 said so before closing it (keepalives unanswered, a reset). */
const lostReasons = new WeakMap<ClientType, string>();
const KEEPALIVE_COUNT_MAX = 3;

/** Host key algorithms ssh2 speaks, in its default preference. */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

interface Hop {
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  password?: string;
}

export class SshConnection extends ShellConnection {
  private client: ClientType | null = null;
  private jumpClient: ClientType | null = null;
  private connecting: Promise<ClientType> | null = null;
  private closed = false;

  constructor(readonly spec: ConnectionSpec) {
    super(spec.name, spec.becomePassword, Math.max(spec.connectTimeoutMs, 10_000));
  }

  protected loginUser(): string {
    return this.spec.user ?? userInfo().username;
  }

  async open(): Promise<void> {
    this.closed = false;
    await this.session(undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.closeSessions();
    this.client?.end();
    this.jumpClient?.end();
    this.client = null;
    this.jumpClient = null;
  }

  /** The live SSH connection, (re)connecting with backoff when there is none. */
  private ensureConnected(): Promise<ClientType> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connectWithRetries().finally(() => (this.connecting = null));
    }
    return this.connecting;
  }

  private async connectWithRetries(): Promise<ClientType> {
    const retries = Math.max(0, this.spec.connectRetries);
    for (let attempt = 0; ; attempt++) {
      try {
        const c = await this.connectOnce();
        this.counters.connects++;
        return c;
      } catch (e) {
        const retryable = !(e instanceof UnreachableError) || e.retryable;
        if (!retryable || attempt >= retries) {
          if (e instanceof UnreachableError) {
            if (attempt > 0) e.message += ` (after ${attempt + 1} attempts)`;
            throw e;
          }
          throw new UnreachableError(this.host, String(e));
        }
        await sleep(Math.min(250 * 2 ** attempt, 5000));
      }
    }
  }

  private hop(): Hop {
    const s = this.spec;
    return { host: s.host, port: s.port, user: this.loginUser(), privateKeyFile: s.privateKeyFile, password: s.password };
  }

  private async connectOnce(): Promise<ClientType> {
    let sock: Duplex | undefined;
    const j = this.spec.jump;
    if (j) {
      this.jumpClient?.end();
      const jump = await this.dial(
        { host: j.host, port: j.port, user: j.user ?? this.loginUser(), privateKeyFile: j.privateKeyFile ?? this.spec.privateKeyFile },
        undefined,
        'jump host ',
      );
      this.jumpClient = jump;
      sock = await new Promise<Duplex>((resolve, reject) =>
        jump.forwardOut('127.0.0.1', 0, this.spec.host, this.spec.port, (err, stream) =>
          err ? reject(new UnreachableError(this.host, `jump host ${j.host}:${j.port} cannot reach ${this.spec.host}:${this.spec.port}: ${err.message}`)) : resolve(stream),
        ),
      ).catch((e) => {
        jump.end();
        throw e;
      });
    }
    const client = await this.dial(this.hop(), sock, '');
    client.on('close', () => {
      if (this.client === client) this.client = null;
      if (j) this.jumpClient?.end();
    });
    this.client = client;
    return client;
  }

  /** One SSH handshake + auth to `h` (over `sock` when jumping), with host key checking. */
  private dial(h: Hop, sock: Duplex | undefined, what: string): Promise<ClientType> {
    const s = this.spec;
    const where = `${what}${h.user}@${h.host}:${h.port}`;
    const knownHosts = s.knownHostsFile ?? defaultKnownHostsFile();
    let refusal: string | undefined;
    const cfg: ConnectConfig = {
      host: h.host,
      port: h.port,
      username: h.user,
      readyTimeout: s.connectTimeoutMs,
      keepaliveInterval: s.keepaliveIntervalMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier: (key: Buffer) => {
        const d = checkHostKey({ file: knownHosts, host: h.host, port: h.port, policy: s.hostKeyChecking, key });
        if (!d.ok) refusal = d.message;
        return d.ok;
      },
    };
    if (sock) cfg.sock = sock;
    if (s.hostKeyChecking !== 'off') {
      // Ask for the key types we already know first, so a host with several keys
      // is checked against the one on file rather than looking "changed".
      const known = knownKeyTypes(readKnownHosts(knownHosts), h.host, h.port).flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
      const order = [...new Set([...known.filter((t) => HOST_KEY_ALGOS.includes(t)), ...HOST_KEY_ALGOS])];
      cfg.algorithms = { serverHostKey: order as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    }
    // The methods we have, in ssh2's own order (password, key, agent), without
    // its opening 'none' probe: one round trip less per connection.
    const methods: AuthMethod[] = [];
    let hasKey = false;
    if (h.password !== undefined) {
      cfg.password = h.password;
      methods.push({ type: 'password', username: h.user, password: h.password } as PasswordAuthMethod);
    }
    if (h.privateKeyFile) {
      try {
        const key = privateKeyFrom(h.privateKeyFile);
        hasKey = true;
        // A key ssh2 cannot parse alone goes in raw too: ssh2 rejects it at connect, as before.
        if (Buffer.isBuffer(key)) cfg.privateKey = key;
        methods.push({ type: 'publickey', username: h.user, key } as PublicKeyAuthMethod);
      } catch (e) {
        return Promise.reject(new UnreachableError(this.host, `cannot read private key ${h.privateKeyFile}: ${(e as Error).message}`, false));
      }
    }
    if (s.agent) {
      cfg.agent = s.agent;
      methods.push({ type: 'agent', username: h.user, agent: s.agent } as AgentAuthMethod);
    }
    cfg.authHandler = methods.length ? methods : [{ type: 'none', username: h.user }];

    return new Promise<ClientType>((resolve, reject) => {
      const c = new Client();
      let done = false;
      c.once('ready', () => {
        done = true;
        resolve(c);
      });
      c.on('error', (err: Error & { level?: string; code?: string }) => {
        if (done) {
          // A live connection's errors surface as 'close' on its channels; keep the cause for their message.
          lostReasons.set(
            c,
            err.level === 'client-timeout'
              ? `no answer to ${KEEPALIVE_COUNT_MAX} SSH keepalives sent every ${s.keepaliveIntervalMs / 1000} s: network cut or host hung`
              : `${err.code ? err.code + ' ' : ''}${err.message}`,
          );
          return;
        }
        done = true;
        c.end();
        if (refusal) return reject(new UnreachableError(this.host, `${where}: ${refusal}`, false));
        if (err.level === 'client-authentication')
          return reject(new UnreachableError(this.host, `${where}: authentication failed (tried: ${authTried(cfg, hasKey)})`, false));
        if (err.level === 'client-timeout') return reject(new UnreachableError(this.host, `${where}: no SSH handshake within ${s.connectTimeoutMs} ms`));
        reject(new UnreachableError(this.host, `${where}: ${err.code ? err.code + ' ' : ''}${err.message}`));
      });
      c.on('close', () => {
        if (done) return;
        done = true;
        reject(new UnreachableError(this.host, `${where}: ${refusal ?? 'connection closed during handshake'}`, refusal === undefined));
      });
      c.connect(cfg);
      // SSH here is request/response: with Nagle on, a second small packet (the
      // userauth request after NEWKEYS, a command after its stdin) waits for the
      // server's delayed ACK, 40 ms each time; measured: connect + first shell
      // 116 ms -> 41 ms on loopback.
      c.setNoDelay(true);
    });
  }

  protected async launch(command: string): Promise<ShellStreams> {
    if (this.closed) throw new UnreachableError(this.host, 'connection was closed', false);
    const client = await this.ensureConnected();
    const ch = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(command, (err, channel) => (err ? reject(new UnreachableError(this.host, `cannot open a channel: ${err.message}`)) : resolve(channel))),
    );
    const closers: Array<(reason: string) => void> = [];
    let gone: string | null = null;
    const onGone = (reason: string) => {
      if (gone !== null) return;
      gone = reason;
      for (const cb of closers.splice(0)) cb(reason);
    };
    ch.on('close', () => onGone('channel closed'));
    client.once('close', () => onGone(`SSH connection closed${lostReasons.has(client) ? ': ' + lostReasons.get(client) : ''}`));
    ch.on('error', () => undefined);
    return {
      stdin: ch,
      stdout: ch,
      stderr: ch.stderr,
      destroy: () => {
        try {
          ch.close();
        } catch {
          /* connection already gone */
        }
      },
      onClose: (cb) => (gone !== null ? cb(gone) : closers.push(cb)),
    };
  }
}

function authTried(cfg: ConnectConfig, hasKey: boolean): string {
  const m: string[] = [];
  if (hasKey) m.push('private key');
  if (cfg.agent) m.push('ssh-agent');
  if (cfg.password !== undefined) m.push('password');
  return m.length ? m.join(', ') : 'nothing: no key file, agent or password configured';
}

/**
 * A key file parsed once per run, not once per connection (hosts usually
 * share one key; ssh2 re-parses a key buffer on every connect, ~0.6 ms of
 * CPU). Returns the raw bytes when ssh2 cannot parse them without help (an
 * encrypted or invalid key), so ssh2 reports that as before.
 */
const parsedKeys = new Map<string, { stamp: string; key: ParsedKey | Buffer }>();
function privateKeyFrom(file: string): ParsedKey | Buffer {
  const st = statSync(file);
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = parsedKeys.get(file);
  if (hit && hit.stamp === stamp) return hit.key;
  const raw = readFileSync(file);
  const parsed = ssh2.utils.parseKey(raw) as ParsedKey | ParsedKey[] | Error;
  const one = Array.isArray(parsed) ? parsed[0] : parsed;
  const key = !one || one instanceof Error || one.getPrivatePEM() === null ? raw : one;
  parsedKeys.set(file, { stamp, key });
  return key;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
