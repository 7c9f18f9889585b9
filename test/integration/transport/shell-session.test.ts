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

  it('output: whole unless the exec asks for a bound (facts read files whole); bounded keeps head and tail around a marker', async () => {
    const s = await start(`printf '%s bash %s\\n' ${READY_MARK} $$; exec bash --noprofile --norc -s`);
    const big = "head -c 3000000 /dev/zero | tr '\\0' a; printf 'é-end'; head -c 100000 /dev/zero | tr '\\0' b >&2; exit 4";
    const whole = await s.exec(big);
    expect(whole.stdout.length).toBe(3_000_000 + 'é-end'.length);
    expect(whole.stderr.length).toBe(100_000);
    expect(whole.rc).toBe(4);
    expect(whole.omitted).toBeUndefined();
    const bounded = await s.exec(big, { maxOutputBytes: 1000 });
    // The tail's 500 bytes end in "é-end" (6 bytes); the é is whole.
    expect(bounded.stdout).toBe(`${'a'.repeat(500)}\n[drover: 3.0 MB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more]\n${'a'.repeat(494)}é-end`);
    expect(bounded.stderr).toBe(`${'b'.repeat(500)}\n[drover: 99.0 kB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more]\n${'b'.repeat(500)}`);
    expect(bounded.rc).toBe(4);
    expect(bounded.omitted).toEqual({ stdout: 3_000_006 - 1000, stderr: 99_000 });
    expect((await s.exec('echo next')).stdout).toBe('next\n');
  });

  it('stdin arrives byte for byte: small input as a here-document, the rest through head -c (bash and dash)', async () => {
    const inputs = [
      Buffer.from("a 'quoted' $HOME `id` \\ \n\tEOF\r\n__DRV_IN_x\n", 'utf8'),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x0d]), Buffer.from('\n')]),
      Buffer.from('no newline at the end'),
      Buffer.from([0x61, 0, 0x62, 0x0a]),
      Buffer.from('x'.repeat(9000) + '\n'),
    ];
    for (const shell of ['bash --noprofile --norc -s', 'dash -s']) {
      const s = await start(`printf '%s ${shell.split(' ')[0] === 'dash' ? 'sh' : 'bash'} %s\\n' ${READY_MARK} $$; exec ${shell}`);
      for (const input of inputs) {
        const r = await s.exec('od -An -v -tx1 | tr -d " \\n"', { stdin: input });
        expect(r.stdout, `${shell}: ${JSON.stringify(input.toString('latin1').slice(0, 40))}`).toBe(input.toString('hex'));
        expect((await s.exec('echo "$#"; cat')).stdout).toBe('0\n');
      }
    }
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
