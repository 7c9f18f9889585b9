import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshSpec } from '../../helpers/sshd.js';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { SshConnection } from '../../../src/transport/ssh.js';
import { UnreachableError } from '../../../src/util/errors.js';

const sshd = useSshd();
let n = 0;

function khFile(content: string): string {
  const f = join(sshd.dir, `kh-${n++}`);
  writeFileSync(f, content);
  return f;
}

async function tryConnect(over: Parameters<typeof sshSpec>[1]): Promise<unknown> {
  const c = new SshConnection(sshSpec(sshd, { connectRetries: 3, ...over }));
  try {
    await c.open();
    return (await c.exec('echo in')).stdout;
  } catch (e) {
    return e;
  } finally {
    await c.close();
  }
}

/** A known_hosts line for the sshd address with some other ed25519 key. */
function otherKeyLine(): string {
  const f = join(sshd.dir, `other-${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  const pub = readFileSync(f + '.pub', 'utf8').split(' ').slice(0, 2).join(' ');
  return `[127.0.0.1]:${sshd.port} ${pub}\n`;
}

describe('host key checking', () => {
  it('strict accepts the key on file, also as a hashed |1| entry', async () => {
    expect(await tryConnect({})).toBe('in\n');
    const f = khFile(readFileSync(sshd.knownHostsFile, 'utf8'));
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
    expect(readFileSync(f, 'utf8')).toMatch(/^\|1\|/);
    expect(await tryConnect({ knownHostsFile: f })).toBe('in\n');
  });

  it('strict refuses an unknown key, showing its SHA256 fingerprint and how to accept it, without retrying', async () => {
    const t0 = Date.now();
    const err = await tryConnect({ knownHostsFile: khFile('') });
    expect(err).toBeInstanceOf(UnreachableError);
    const e = err as UnreachableError;
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(sshd.hostKeyFingerprint);
    expect(e.message).toMatch(/not known/);
    expect(e.message).toMatch(/ssh-keyscan -p \d+ 127\.0\.0\.1/);
    expect(e.message).toMatch(/accept-new/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('accept-new learns an unknown key, then strict accepts it', async () => {
    const f = khFile('# empty\n');
    expect(await tryConnect({ knownHostsFile: f, hostKeyChecking: 'accept-new' })).toBe('in\n');
    const learned = readFileSync(f, 'utf8');
    expect(learned).toContain(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`);
    expect(await tryConnect({ knownHostsFile: f, hostKeyChecking: 'strict' })).toBe('in\n');
    // Learned once, not appended on every connect.
    expect(await tryConnect({ knownHostsFile: f, hostKeyChecking: 'accept-new' })).toBe('in\n');
    expect(readFileSync(f, 'utf8')).toBe(learned);
  });

  it('a changed key is refused by strict and accept-new', async () => {
    for (const policy of ['strict', 'accept-new'] as const) {
      const f = khFile(otherKeyLine());
      const err = await tryConnect({ knownHostsFile: f, hostKeyChecking: policy });
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as Error).message).toMatch(/CHANGED/);
      expect((err as Error).message).toContain(sshd.hostKeyFingerprint);
      expect((err as Error).message).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
      expect(readFileSync(f, 'utf8')).not.toContain(sshd.hostPublicKey);
    }
  });

  it('off accepts any key (host_key_checking=false)', async () => {
    expect(await tryConnect({ knownHostsFile: khFile(otherKeyLine()), hostKeyChecking: 'off' })).toBe('in\n');
    expect(await tryConnect({ knownHostsFile: join(sshd.dir, 'missing/known_hosts'), hostKeyChecking: 'off' })).toBe('in\n');
  });

  it('checks the jump host key too', async () => {
    const err = await tryConnect({ knownHostsFile: khFile(otherKeyLine()), jump: { host: sshd.host, port: sshd.port } });
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(/^jump host .*CHANGED/);
  });
});
