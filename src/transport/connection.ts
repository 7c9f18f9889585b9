/**
 * The transport contract. A Connection is one host for the whole run: the SSH
 * transport keeps one SSH connection and one long-lived shell per (host,
 * become user) on it; the local transport runs the same shell locally.
 * Commands are shell command lines run by bash on the target.
 */
export interface ExecOptions {
  /** Bytes fed to the command's stdin. Secrets go here, never into the command line. */
  stdin?: string | Buffer;
  /** Run as this user through sudo (become). Undefined: the login user. */
  becomeUser?: string;
  /** Working directory for this command only. */
  cwd?: string;
  /** Extra environment for this command only. */
  env?: Record<string, string>;
  /** Kill the command (its whole process group) after this many ms. */
  timeoutMs?: number;
  /**
   * Keep at most this many bytes of stdout, and of stderr: the first and last
   * halves, the middle dropped and replaced by a marker line (see
   * output-capture.ts). Unset: every byte (facts read files through exec).
   */
  maxOutputBytes?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; 128+N when killed by signal N. */
  rc: number;
  /** With maxOutputBytes: how many bytes of each stream were dropped (absent when none were). */
  omitted?: { stdout: number; stderr: number };
}

export interface ConnectionStats {
  /** SSH connections opened (1 for a healthy run, more after reconnects). */
  connects: number;
  /** Commands run. */
  commands: number;
}

export interface Connection {
  readonly host: string;
  /** Connect now (the engine connects with bounded concurrency before the first task). */
  open(): Promise<void>;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  stats(): ConnectionStats;
}

/** Connection settings for one host, resolved from inventory variables. */
export interface ConnectionSpec {
  /** Inventory name, used in messages. */
  name: string;
  kind: 'ssh' | 'local';
  host: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  password?: string;
  /** Use $SSH_AUTH_SOCK when set. */
  agent?: string;
  /** strict: refuse unknown and changed keys; accept-new: learn unknown keys; off: accept any. */
  hostKeyChecking: 'strict' | 'accept-new' | 'off';
  knownHostsFile?: string;
  becomePassword?: string;
  becomeMethod?: 'sudo';
  /** ProxyJump-style hop: user@host:port. */
  jump?: { host: string; port: number; user?: string; privateKeyFile?: string };
  connectTimeoutMs: number;
  /** How many times a failed connect (not a failed command) is retried, with backoff. */
  connectRetries: number;
  keepaliveIntervalMs: number;
}
