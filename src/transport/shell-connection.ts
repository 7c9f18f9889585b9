/**
 * What SSH and local connections share: one ShellSession for the login user
 * plus one per become user, each started lazily and restarted when it died.
 * Subclasses only say how to launch a command line as a shell (an exec
 * channel, a child process) and how to (re)connect.
 */
import type { Connection, ConnectionStats, ExecOptions, ExecResult } from './connection.js';
import { ShellSession, bootstrapCommand, sudoCommand, type ShellStartOptions, type ShellStreams } from './shell-session.js';
import { BecomeError } from './errors.js';

export abstract class ShellConnection implements Connection {
  protected sessions = new Map<string, Promise<ShellSession>>();
  /** Become failures are remembered: asking sudo again with the same wrong password helps nobody. */
  private becomeFailures = new Map<string, BecomeError>();
  protected counters: ConnectionStats = { connects: 0, commands: 0 };

  constructor(
    readonly host: string,
    protected becomePassword: string | undefined,
    protected readyTimeoutMs: number,
  ) {}

  abstract open(): Promise<void>;
  abstract close(): Promise<void>;
  /** Start `command` with pipes for stdin/stdout/stderr. */
  protected abstract launch(command: string): Promise<ShellStreams>;
  /** The user commands run as without become (to skip a pointless sudo). */
  protected abstract loginUser(): string | undefined;
  /** Command line starting a shell as `user` (sudo by default). */
  protected becomeCommand(user: string): string {
    return sudoCommand(user, this.becomePassword !== undefined);
  }

  stats(): ConnectionStats {
    return { ...this.counters };
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const user = opts.becomeUser && opts.becomeUser !== this.loginUser() ? opts.becomeUser : undefined;
    const session = await this.session(user);
    this.counters.commands++;
    return session.exec(command, opts);
  }

  /** The live session for `user` (undefined: login user), started when missing or dead. */
  protected async session(user: string | undefined): Promise<ShellSession> {
    const key = user ?? '';
    const failed = user ? this.becomeFailures.get(user) : undefined;
    if (failed) throw failed;
    const existing = this.sessions.get(key);
    if (existing) {
      const s = await existing.catch(() => null);
      if (s?.alive) return s;
      if (this.sessions.get(key) === existing) this.sessions.delete(key);
      else return this.session(user);
    }
    const p = this.startSession(user);
    this.sessions.set(key, p);
    try {
      return await p;
    } catch (e) {
      if (this.sessions.get(key) === p) this.sessions.delete(key);
      if (e instanceof BecomeError && user) this.becomeFailures.set(user, e);
      throw e;
    }
  }

  private async startSession(user: string | undefined, kill?: ShellStartOptions['kill']): Promise<ShellSession> {
    const streams = await this.launch(user ? this.becomeCommand(user) : bootstrapCommand());
    return ShellSession.start(streams, {
      host: this.host,
      becomeUser: user,
      becomePassword: user ? this.becomePassword : undefined,
      readyTimeoutMs: this.readyTimeoutMs,
      kill: kill ?? ((script) => this.runAside(user, script)),
    });
  }

  /** Run a script in a shell of its own for `user`, next to the busy session (a timeout's kill). */
  private async runAside(user: string | undefined, script: string): Promise<void> {
    const aside = await this.startSession(user, async () => undefined);
    try {
      await aside.exec(script, { timeoutMs: 30_000 });
    } finally {
      await aside.close();
    }
  }

  protected async closeSessions(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}
