import type { KeyObject } from 'node:crypto';
import { issueCertificate, parseCertificate, parseTimeSpec } from './cert.js';
import { createCsr, csrRequest, parseCsr, type CsrOptions } from './csr.js';
import { generateKey, loadPrivateKey, privateKeyToPem, type KeySpec } from './keys.js';
import type { Subject } from './names.js';

/**
 * The three things a small private CA does — make a root, make an
 * intermediate, issue a server or client certificate — with sensible
 * profiles. Used by `drover pki` and by tests; the playbook modules build the
 * same certificates from explicit CSR arguments instead.
 */

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export interface CaProfile {
  subject: Subject;
  /** Validity, Ansible time spec (default +3650d for CAs, +365d for leaves). */
  notAfter?: string;
  /** The new key: RSA (size), ECC (curve) or Ed25519. Default RSA of `keySize` bits. */
  key?: KeySpec;
  /** RSA key size when `key` is not given (defaults: root 4096, intermediate 3072, leaf 2048). */
  keySize?: number;
  now?: Date;
}

const keyFor = (p: CaProfile, rsaDefault: number): KeySpec => p.key ?? { type: 'RSA', size: p.keySize ?? rsaDefault };

const CA_KEY_USAGE = ['digitalSignature', 'keyCertSign', 'cRLSign'];

async function selfSigned(o: CsrOptions, key: KeyObject, notAfter: string, now: Date): Promise<string> {
  const csr = parseCsr(await createCsr(csrRequest(o), key));
  return issueCertificate({
    subject: csr.facts.subject,
    publicKey: csr.publicKey,
    extensions: csr.rawExtensions,
    notBefore: now,
    notAfter: parseTimeSpec(notAfter, now),
    selfKey: key,
    subjectKeyIdentifier: 'always_create',
  });
}

async function signedBy(issuer: KeyAndCert, o: CsrOptions, key: KeyObject, notAfter: string, now: Date): Promise<string> {
  const csr = parseCsr(await createCsr(csrRequest(o), key));
  const issuerCert = parseCertificate(issuer.certPem);
  const nb = now < issuerCert.notBefore ? issuerCert.notBefore : now;
  let na = parseTimeSpec(notAfter, now);
  // A certificate outliving its issuer fails verification at that point anyway; cap it (openssl-ca does not, we do).
  if (na > issuerCert.notAfter) na = issuerCert.notAfter;
  return issueCertificate({
    subject: csr.facts.subject,
    publicKey: csr.publicKey,
    extensions: csr.rawExtensions,
    notBefore: nb,
    notAfter: na,
    issuer: { cert: issuerCert, key: loadPrivateKey(issuer.keyPem) },
    subjectKeyIdentifier: 'always_create',
    authorityKeyIdentifier: true,
  });
}

/** Root CA: self-signed, CA:TRUE (critical), keyCertSign+cRLSign (critical). */
export async function createRootCa(p: CaProfile): Promise<KeyAndCert> {
  const now = p.now ?? new Date();
  const key = await generateKey(keyFor(p, 4096));
  const certPem = await selfSigned(
    { subject: p.subject, keyUsage: CA_KEY_USAGE, keyUsageCritical: true, basicConstraints: ['CA:TRUE'], basicConstraintsCritical: true, useCommonNameForSan: false },
    key,
    p.notAfter ?? '+3650d',
    now,
  );
  return { keyPem: privateKeyToPem(key), certPem };
}

/** Intermediate CA signed by `parent`; pathlen 0 = may sign only end-entity certificates. */
export async function createIntermediateCa(parent: KeyAndCert, p: CaProfile & { pathlen?: number }): Promise<KeyAndCert> {
  const now = p.now ?? new Date();
  const key = await generateKey(keyFor(p, 3072));
  const bc = ['CA:TRUE', ...(p.pathlen !== undefined ? [`pathlen:${p.pathlen}`] : [])];
  const certPem = await signedBy(
    parent,
    { subject: p.subject, keyUsage: CA_KEY_USAGE, keyUsageCritical: true, basicConstraints: bc, basicConstraintsCritical: true, useCommonNameForSan: false },
    key,
    p.notAfter ?? '+1825d',
    now,
  );
  return { keyPem: privateKeyToPem(key), certPem };
}

export type LeafKind = 'server' | 'client';

/** Server (serverAuth) or client (clientAuth) certificate, CA:FALSE. Server certs get the CN as a SAN when no SAN is given. */
export async function issueLeaf(ca: KeyAndCert, p: CaProfile & { kind: LeafKind; san?: readonly string[] }): Promise<KeyAndCert> {
  const now = p.now ?? new Date();
  const spec = keyFor(p, 2048);
  const key = await generateKey(spec);
  const certPem = await signedBy(
    ca,
    {
      subject: p.subject,
      subjectAltName: p.san,
      useCommonNameForSan: p.kind === 'server',
      // keyEncipherment only for RSA (RSA key transport); EC and Ed25519 keys only sign (RFC 8813, RFC 8410).
      keyUsage: spec.type === 'RSA' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      keyUsageCritical: true,
      extendedKeyUsage: [p.kind === 'server' ? 'serverAuth' : 'clientAuth'],
      basicConstraints: ['CA:FALSE'],
      basicConstraintsCritical: true,
    },
    key,
    p.notAfter ?? '+365d',
    now,
  );
  return { keyPem: privateKeyToPem(key), certPem };
}
