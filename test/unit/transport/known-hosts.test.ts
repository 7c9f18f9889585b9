import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, entryMatches, fingerprintSha256, hostKeyName, keyTypeOf, knownKeyTypes, lookupHostKey, parseKnownHosts } from '../../../src/transport/known-hosts.js';

/** A syntactically real ssh-ed25519 public key blob. */
function blob(seed: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const b = Buffer.alloc(4 + type.length + 4 + 32);
  b.writeUInt32BE(type.length, 0);
  type.copy(b, 4);
  b.writeUInt32BE(32, 4 + type.length);
  key.copy(b, 8 + type.length);
  return b;
}
const K1 = blob(1);
const K2 = blob(2);
const b64 = (b: Buffer) => b.toString('base64');

function hashed(name: string, salt = Buffer.alloc(20, 7)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts parsing and matching', () => {
  const text = [
    '# comment',
    '',
    `web1,10.0.0.1 ssh-ed25519 ${b64(K1)} comment here`,
    `[10.0.0.2]:2222 ssh-ed25519 ${b64(K1)}`,
    `*.lab,!bad.lab ssh-ed25519 ${b64(K2)}`,
    `${hashed('[127.0.0.1]:8222')} ssh-ed25519 ${b64(K2)}`,
    `@revoked * ssh-ed25519 ${b64(blob(9))}`,
    'garbage-line',
  ].join('\n');
  const entries = parseKnownHosts(text);

  it('parses entries with line numbers and markers, skipping comments and junk', () => {
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(entries[0]!.patterns).toEqual(['web1', '10.0.0.1']);
    expect(entries[4]!.marker).toBe('@revoked');
  });

  it('names hosts the way OpenSSH writes them', () => {
    expect(hostKeyName('h', 22)).toBe('h');
    expect(hostKeyName('127.0.0.1', 8222)).toBe('[127.0.0.1]:8222');
  });

  it('matches plain, [host]:port, wildcard, negated and hashed patterns', () => {
    expect(entryMatches(entries[0]!, 'web1', 22)).toBe(true);
    expect(entryMatches(entries[0]!, '10.0.0.1', 22)).toBe(true);
    expect(entryMatches(entries[0]!, 'web1', 2222)).toBe(false);
    expect(entryMatches(entries[1]!, '10.0.0.2', 2222)).toBe(true);
    expect(entryMatches(entries[1]!, '10.0.0.2', 22)).toBe(false);
    expect(entryMatches(entries[2]!, 'a.lab', 22)).toBe(true);
    expect(entryMatches(entries[2]!, 'bad.lab', 22)).toBe(false);
    expect(entryMatches(entries[3]!, '127.0.0.1', 8222)).toBe(true);
    expect(entryMatches(entries[3]!, '127.0.0.1', 8223)).toBe(false);
  });

  it('looks up match / changed / unknown / revoked', () => {
    expect(lookupHostKey(entries, 'web1', 22, K1).status).toBe('match');
    expect(lookupHostKey(entries, 'web1', 22, K2)).toMatchObject({ status: 'changed', entries: [{ line: 3 }] });
    expect(lookupHostKey(entries, 'nowhere', 22, K1).status).toBe('unknown');
    expect(lookupHostKey(entries, '127.0.0.1', 8222, K2).status).toBe('match');
    expect(lookupHostKey(entries, 'web1', 22, blob(9)).status).toBe('revoked');
    expect(knownKeyTypes(entries, 'web1', 22)).toEqual(['ssh-ed25519']);
  });

  it('reads key types and fingerprints like ssh-keygen', () => {
    expect(keyTypeOf(K1)).toBe('ssh-ed25519');
    expect(fingerprintSha256(K1)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('checkHostKey policies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-kh-'));

  it('strict refuses unknown keys with the fingerprint and the way to accept', () => {
    const d = checkHostKey({ file: join(dir, 'none'), host: '10.1.1.1', port: 22, policy: 'strict', key: K1 });
    expect(d.ok).toBe(false);
    expect(d.message).toContain(fingerprintSha256(K1));
    expect(d.message).toContain('ssh-keyscan -p 22 10.1.1.1');
  });

  it('accept-new appends unknown keys (0600 file) and refuses changed ones', () => {
    const file = join(dir, 'sub', 'known_hosts');
    const d = checkHostKey({ file, host: '10.1.1.2', port: 2200, policy: 'accept-new', key: K1 });
    expect(d).toMatchObject({ ok: true, learned: true });
    expect(readFileSync(file, 'utf8')).toBe(`[10.1.1.2]:2200 ssh-ed25519 ${b64(K1)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(checkHostKey({ file, host: '10.1.1.2', port: 2200, policy: 'strict', key: K1 }).ok).toBe(true);
    const changed = checkHostKey({ file, host: '10.1.1.2', port: 2200, policy: 'accept-new', key: K2 });
    expect(changed.ok).toBe(false);
    expect(changed.message).toMatch(/CHANGED/);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('off accepts anything and touches nothing', () => {
    expect(checkHostKey({ file: join(dir, 'never'), host: 'x', port: 22, policy: 'off', key: K2 })).toEqual({ ok: true });
  });
});
