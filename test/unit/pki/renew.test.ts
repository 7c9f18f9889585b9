import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIntermediateCa, createRootCa, issueLeaf, renewCertificate, type KeyAndCert } from '../../../src/pki/authority.js';
import { certFacts, parseCertificate } from '../../../src/pki/cert.js';
import { runCa, runIssue, runRenew } from '../../../src/pki/commands.js';

/**
 * `drover pki renew`: the same key, subject and extensions under a new
 * serial and validity, signed by the CA that issued the certificate; only
 * when due with --within; checked with openssl verify.
 */

let dir: string;
let root: KeyAndCert;
let inter: KeyAndCert;
const past = new Date(Date.now() - 20 * 86400_000);
const f = (n: string) => join(dir, n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-renew-'));
  root = await createRootCa({ subject: { CN: 'Renew Root' }, key: { type: 'ECC', curve: 'secp256r1' }, now: past });
  inter = await createIntermediateCa(root, { subject: { CN: 'Renew Intermediate' }, pathlen: 0, key: { type: 'Ed25519' }, now: past });
  writeFileSync(f('root.crt'), root.certPem);
  writeFileSync(f('inter.crt'), inter.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = (pem: string, purpose = 'sslserver') => {
  writeFileSync(f('check.crt'), pem);
  const r = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', f('root.crt'), '-untrusted', f('inter.crt'), f('check.crt')], { encoding: 'utf8' });
  return r.stdout + r.stderr;
};

describe('renewCertificate', () => {
  it('a short-lived certificate: same key, subject and extensions, new serial, the same lifetime from now', async () => {
    const leaf = await issueLeaf(inter, { kind: 'server', subject: { CN: 'short.lab' }, san: ['DNS:short.lab', 'IP:10.1.1.1'], key: { type: 'ECC', curve: 'secp384r1' }, notAfter: '+2h' });
    const r = await renewCertificate(inter, leaf.certPem, { within: 30 * 86400 });
    expect(r.reason).toMatch(/^valid until /);
    const a = certFacts(parseCertificate(leaf.certPem));
    const b = certFacts(parseCertificate(r.certPem!));
    expect(b.serial).not.toBe(a.serial);
    expect(b.publicKeyFingerprint).toBe(a.publicKeyFingerprint);
    expect(b.subject).toEqual(a.subject);
    expect(b.extensions).toEqual(a.extensions);
    expect(b.authorityKeyId).toBe(a.authorityKeyId);
    expect(b.subjectKeyId).toBe(a.subjectKeyId);
    const life = (x: typeof a) => new Date(x.notAfter).getTime() - new Date(x.notBefore).getTime();
    expect(life(b)).toBe(life(a));
    expect(new Date(b.notAfter).getTime()).toBeGreaterThanOrEqual(new Date(a.notAfter).getTime());
    expect(verify(r.certPem!)).toContain(': OK');
  });

  it('an expired certificate is renewed and verifies again', async () => {
    const old = await issueLeaf(inter, { kind: 'client', subject: { CN: 'old client' }, key: { type: 'RSA', size: 2048 }, now: new Date(Date.now() - 10 * 86400_000), notAfter: '+2d' });
    expect(verify(old.certPem, 'sslclient')).toMatch(/certificate has expired/);
    const r = await renewCertificate(inter, old.certPem, { within: 30 * 86400 });
    expect(r.reason).toMatch(/^expired on /);
    expect(verify(r.certPem!, 'sslclient')).toContain(': OK');
  });

  it('not due: left alone', async () => {
    const leaf = await issueLeaf(inter, { kind: 'server', subject: { CN: 'long.lab' }, key: { type: 'Ed25519' }, notAfter: '+365d' });
    const r = await renewCertificate(inter, leaf.certPem, { within: 30 * 86400 });
    expect(r.certPem).toBeUndefined();
    expect(r.reason).toMatch(/^not due: valid until .*, more than 30 days$/);
  });

  it('a certificate another CA issued is refused', async () => {
    const other = await createRootCa({ subject: { CN: 'Other Root' }, key: { type: 'Ed25519' } });
    const leaf = await issueLeaf(other, { kind: 'server', subject: { CN: 'foreign.lab' }, key: { type: 'Ed25519' } });
    await expect(renewCertificate(inter, leaf.certPem)).rejects.toThrow(/"CN=foreign.lab" was not issued by this CA "CN=Renew Intermediate"/);
  });
});

describe('pki renew (CLI action)', () => {
  let out: string[] = [];
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  });
  afterEach(() => (out = []));
  afterAll(() => vi.restoreAllMocks());

  it('rewrites the certificate and its chain file; with --within it leaves a fresh one alone', async () => {
    await runCa({ cn: 'CLI Root', kty: 'EC', out: f('cli-ca') });
    await runIssue({ ca: f('cli-ca'), server: true, cn: 'web9', hours: '1', kty: 'EC', out: f('cli-certs') });
    const before = readFileSync(f('cli-certs/web9.crt'), 'utf8');
    expect(existsSync(f('cli-certs/web9-chain.crt'))).toBe(true);
    out = [];
    await runRenew(f('cli-certs/web9.crt'), { ca: f('cli-ca'), within: '30', days: '90' });
    expect(out.join('')).toMatch(/web9\.crt: renewed \(valid until .*\), now valid until .*; .*web9-chain\.crt rewritten/);
    const after = readFileSync(f('cli-certs/web9.crt'), 'utf8');
    expect(after).not.toBe(before);
    expect(readFileSync(f('cli-certs/web9-chain.crt'), 'utf8')).toBe(after.trim() + '\n');
    const days = (new Date(certFacts(parseCertificate(after)).notAfter).getTime() - Date.now()) / 86400_000;
    expect(Math.round(days)).toBe(90);
    out = [];
    await runRenew(f('cli-certs/web9.crt'), { ca: f('cli-ca'), within: '30' });
    expect(out.join('')).toMatch(/not due: .*; left alone/);
    expect(readFileSync(f('cli-certs/web9.crt'), 'utf8')).toBe(after);
  });
});
