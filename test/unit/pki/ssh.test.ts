import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { generateSshKey, parseSshPrivateKey, sshFingerprint, withComment } from '../../../src/pki/ssh.js';

// Our openssh-key-v1 encoding, checked by the real ssh-keygen.
const dir = mkdtempSync(join(tmpdir(), 'drover-ssh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const [type, size] of [['rsa', 2048], ['ed25519', 256]] as const) {
  it(`${type}: ssh-keygen derives our public key and fingerprint; comment can be changed`, async () => {
    const k = await generateSshKey(type, size, 'me@lab');
    const f = join(dir, `id_${type}`);
    writeFileSync(f, withComment(k.privateKey, 'renamed'), { mode: 0o600 });
    const y = spawnSync('ssh-keygen', ['-y', '-f', f], { encoding: 'utf8' });
    expect(y.status, y.stderr).toBe(0);
    expect(y.stdout.trim()).toBe(k.publicKey.trim().replace(/ me@lab$/, ' renamed'));
    writeFileSync(`${f}.pub`, k.publicKey);
    const info = parseSshPrivateKey(k.privateKey);
    expect(info).toMatchObject({ type, bits: size, comment: 'me@lab', encrypted: false });
    const l = spawnSync('ssh-keygen', ['-l', '-f', `${f}.pub`], { encoding: 'utf8' }).stdout;
    expect(l).toContain(`${size} ${sshFingerprint(info.publicBlob)} me@lab`);
  });
}

it('reads keys ssh-keygen wrote', () => {
  const f = join(dir, 'kg');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'from-keygen', '-f', f]);
  expect(parseSshPrivateKey(readFileSync(f, 'utf8'))).toMatchObject({ type: 'ed25519', comment: 'from-keygen' });
});
