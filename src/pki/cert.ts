import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { InputError } from '../util/errors.js';
import { fromName, toName } from './dn.js';
import { authorityKeyId, OID_AKI, OID_SKI, readExtensions, subjectKeyId, type Extension, type ExtensionSpec } from './extensions.js';
import { PkiError, publicKeyFingerprint, specOfKey, type KeySpec } from './keys.js';
import type { Subject } from './names.js';
import { keyIdentifierOf, publicKeyObject, signatureAlgorithmName, signedParts, toSigningKey, verifySigned, webSigningAlgorithm, x509 } from './x509.js';

export type Certificate = x509.X509Certificate;

// --- validity ---------------------------------------------------------------

const UNIT_SECONDS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/**
 * Ansible's time specs: relative "+365d", "-1d", "+32w1d2h", "+0s", or an
 * absolute ASN.1 time "20300101000000Z". Relative ones count from `now`.
 */
export function parseTimeSpec(spec: string, now: Date = new Date()): Date {
  const s = spec.trim();
  const rel = /^([+-])((?:\d+[wdhms])+)$/.exec(s);
  if (rel) {
    let seconds = 0;
    for (const [, n, unit] of rel[2]!.matchAll(/(\d+)([wdhms])/g)) seconds += Number(n) * UNIT_SECONDS[unit!]!;
    return new Date(now.getTime() + (rel[1] === '-' ? -1 : 1) * seconds * 1000);
  }
  const abs = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (abs) {
    const [, y, mo, d, h, mi, se] = abs.map(Number) as number[];
    return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
  }
  throw new InputError(`bad time "${spec}"`, undefined, 'a relative time like +365d, -1d, +32w1d2h, or ASN.1 time like 20300101000000Z');
}

// --- issuing ----------------------------------------------------------------

/** Random, positive, 16 bytes (RFC 5280 allows up to 20; CAs use >= 64 bits of entropy). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and no leading zero byte to trim
  return b.toString('hex');
}

export type SkiMode = 'create_if_not_provided' | 'always_create' | 'never_create';

export interface IssueRequest {
  /** The CSR, parsed: subject, public key and the extensions to copy. */
  subject: Subject;
  publicKey: KeyObject;
  extensions: readonly Extension[];
  notBefore: Date;
  notAfter: Date;
  /** Absent: self-signed with `selfKey`. */
  issuer?: { cert: Certificate; key: KeyObject };
  selfKey?: KeyObject;
  subjectKeyIdentifier?: SkiMode;
  /** ownca only (Ansible: ownca_create_authority_key_identifier, default yes). */
  authorityKeyIdentifier?: boolean;
  serial?: string;
}

/** SHA-1 over the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), as openssl computes it. */
export function keyIdentifier(pub: KeyObject): string {
  return keyIdentifierOf(pub);
}

/**
 * Issue a certificate, returned as PEM. The signature algorithm follows the
 * signing key: sha256WithRSAEncryption, ecdsa-with-SHA256 (P-256),
 * ecdsa-with-SHA384 (P-384), Ed25519.
 */
export async function issueCertificate(r: IssueRequest): Promise<string> {
  const signer = r.issuer?.key ?? r.selfKey;
  if (!signer) throw new PkiError('issueCertificate: no signing key (issuer or selfKey)');
  if (r.notAfter <= r.notBefore) throw new InputError(`not_after (${r.notAfter.toISOString()}) is not after not_before (${r.notBefore.toISOString()})`);
  specOfKey(signer); // refuses key types we cannot sign with, with the reason
  if (!r.issuer && publicKeyFingerprint(r.publicKey) !== publicKeyFingerprint(signer)) {
    throw new PkiError('self-signed: the private key does not match the public key in the CSR');
  }
  if (r.issuer && publicKeyFingerprint(certPublicKey(r.issuer.cert)) !== publicKeyFingerprint(signer)) {
    throw new PkiError("the CA key does not belong to the CA certificate");
  }
  const skiMode = r.subjectKeyIdentifier ?? 'create_if_not_provided';
  let exts = r.extensions.filter((e) => e.type !== OID_AKI);
  const hasSki = exts.some((e) => e.type === OID_SKI);
  if (skiMode === 'always_create' || (skiMode === 'create_if_not_provided' && !hasSki)) {
    exts = exts.filter((e) => e.type !== OID_SKI);
    exts.push(new x509.SubjectKeyIdentifierExtension(keyIdentifier(r.publicKey)));
  }
  if (r.issuer && (r.authorityKeyIdentifier ?? true)) {
    // The issuer's own SKI when it has one (so AKI == issuer SKI byte for byte), else computed from its key.
    const issuerSki = subjectKeyId(r.issuer.cert.extensions) ?? keyIdentifier(certPublicKey(r.issuer.cert));
    exts.push(new x509.AuthorityKeyIdentifierExtension(issuerSki));
  }
  const subject = toName(r.subject);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: r.serial ?? randomSerial(),
    subject,
    // The issuer's subject exactly as encoded in its certificate.
    issuer: r.issuer ? r.issuer.cert.subjectName : subject,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    publicKey: new Uint8Array(r.publicKey.export({ type: 'spki', format: 'der' })),
    signingKey: (await toSigningKey(signer)) as never,
    signingAlgorithm: webSigningAlgorithm(signer) as never,
    extensions: exts,
  });
  return cert.toString('pem') + '\n';
}

// --- reading ----------------------------------------------------------------

/** An existing certificate as plain data: what planning and `pki show` look at. */
export interface CertFacts {
  subject: Subject;
  issuer: Subject;
  serial: string;
  notBefore: string;
  notAfter: string;
  extensions: ExtensionSpec;
  subjectKeyId?: string;
  authorityKeyId?: string;
  publicKeyFingerprint: string;
  /** The certified key: type, and size or curve. */
  key?: KeySpec;
  keyBits?: number;
  signatureAlgorithm: string;
  /** SHA-256 over the DER certificate, colon-separated upper-case hex like openssl's -fingerprint. */
  fingerprintSha256: string;
  selfIssued: boolean;
}

export function parseCertificate(pem: string): Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (e) {
    throw new PkiError(`cannot parse the certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Every certificate in a PEM bundle, in order. */
export function splitPemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => s + '\n') ?? [];
}

export function certificateDer(cert: Certificate): Buffer {
  return Buffer.from(cert.rawData);
}

export function certPublicKey(cert: Certificate): KeyObject {
  return publicKeyObject(cert.publicKey);
}

/** Does `child`'s signature verify with `issuer`'s public key? */
export function certSignedBy(child: Certificate, issuer: Certificate): boolean {
  return verifySigned(signedParts(child.rawData), certPublicKey(issuer));
}

/** Subject and issuer names equal (the DER, as openssl compares after canonicalising; ours are encoded alike). */
export function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer())) || a.toString() === b.toString();
}

export function certFacts(cert: Certificate): CertFacts {
  const exts = cert.extensions;
  const fp = createHash('sha256').update(certificateDer(cert)).digest('hex').toUpperCase();
  const key = specOfPublicKey(certPublicKey(cert));
  return {
    subject: fromName(cert.subjectName),
    issuer: fromName(cert.issuerName),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    extensions: readExtensions(exts),
    subjectKeyId: subjectKeyId(exts),
    authorityKeyId: authorityKeyId(exts),
    publicKeyFingerprint: publicKeyFingerprint(certPublicKey(cert)),
    key,
    keyBits: key?.type === 'RSA' ? key.size : undefined,
    signatureAlgorithm: signatureAlgorithmName(signedParts(cert.rawData).signatureOid),
    fingerprintSha256: fp.match(/../g)!.join(':'),
    selfIssued: sameName(cert.subjectName, cert.issuerName),
  };
}

/** The key spec of a public key, undefined for a type drover does not make. */
export function specOfPublicKey(pub: KeyObject): KeySpec | undefined {
  try {
    return specOfKey(pub);
  } catch {
    return undefined;
  }
}
