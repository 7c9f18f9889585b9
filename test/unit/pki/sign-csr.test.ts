import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIntermediateCa, createRootCa, signCsr, type KeyAndCert } from '../../../src/pki/authority.js';
import { certFacts, parseCertificate } from '../../../src/pki/cert.js';
import { runCa, runIntermediate, runShow, runSign } from '../../../src/pki/commands.js';

/**
 * `drover pki sign`: CSRs made by `openssl req`, signed under the server or
 * client profile, checked with `openssl verify -x509_strict`; validity in
 * hours and the back-dated notBefore; `pki show --json`; an encrypted CA key
 * (--key-passphrase-file / --ca-key-passphrase-file).
 */

function openssl(args: string[], cwd?: string) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
let root: KeyAndCert;
let inter: KeyAndCert;
const f = (n: string) => join(dir, n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-sign-'));
  root = await createRootCa({ subject: { CN: 'Sign Root' }, key: { type: 'ECC', curve: 'secp384r1' } });
  inter = await createIntermediateCa(root, { subject: { CN: 'Sign Intermediate' }, pathlen: 0, key: { type: 'ECC', curve: 'secp256r1' } });
  writeFileSync(f('root.crt'), root.certPem);
  writeFileSync(f('inter.crt'), inter.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSR as people make it with openssl req. */
function opensslCsr(name: string, newkey: string[], subj: string, addext: string[] = []): string {
  const r = openssl(['req', '-new', ...newkey, '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subj, ...addext.flatMap((e) => ['-addext', e])]);
  expect(r.rc, r.out).toBe(0);
  return readFileSync(f(`${name}.csr`), 'utf8');
}

const verify = (purpose: string, file: string) => openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', f('root.crt'), '-untrusted', f('inter.crt'), file]);

const CSRS = [
  {
    label: 'EC P-256 server CSR with extra subject fields, SANs and a request for CA:TRUE',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    subj: '/C=DE/O=Elsewhere/CN=web2.lab',
    addext: ['subjectAltName=DNS:web2.lab,DNS:www.web2.lab,IP:10.0.0.7', 'basicConstraints=critical,CA:TRUE', 'keyUsage=keyCertSign'],
    profile: 'server' as const,
    san: ['DNS:web2.lab', 'DNS:www.web2.lab', 'IP:10.0.0.7'],
    ignored: ['subject fields C=DE, O=Elsewhere', 'basicConstraints CA:TRUE', 'keyUsage keyCertSign'],
    purpose: 'sslserver',
    wrong: 'sslclient',
  },
  {
    label: 'RSA server CSR with only a CN: the CN becomes the SAN',
    newkey: ['-newkey', 'rsa:2048'],
    subj: '/CN=api.lab',
    addext: [],
    profile: 'server' as const,
    san: ['DNS:api.lab'],
    ignored: [],
    purpose: 'sslserver',
    wrong: 'sslclient',
  },
  {
    label: 'Ed25519 client CSR with an email SAN',
    newkey: ['-newkey', 'ed25519'],
    subj: '/O=People/CN=alice',
    addext: ['subjectAltName=email:alice@example.org', 'extendedKeyUsage=serverAuth'],
    profile: 'client' as const,
    san: ['email:alice@example.org'],
    ignored: ['subject fields O=People', 'extendedKeyUsage serverAuth'],
    purpose: 'sslclient',
    wrong: 'sslserver',
  },
];

describe.each(CSRS)('pki sign: $label', (c) => {
  it('copies the CN and the SANs, takes usages from the profile, says what it ignored; openssl verifies', async () => {
    const name = c.subj.replace(/\W+/g, '-');
    const signed = await signCsr(inter, opensslCsr(name, c.newkey, c.subj, c.addext), { profile: c.profile });
    expect(signed.san).toEqual(c.san);
    expect(signed.ignored).toEqual(c.ignored);
    writeFileSync(f(`${name}.crt`), signed.certPem);
    expect(verify(c.purpose, f(`${name}.crt`)).out).toContain(': OK');
    expect(verify(c.wrong, f(`${name}.crt`)).rc).not.toBe(0);
    const facts = certFacts(parseCertificate(signed.certPem));
    expect(facts.subject).toEqual({ CN: /CN=([^/]+)/.exec(c.subj)![1] });
    expect(facts.extensions).toMatchObject({ subjectAltName: c.san, basicConstraints: { ca: false }, extendedKeyUsage: [c.profile === 'server' ? 'serverAuth' : 'clientAuth'] });
    // The certificate is for the CSR's key.
    expect(openssl(['x509', '-in', f(`${name}.crt`), '-noout', '-pubkey']).out).toBe(openssl(['pkey', '-in', f(`${name}.key`), '-pubout']).out);
  });
});

describe('pki sign refuses', () => {
  it('a CSR whose signature does not verify', async () => {
    const pem = opensslCsr('tampered', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=tampered.lab');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    // Change the CN (tampered -> tamperes) after signing.
    const at = der.indexOf(Buffer.from('tampered.lab'));
    der[at + 7] = 's'.charCodeAt(0);
    const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(inter, bad, { profile: 'server' })).rejects.toThrow(/signature does not verify/);
  });

  it('a CSR with an unsupported key (EC P-521)', async () => {
    const pem = opensslCsr('p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], '/CN=p521.lab');
    await expect(signCsr(inter, pem, { profile: 'server' })).rejects.toThrow(/EC curve secp521r1 is not supported/);
  });
});

describe('validity: hours and a back-dated notBefore', () => {
  it('default notBefore is five minutes ago; --hours gives a short-lived certificate; --not-before moves the start (never before the CA)', async () => {
    const now = new Date('2026-12-05T12:00:00Z');
    const ca = await createRootCa({ subject: { CN: 'Time Root' }, key: { type: 'Ed25519' }, now, notBefore: '-1d' });
    const csr = opensslCsr('short', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=short.lab');
    const short = certFacts(parseCertificate((await signCsr(ca, csr, { profile: 'server', notAfter: '+12h', now })).certPem));
    expect(short.notBefore).toBe('2026-12-05T11:55:00.000Z');
    expect(short.notAfter).toBe('2026-12-06T00:00:00.000Z');
    const early = certFacts(parseCertificate((await signCsr(ca, csr, { profile: 'server', notAfter: '+1h', notBefore: '-2h', now })).certPem));
    expect(early.notBefore).toBe('2026-12-05T10:00:00.000Z');
    const tooEarly = certFacts(parseCertificate((await signCsr(ca, csr, { profile: 'server', notAfter: '+1h', notBefore: '-2d', now })).certPem));
    expect(tooEarly.notBefore).toBe('2026-12-04T12:00:00.000Z'); // the CA's own notBefore
  });
});

describe('the CLI actions: encrypted CA key, sign, show --json', () => {
  let out: string[];
  afterEach(() => vi.restoreAllMocks());
  const capture = () => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  };

  it('ca with --key-passphrase-file writes an encrypted key; using it needs --ca-key-passphrase-file; sign and show --json', async () => {
    writeFileSync(f('pass.txt'), 'correct horse\n');
    capture();
    await runCa({ cn: 'Enc Root', kty: 'EC', out: f('enc-ca'), keyPassphraseFile: f('pass.txt') });
    const keyPem = readFileSync(f('enc-ca/ca.key'), 'utf8');
    expect(keyPem).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(openssl(['pkey', '-in', f('enc-ca/ca.key'), '-noout', '-passin', `file:${f('pass.txt')}`]).rc).toBe(0);

    await expect(runIntermediate({ ca: f('enc-ca'), cn: 'Enc Inter', out: f('enc-inter') })).rejects.toThrow(/is encrypted/);
    writeFileSync(f('wrong.txt'), 'wrong\n');
    await expect(runIntermediate({ ca: f('enc-ca'), cn: 'Enc Inter', out: f('enc-inter'), caKeyPassphraseFile: f('wrong.txt') })).rejects.toThrow(/wrong passphrase/);
    await runIntermediate({ ca: f('enc-ca'), cn: 'Enc Inter', kty: 'Ed25519', out: f('enc-inter'), caKeyPassphraseFile: f('pass.txt') });

    opensslCsr('cli', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], '/CN=cli.lab', ['subjectAltName=DNS:cli.lab']);
    await runSign(f('cli.csr'), { ca: f('enc-inter'), profile: 'server', hours: '24', out: f('signed') });
    expect(out.join('')).toContain('server certificate "cli.lab" from');
    await expect(runSign(f('cli.csr'), { ca: f('enc-inter'), profile: 'web', out: f('signed') })).rejects.toThrow(/--profile web/);
    await expect(runSign(f('cli.csr'), { ca: f('enc-inter'), profile: 'server', days: '1', hours: '2', out: f('signed2') })).rejects.toThrow(/--days or --hours, not both/);
    const v = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', f('enc-ca/ca.crt'), '-untrusted', f('enc-inter/ca.crt'), f('signed/cli.lab.crt')]);
    expect(v.out).toContain(': OK');

    capture();
    await runShow(f('signed/cli.lab-chain.crt'), { json: true });
    const shown = JSON.parse(out.join(''));
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatchObject({ subject: { CN: 'cli.lab' }, issuer: { CN: 'Enc Inter' }, key: { type: 'ECC', curve: 'secp384r1' }, signatureAlgorithm: 'ED25519', expired: false, extensions: { subjectAltName: ['DNS:cli.lab'], extendedKeyUsage: ['serverAuth'] } });
    expect(shown[0].secondsLeft).toBeGreaterThan(23 * 3600);
    expect(shown[0].secondsLeft).toBeLessThanOrEqual(24 * 3600);
    expect(shown[1]).toMatchObject({ subject: { CN: 'Enc Inter' }, key: { type: 'Ed25519' }, signatureAlgorithm: 'ecdsa-with-SHA256' });
  });
});
