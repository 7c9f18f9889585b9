import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa, issueLeaf, type KeyAndCert } from '../../../src/pki/authority.js';
import { issueCertificate, parseCertificate, parseTimeSpec } from '../../../src/pki/cert.js';
import { chainPem, verifyPemChain } from '../../../src/pki/chain.js';
import { createCsr, csrRequest, parseCsr } from '../../../src/pki/csr.js';
import { generateRsaKey, loadPrivateKey, privateKeyToPem } from '../../../src/pki/keys.js';

// Everything drover generates is checked with the real openssl CLI.

function openssl(args: string[], input?: string) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', input });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
let root: KeyAndCert;
let inter: KeyAndCert;
let server: KeyAndCert;
let client: KeyAndCert;
const f = (n: string) => join(dir, n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-pki-'));
  root = await createRootCa({ subject: { C: 'DE', O: 'Leftasexercise blog', CN: 'Root CA' }, keySize: 2048 });
  inter = await createIntermediateCa(root, { subject: { CN: 'Intermediate CA' }, pathlen: 0, keySize: 2048 });
  server = await issueLeaf(inter, { kind: 'server', subject: { CN: 'Server' }, san: ['DNS:*.leftasexercise.local', 'DNS:leftasexercise.local', 'IP:127.0.0.1'], keySize: 2048 });
  client = await issueLeaf(inter, { kind: 'client', subject: { CN: 'Client' }, keySize: 2048 });
  for (const [n, v] of Object.entries({ 'ca.crt': root.certPem, 'intermediate-ca.crt': inter.certPem, 'server.crt': server.certPem, 'server.rsa': server.keyPem, 'client.crt': client.certPem })) {
    writeFileSync(f(n), v);
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chain root -> intermediate (pathlen:0) -> leaf, checked by openssl', () => {
  it('openssl verify -CAfile ca.crt -untrusted intermediate-ca.crt succeeds for server and client', () => {
    for (const leaf of ['server.crt', 'client.crt']) {
      const r = openssl(['verify', '-CAfile', f('ca.crt'), '-untrusted', f('intermediate-ca.crt'), f(leaf)]);
      expect(r.out).toContain(`${f(leaf)}: OK`);
      expect(r.rc).toBe(0);
    }
    // …and the purpose is right: server for serverAuth, client for clientAuth, not the other way round.
    expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', f('ca.crt'), '-untrusted', f('intermediate-ca.crt'), f('server.crt')]).rc).toBe(0);
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', f('ca.crt'), '-untrusted', f('intermediate-ca.crt'), f('client.crt')]).rc).toBe(0);
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', f('ca.crt'), '-untrusted', f('intermediate-ca.crt'), f('server.crt')]).rc).not.toBe(0);
  });

  it('without the intermediate, openssl and drover both refuse, drover saying which issuer is missing', () => {
    expect(openssl(['verify', '-CAfile', f('ca.crt'), f('server.crt')]).rc).not.toBe(0);
    const v = verifyPemChain(server.certPem, root.certPem);
    expect(v).toMatchObject({ ok: false, code: 'issuer_not_found' });
    expect(v.reason).toContain('"CN=Intermediate CA"');
    expect(verifyPemChain(server.certPem, root.certPem, inter.certPem)).toMatchObject({ ok: true, path: ['CN=Server', 'CN=Intermediate CA', 'C=DE, O=Leftasexercise blog, CN=Root CA'] });
    // A server-chain file carries its own intermediate.
    expect(verifyPemChain(chainPem(server.certPem, [inter.certPem]), root.certPem).ok).toBe(true);
  });

  it('x509 -text shows the expected extensions', () => {
    const ca = openssl(['x509', '-in', f('ca.crt'), '-noout', '-text']).out;
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE\n/);
    expect(ca).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(ca).toMatch(/Subject Key Identifier/);
    expect(ca).toContain('Signature Algorithm: sha256WithRSAEncryption');

    const im = openssl(['x509', '-in', f('intermediate-ca.crt'), '-noout', '-text']).out;
    expect(im).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    // AKI of the intermediate = SKI of the root.
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(ca)![1];
    expect(/Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(im)![1]).toBe(ski);

    const srv = openssl(['x509', '-in', f('server.crt'), '-noout', '-text']).out;
    expect(srv).toMatch(/Subject Alternative Name:\s+DNS:\*\.leftasexercise\.local, DNS:leftasexercise\.local, IP Address:127\.0\.0\.1/);
    expect(srv).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(srv).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(openssl(['x509', '-in', f('client.crt'), '-noout', '-text']).out).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);

    const serial = openssl(['x509', '-in', f('server.crt'), '-noout', '-serial']).out.trim();
    expect(serial).toMatch(/^serial=[4-7][0-9A-F]{31}$/); // 16 random bytes, positive
  });

  it('key and certificate moduli match', () => {
    const a = openssl(['rsa', '-in', f('server.rsa'), '-noout', '-modulus']).out;
    const b = openssl(['x509', '-in', f('server.crt'), '-noout', '-modulus']).out;
    expect(a).toMatch(/^Modulus=[0-9A-F]+/);
    expect(a).toBe(b);
  });
});

describe('pathlen and CA:FALSE are enforced (openssl and drover agree)', () => {
  it('a sub-CA signed by the pathlen:0 intermediate cannot issue a verifiable leaf', async () => {
    const sub = await createIntermediateCa(inter, { subject: { CN: 'Sub CA' }, keySize: 2048 });
    const leaf = await issueLeaf(sub, { kind: 'server', subject: { CN: 'deep.example' }, keySize: 2048 });
    writeFileSync(f('sub.crt'), sub.certPem);
    writeFileSync(f('deep.crt'), leaf.certPem);
    writeFileSync(f('untrusted.pem'), sub.certPem + inter.certPem);
    const r = openssl(['verify', '-CAfile', f('ca.crt'), '-untrusted', f('untrusted.pem'), f('deep.crt')]);
    expect(r.rc).not.toBe(0);
    expect(r.out).toMatch(/path length constraint exceeded/);
    const v = verifyPemChain(leaf.certPem, root.certPem, sub.certPem + inter.certPem);
    expect(v).toMatchObject({ ok: false, code: 'pathlen' });
    expect(v.reason).toContain('"CN=Intermediate CA" has pathlen:0 but 1 CA certificate(s) below it');
  });

  it('a leaf signed by the intermediate cannot act as a CA', async () => {
    const rogue = await issueLeaf(server, { kind: 'server', subject: { CN: 'rogue.example' }, keySize: 2048 });
    writeFileSync(f('rogue.crt'), rogue.certPem);
    writeFileSync(f('untrusted2.pem'), server.certPem + inter.certPem);
    const r = openssl(['verify', '-CAfile', f('ca.crt'), '-untrusted', f('untrusted2.pem'), f('rogue.crt')]);
    expect(r.rc).not.toBe(0);
    expect(r.out).toMatch(/invalid CA certificate/);
    const v = verifyPemChain(rogue.certPem, root.certPem, server.certPem + inter.certPem);
    expect(v).toMatchObject({ ok: false, code: 'not_ca' });
    expect(v.reason).toBe('"CN=Server" signed "CN=rogue.example" but is not a CA (basicConstraints CA:FALSE)');
  });
});

describe('other chain failures are explained', () => {
  it('expired certificate', async () => {
    const key = await generateRsaKey(2048);
    const csr = parseCsr(await createCsr(csrRequest({ subject: { CN: 'old' } }), key));
    const old = {
      certPem: await issueCertificate({
        subject: csr.facts.subject, publicKey: csr.publicKey, extensions: csr.rawExtensions,
        notBefore: parseTimeSpec('-10d'), notAfter: parseTimeSpec('-8d'),
        issuer: { cert: parseCertificate(inter.certPem), key: loadPrivateKey(inter.keyPem) },
      }),
    };
    writeFileSync(f('old.crt'), old.certPem);
    expect(openssl(['verify', '-CAfile', f('ca.crt'), '-untrusted', f('intermediate-ca.crt'), f('old.crt')]).out).toMatch(/certificate has expired/);
    const v = verifyPemChain(old.certPem, root.certPem, inter.certPem);
    expect(v).toMatchObject({ ok: false, code: 'expired' });
    expect(v.reason).toMatch(/^"CN=old" expired on \d{4}-/);
  });

  it('same issuer name, different key: signature failure naming the key ids', async () => {
    const impostor = await createIntermediateCa(root, { subject: { CN: 'Intermediate CA' }, pathlen: 0, keySize: 2048 });
    writeFileSync(f('impostor.crt'), impostor.certPem);
    expect(openssl(['verify', '-CAfile', f('ca.crt'), '-untrusted', f('impostor.crt'), f('server.crt')]).rc).not.toBe(0);
    const v = verifyPemChain(server.certPem, root.certPem, impostor.certPem);
    expect(v).toMatchObject({ ok: false, code: 'signature' });
    expect(v.reason).toMatch(/authorityKeyIdentifier [0-9a-f]{40} names a different key/);
  });

  it('a self-signed certificate that is not trusted', () => {
    const v = verifyPemChain(root.certPem, server.certPem);
    expect(v).toMatchObject({ ok: false, code: 'untrusted_root' });
  });
});

describe('keys and CSRs', () => {
  it('CSR with subject, SAN, KU, EKU, basicConstraints passes openssl req -verify and shows the fields', async () => {
    const key = await generateRsaKey(2048);
    const req = csrRequest({
      subject: { C: 'DE', L: 'Big city', O: 'Leftasexercise blog', CN: 'Leftasexercise', emailAddress: 'me@leftasexercise.com' },
      subjectAltName: ['DNS:*.leftasexercise.local', 'DNS:leftasexercise.local', 'email:me@leftasexercise.com'],
      keyUsage: ['digitalSignature', 'Key Encipherment'],
      keyUsageCritical: true,
      extendedKeyUsage: ['serverAuth', 'TLS Web Client Authentication'],
      basicConstraints: ['CA:FALSE'],
    });
    writeFileSync(f('req.csr'), await createCsr(req, key));
    const r = openssl(['req', '-in', f('req.csr'), '-noout', '-verify', '-text']);
    expect(r.rc).toBe(0);
    expect(r.out).toMatch(/verify OK/);
    expect(r.out).toMatch(/Subject: C ?= ?DE, L ?= ?Big city, O ?= ?Leftasexercise blog, CN ?= ?Leftasexercise, emailAddress ?= ?me@leftasexercise.com/);
    expect(r.out).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(r.out).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication, TLS Web Server Authentication/);
    expect(r.out).toMatch(/DNS:\*\.leftasexercise\.local, DNS:leftasexercise\.local, email:me@leftasexercise.com/);
    // and our own parser reads back what we asked for
    expect(parseCsr(readFileSync(f('req.csr'), 'utf8')).facts).toMatchObject({ subject: req.subject, extensions: req.extensions, signatureValid: true });
  });

  it('use_common_name_for_san: CN becomes the SAN only when none is given', () => {
    expect(csrRequest({ subject: { CN: 'web1.lab' } }).extensions.subjectAltName).toEqual(['DNS:web1.lab']);
    expect(csrRequest({ subject: { CN: '10.0.0.5' } }).extensions.subjectAltName).toEqual(['IP:10.0.0.5']);
    expect(csrRequest({ subject: { CN: 'x' }, useCommonNameForSan: false }).extensions.subjectAltName).toEqual([]);
    expect(csrRequest({ subject: { CN: 'x' }, subjectAltName: ['DNS:y'] }).extensions.subjectAltName).toEqual(['DNS:y']);
  });

  it('an encrypted key needs the passphrase, for openssl and for us', async () => {
    const key = await generateRsaKey(2048);
    const pem = privateKeyToPem(key, { passphrase: 'correct horse' });
    expect(pem).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    writeFileSync(f('enc.key'), pem);
    expect(openssl(['rsa', '-in', f('enc.key'), '-noout', '-passin', 'pass:correct horse']).rc).toBe(0);
    expect(openssl(['rsa', '-in', f('enc.key'), '-noout', '-passin', 'pass:wrong']).rc).not.toBe(0);
    expect(() => loadPrivateKey(pem)).toThrow(/encrypted and no passphrase/);
    expect(() => loadPrivateKey(pem, 'wrong')).toThrow(/wrong passphrase/);
    expect(loadPrivateKey(pem, 'correct horse').asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('reads keys openssl wrote (RSA and EC) and certifies them', async () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('o.key')], { stdio: 'ignore' });
    const k = loadPrivateKey(readFileSync(f('o.key'), 'utf8'));
    const csr = parseCsr(await createCsr(csrRequest({ subject: { CN: 'from-openssl' } }), k));
    const cert = await issueCertificate({ subject: csr.facts.subject, publicKey: csr.publicKey, extensions: csr.rawExtensions, notBefore: new Date(), notAfter: parseTimeSpec('+1d'), selfKey: k });
    writeFileSync(f('o.crt'), cert);
    expect(openssl(['verify', '-CAfile', f('o.crt'), f('o.crt')]).rc).toBe(0);

    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ec.key')], { stdio: 'ignore' });
    const ec = loadPrivateKey(readFileSync(f('ec.key'), 'utf8'));
    const ecCsr = parseCsr(await createCsr(csrRequest({ subject: { CN: 'ec' } }), ec));
    expect(ecCsr.facts.signatureValid).toBe(true);
    writeFileSync(f('ec.crt'), await issueCertificate({ subject: ecCsr.facts.subject, publicKey: ecCsr.publicKey, extensions: ecCsr.rawExtensions, notBefore: new Date(), notAfter: parseTimeSpec('+1d'), selfKey: ec }));
    expect(openssl(['verify', '-CAfile', f('ec.crt'), f('ec.crt')]).rc).toBe(0);
    // a curve drover does not make is refused with the reason
    execFileSync('openssl', ['ecparam', '-name', 'secp521r1', '-genkey', '-noout', '-out', f('ec521.key')], { stdio: 'ignore' });
    await expect(createCsr(csrRequest({ subject: { CN: 'ec' } }), loadPrivateKey(readFileSync(f('ec521.key'), 'utf8')))).rejects.toThrow(/EC curve secp521r1 is not supported/);
  });

  it('selfsigned refuses a key that does not belong to the CSR', async () => {
    const a = await generateRsaKey(2048);
    const b = await generateRsaKey(2048);
    const csr = parseCsr(await createCsr(csrRequest({ subject: { CN: 'x' } }), a));
    await expect(issueCertificate({ subject: csr.facts.subject, publicKey: csr.publicKey, extensions: csr.rawExtensions, notBefore: new Date(), notAfter: parseTimeSpec('+1d'), selfKey: b })).rejects.toThrow(/does not match/);
  });
});
