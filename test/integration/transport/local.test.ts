import { afterAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../../src/transport/local.js';
import { pgrep } from '../../helpers/pgrep.js';
import { CommandTimeoutError, UnreachableError } from '../../../src/util/errors.js';

const c = new LocalConnection({ name: 'localhost' });
afterAll(() => c.close());

describe('LocalConnection', () => {
  it('runs commands in one long-lived shell with exact output', async () => {
    await c.open();
    const pid1 = (await c.exec('echo $$')).stdout;
    expect(await c.exec('printf out; printf err >&2; exit 4')).toEqual({ stdout: 'out', stderr: 'err', rc: 4 });
    expect((await c.exec('echo $$')).stdout).toBe(pid1);
    expect((await c.exec('cat', { stdin: 'a\0b' })).stdout).toBe('a\0b');
    expect((await c.exec('pwd; echo $X', { cwd: '/', env: { X: 'y' } })).stdout).toBe('/\ny\n');
    expect(c.stats()).toEqual({ connects: 1, commands: 5 });
  });

  it('becomes another user (runuser as root, sudo otherwise)', async () => {
    const me = (await c.exec('id -un')).stdout.trim();
    const r = await c.exec('id -un; echo $HOME', { becomeUser: 'drover-t1' });
    expect(r.stdout).toBe('drover-t1\n/home/drover-t1\n');
    expect((await c.exec('id -un', { becomeUser: me })).stdout).toBe(me + '\n');
  });

  it('times out a hung command, kills its children, keeps the shell', async () => {
    const mark = 4000 + Math.floor(Math.random() * 500);
    const err = await c.exec(`sleep ${mark} | cat`, { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(pgrep(`sleep ${mark}`)).toBe('');
    expect((await c.exec('echo ok')).stdout).toBe('ok\n');
  });

  it('a shell that dies mid-command fails it as retryable and is restarted', async () => {
    const err = await c.exec('kill -9 $$; sleep 5').catch((e) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.retryable).toBe(true);
    expect((await c.exec('echo again')).stdout).toBe('again\n');
  });
});
