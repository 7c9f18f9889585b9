import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ShellSession, READY_MARK, type ShellStreams } from '../../../src/transport/shell-session.js';
import { CommandTimeoutError } from '../../../src/util/errors.js';

/** A real shell process as ShellStreams (what LocalConnection does, with a chosen shell). */
function spawnShell(bootstrap: string): ShellStreams {
  const child = spawn('/bin/sh', ['-c', bootstrap], { stdio: 'pipe' });
  const closers: Array<(r: string) => void> = [];
  child.on('exit', () => closers.forEach((c) => c('exited')));
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    destroy: () => child.kill('SIGKILL'),
    onClose: (cb) => closers.push(cb),
  };
}

/** The out-of-band shell a timeout uses: here a local sh, like LocalConnection's. */
function runSh(script: string): Promise<void> {
  return new Promise((resolve) => spawn('/bin/sh', ['-c', script], { stdio: 'ignore' }).on('exit', () => resolve()));
}

const sessions: ShellSession[] = [];
afterAll(() => Promise.all(sessions.map((s) => s.close())));

async function start(bootstrap: string): Promise<ShellSession> {
  const s = await ShellSession.start(spawnShell(bootstrap), { host: 'test', readyTimeoutMs: 5000, kill: runSh });
  sessions.push(s);
  return s;
}

describe('ShellSession protocol', () => {
  it('bash: commands see no positional parameters and may use heredocs and functions', async () => {
    const s = await start(`printf '%s bash %s\\n' ${READY_MARK} $$; exec bash --noprofile --norc -s`);
    expect(s.shell).toBe('bash');
    expect((await s.exec('echo "[$#][$1]"')).stdout).toBe('[0][]\n');
    expect((await s.exec('cat <<EOF\nx\nEOF\nf() { echo in-f; }; f')).stdout).toBe('x\nin-f\n');
    expect((await s.exec('exit 9', { cwd: '/' })).rc).toBe(9);
  });

  it('sh (dash) fallback: same results, stdin, cwd/env and timeouts', async () => {
    const s = await start(`printf '%s sh %s\\n' ${READY_MARK} $$; exec dash -s`);
    expect(s.shell).toBe('sh');
    expect(await s.exec('printf a; printf b >&2; exit 3')).toEqual({ stdout: 'a', stderr: 'b', rc: 3 });
    expect((await s.exec('cat', { stdin: Buffer.from([0, 255, 10]) })).stdout).toBe(Buffer.from([0, 255, 10]).toString('utf8'));
    expect((await s.exec('pwd; echo "$V"', { cwd: '/tmp', env: { V: "a'b" } })).stdout).toBe("/tmp\na'b\n");
    const err = await s.exec('sleep 30', { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((await s.exec('echo ok')).stdout).toBe('ok\n');
  });
});
