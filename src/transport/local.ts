/**
 * ansible_connection=local (and the implicit localhost): the same long-lived
 * shell protocol as SSH, over a bash spawned on the controller.
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import type { ConnectionSpec } from './connection.js';
import { ShellConnection } from './shell-connection.js';
import { runuserCommand, type ShellStreams } from './shell-session.js';

export class LocalConnection extends ShellConnection {
  private me = userInfo().username;
  private opened = false;

  constructor(spec: Pick<ConnectionSpec, 'name' | 'becomePassword'> & Partial<Pick<ConnectionSpec, 'connectTimeoutMs'>>) {
    super(spec.name, spec.becomePassword, Math.max(spec.connectTimeoutMs ?? 10_000, 10_000));
  }

  async open(): Promise<void> {
    await this.session(undefined);
  }

  async close(): Promise<void> {
    this.opened = false;
    await this.closeSessions();
  }

  protected loginUser(): string {
    return this.me;
  }

  protected override becomeCommand(user: string): string {
    // root needs no sudo (and no sudoers entry) to become anyone.
    return process.getuid?.() === 0 ? runuserCommand(user) : super.becomeCommand(user);
  }

  protected async launch(command: string): Promise<ShellStreams> {
    // "Connected" once, when the first shell starts (mirrors one SSH connection).
    if (!this.opened) {
      this.opened = true;
      this.counters.connects++;
    }
    // A session of its own: the shell's jobs never take over the controller's
    // terminal (job control is on) and a Ctrl-C there reaches drover, not them.
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const closers: Array<(reason: string) => void> = [];
    let closed: string | null = null;
    const onGone = (reason: string) => {
      if (closed !== null) return;
      closed = reason;
      for (const cb of closers) cb(reason);
    };
    child.on('exit', (code, sig) => onGone(sig ? `shell killed by ${sig}` : `shell exited with ${code}`));
    child.on('error', (e) => onGone(`cannot start shell: ${e.message}`));
    child.stdin.on('error', () => undefined);
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      destroy: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      onClose: (cb) => (closed !== null ? cb(closed) : closers.push(cb)),
    };
  }
}
