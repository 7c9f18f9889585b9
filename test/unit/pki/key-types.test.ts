import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa, issueLeaf, type KeyAndCert } from '../../../src/pki/authority.js';
import { certFacts, parseCertificate } from '../../../src/pki/cert.js';
import { chainPem, verifyPemChain } from '../../../src/pki/chain.js';
import { describeCertificate } from '../../../src/pki/describe.js';
import { describePrivateKey, type KeySpec } from '../../../src/pki/keys.js';
import { opensslPrivateKeyModule } from '../../../src/modules/openssl_privatekey.js';

/**
 * The key-type matrix: RSA / EC P-256 / EC P-384 / Ed25519 × root,
 * intermediate (pathlen:0), server leaf, client leaf. Every certificate is
 * checked by the real openssl CLI (`verify -x509_strict` with the purpose,
 * `x509 -text` for the key and signature algorithm), by drover's own chain
 * check, and the server/client pair does a mutual-TLS handshake (Node's TLS,
 * which is OpenSSL).
 */

interface Row {
  label: string;
  key: KeySpec;
  /** What `openssl x509 -text` prints for the public key and the signature. */
  publicKey: RegExp;
  signature: string;
  /** The Public key line of `drover pki show`. */
  show: string;
}

const ROWS: Row[] = [
  { label: 'RSA 2048', key: { type: 'RSA', size: 2048 }, publicKey: /Public Key Algorithm: rsaEncryption\s+Public-Key: \(2048 bit\)/, signature: 'sha256WithRSAEncryption', show: 'RSA 2048 bit' },
  { label: 'EC P-256', key: { type: 'ECC', curve: 'secp256r1' }, publicKey: /Public Key Algorithm: id-ecPublicKey\s+Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/, signature: 'ecdsa-with-SHA256', show: 'EC P-256 (secp256r1)' },
  { label: 'EC P-384', key: { type: 'ECC', curve: 'secp384r1' }, publicKey: /Public Key Algorithm: id-ecPublicKey\s+Public-Key: \(384 bit\)[\s\S]*NIST CURVE: P-384/, signature: 'ecdsa-with-SHA384', show: 'EC P-384 (secp384r1)' },
  { label: 'Ed25519', key: { type: 'Ed25519' }, publicKey: /Public Key Algorithm: ED25519/, signature: 'ED25519', show: 'Ed25519' },
];

const ROLES = ['root', 'intermediate', 'server', 'client'] as const;
type Role = (typeof ROLES)[number];

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-kty-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A whole chain of one key type, every file written to dir/<label>-<role>.crt|.key. */
async function chainOf(row: Row): Promise<Record<Role, KeyAndCert> & { file: (n: string) => string }> {
  const file = (n: string) => join(dir, `${row.label.replace(/\W+/g, '-')}-${n}`);
  const root = await createRootCa({ subject: { O: 'Matrix', CN: `${row.label} Root` }, key: row.key });
  const intermediate = await createIntermediateCa(root, { subject: { CN: `${row.label} Intermediate` }, pathlen: 0, key: row.key });
  const server = await issueLeaf(intermediate, { kind: 'server', subject: { CN: 'localhost' }, san: ['DNS:localhost', 'IP:127.0.0.1'], key: row.key });
  const client = await issueLeaf(intermediate, { kind: 'client', subject: { CN: `${row.label} client` }, key: row.key });
  const all = { root, intermediate, server, client };
  for (const [role, kc] of Object.entries(all)) {
    writeFileSync(file(`${role}.crt`), kc.certPem);
    writeFileSync(file(`${role}.key`), kc.keyPem);
  }
  return { ...all, file };
}

describe.each(ROWS)('$label: root -> intermediate -> server and client', (row) => {
  let c: Awaited<ReturnType<typeof chainOf>>;
  beforeAll(async () => {
    c = await chainOf(row);
  }, 120_000);

  it('openssl verify -x509_strict accepts each certificate for its purpose, and refuses the wrong purpose', () => {
    const v = (purpose: string, leaf: string) => openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', c.file('root.crt'), '-untrusted', c.file('intermediate.crt'), c.file(leaf)]);
    expect(openssl(['verify', '-x509_strict', '-CAfile', c.file('root.crt'), c.file('root.crt')]).out).toContain(': OK');
    expect(openssl(['verify', '-x509_strict', '-CAfile', c.file('root.crt'), c.file('intermediate.crt')]).out).toContain(': OK');
    for (const [purpose, leaf] of [['sslserver', 'server.crt'], ['sslclient', 'client.crt']]) {
      const r = v(purpose!, leaf!);
      expect(r.out).toContain(`${c.file(leaf!)}: OK`);
      expect(r.rc).toBe(0);
    }
    expect(v('sslclient', 'server.crt').rc).not.toBe(0);
    expect(v('sslserver', 'client.crt').rc).not.toBe(0);
  });

  it.each(ROLES)('%s: openssl x509 -text shows the key type and signature algorithm; the key file matches', (role) => {
    const text = openssl(['x509', '-in', c.file(`${role}.crt`), '-noout', '-text']).out;
    expect(text).toMatch(row.publicKey);
    expect(text).toContain(`Signature Algorithm: ${row.signature}`);
    expect(text).toMatch(role === 'root' || role === 'intermediate' ? /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/ : row.key.type === 'RSA' ? /Key Usage: critical\s+Digital Signature, Key Encipherment\n/ : /Key Usage: critical\s+Digital Signature\n/);
    // The private key is the certificate's: openssl derives the same public key from both.
    const fromKey = openssl(['pkey', '-in', c.file(`${role}.key`), '-pubout']).out;
    expect(fromKey).toMatch(/BEGIN PUBLIC KEY/);
    expect(openssl(['x509', '-in', c.file(`${role}.crt`), '-noout', '-pubkey']).out).toBe(fromKey);
    expect(describePrivateKey(c[role].keyPem)).toMatchObject({ readable: true, type: row.key.type, format: row.key.type === 'Ed25519' ? 'pkcs8' : 'pkcs1' });
    expect(describeCertificate(parseCertificate(c[role].certPem))).toContain(`Public key:   ${row.show}\n`);
    expect(certFacts(parseCertificate(c[role].certPem))).toMatchObject({ key: row.key, signatureAlgorithm: row.signature });
  });

  it("drover's own chain check agrees", () => {
    expect(verifyPemChain(c.server.certPem, c.root.certPem, c.intermediate.certPem, { purpose: 'serverAuth' })).toMatchObject({ ok: true, path: ['CN=localhost', `CN=${row.label} Intermediate`, `O=Matrix, CN=${row.label} Root`] });
    expect(verifyPemChain(c.client.certPem, c.root.certPem, c.intermediate.certPem, { purpose: 'clientAuth' }).ok).toBe(true);
    expect(verifyPemChain(c.client.certPem, c.root.certPem, c.intermediate.certPem, { purpose: 'serverAuth' })).toMatchObject({ ok: false, code: 'purpose' });
  });

  it('mutual TLS: the server requires a client certificate from the chain; both sides verify', async () => {
    const server = createServer({
      key: c.server.keyPem,
      cert: chainPem(c.server.certPem, [c.intermediate.certPem]),
      ca: c.root.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    }, (s) => s.end(`hello ${(s as TLSSocket).getPeerCertificate().subject.CN}\n`));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    try {
      const reply = await new Promise<string>((res, rej) => {
        const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: c.root.certPem, key: c.client.keyPem, cert: chainPem(c.client.certPem, [c.intermediate.certPem]) }, () => {
          if (!s.authorized) rej(new Error(String(s.authorizationError)));
        });
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('end', () => res(data));
        s.on('error', rej);
      });
      expect(reply).toBe(`hello ${row.label} client\n`);
    } finally {
      server.close();
    }
  });
});

describe('mixed key types in one chain', () => {
  it('RSA root -> P-384 intermediate -> Ed25519 and P-256 leaves: each signature uses the signer’s algorithm; openssl verifies', async () => {
    const root = await createRootCa({ subject: { CN: 'Mixed Root' }, key: { type: 'RSA', size: 2048 } });
    const inter = await createIntermediateCa(root, { subject: { CN: 'Mixed Intermediate' }, key: { type: 'ECC', curve: 'secp384r1' } });
    const ed = await issueLeaf(inter, { kind: 'server', subject: { CN: 'ed.example' }, key: { type: 'Ed25519' } });
    const p256 = await issueLeaf(inter, { kind: 'client', subject: { CN: 'p256 client' }, key: { type: 'ECC', curve: 'secp256r1' } });
    const f = (n: string, pem: string) => {
      writeFileSync(join(dir, n), pem);
      return join(dir, n);
    };
    const rootFile = f('mixed-root.crt', root.certPem);
    const interFile = f('mixed-inter.crt', inter.certPem);
    for (const [name, leaf, purpose] of [['mixed-ed.crt', ed, 'sslserver'], ['mixed-p256.crt', p256, 'sslclient']] as const) {
      const r = openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', rootFile, '-untrusted', interFile, f(name, leaf.certPem)]);
      expect(r.out).toContain(': OK');
      expect(certFacts(parseCertificate(leaf.certPem)).signatureAlgorithm).toBe('ecdsa-with-SHA384');
    }
    expect(certFacts(parseCertificate(inter.certPem)).signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(verifyPemChain(ed.certPem, root.certPem, inter.certPem).ok).toBe(true);
  });
});

describe("openssl_privatekey arguments, Ansible's names", () => {
  const parse = (args: Record<string, unknown>) => opensslPrivateKeyModule.schema.safeParse({ path: '/k', ...args });
  it.each([
    [{}, true],
    [{ type: 'RSA', size: 3072 }, true],
    [{ type: 'ECC', curve: 'secp256r1' }, true],
    [{ type: 'ECC', curve: 'secp384r1' }, true],
    [{ type: 'Ed25519' }, true],
    [{ type: 'ECC' }, /type ECC needs curve/],
    [{ type: 'ECC', curve: 'secp521r1' }, /curve secp521r1 is not supported/],
    [{ type: 'DSA' }, /type DSA is not supported/],
    [{ type: 'RSA', size: 1024 }, /RSA key size 1024 is not supported/],
    [{ type: 'Ed25519', format: 'pkcs1' }, /Ed25519 key has no PKCS#1/],
  ] as const)('%j', (args, want) => {
    const r = parse(args);
    if (want === true) expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    else expect(JSON.stringify(r.error?.issues)).toMatch(want);
  });
});
