import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { InputError } from '../util/errors.js';
import { fromForgeAttributes, toForgeAttributes } from './dn.js';
import { authorityKeyId, OID_AKI, OID_SKI, readExtensions, subjectKeyId, type ExtensionSpec, type ForgeExtension } from './extensions.js';
import { forgePublicKeyToNode, NON_RSA_EXPLANATION, PkiError, publicKeyFingerprint, toForgePrivateKey } from './keys.js';
import type { Subject } from './names.js';

const { asn1 } = forge;

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
  publicKey: forge.pki.PublicKey;
  extensions: ForgeExtension[];
  notBefore: Date;
  notAfter: Date;
  /** Absent: self-signed with `selfKey`. */
  issuer?: { cert: forge.pki.Certificate; key: KeyObject };
  selfKey?: KeyObject;
  subjectKeyIdentifier?: SkiMode;
  /** ownca only (Ansible: ownca_create_authority_key_identifier, default yes). */
  authorityKeyIdentifier?: boolean;
  serial?: string;
}

/** SHA-1 over the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), as openssl computes it. */
export function keyIdentifier(pub: forge.pki.PublicKey): string {
  const der = asn1.toDer(forge.pki.publicKeyToRSAPublicKey(pub as forge.pki.rsa.PublicKey)).getBytes();
  return createHash('sha1').update(Buffer.from(der, 'binary')).digest('hex');
}

/** Issue a certificate (SHA-256), returned as PEM. */
export function issueCertificate(r: IssueRequest): string {
  const signer = r.issuer?.key ?? r.selfKey;
  if (!signer) throw new PkiError('issueCertificate: no signing key (issuer or selfKey)');
  if (r.notAfter <= r.notBefore) throw new InputError(`not_after (${r.notAfter.toISOString()}) is not after not_before (${r.notBefore.toISOString()})`);
  const signKey = toForgePrivateKey(signer);
  if (!r.issuer) {
    const pubFp = publicKeyFingerprint(forgePublicKeyToNode(r.publicKey));
    if (pubFp !== publicKeyFingerprint(signer)) throw new PkiError('self-signed: the private key does not match the public key in the CSR');
  }
  const cert = forge.pki.createCertificate();
  cert.serialNumber = r.serial ?? randomSerial();
  cert.publicKey = r.publicKey;
  cert.validity.notBefore = r.notBefore;
  cert.validity.notAfter = r.notAfter;
  const subjectAttrs = toForgeAttributes(r.subject);
  cert.setSubject(subjectAttrs);
  cert.setIssuer(r.issuer ? r.issuer.cert.subject.attributes : subjectAttrs);

  const skiMode = r.subjectKeyIdentifier ?? 'create_if_not_provided';
  let exts = r.extensions.filter((e) => e.id !== OID_AKI).map((e) => ({ ...e }));
  const hasSki = exts.some((e) => e.id === OID_SKI);
  if (skiMode === 'always_create' || (skiMode === 'create_if_not_provided' && !hasSki)) {
    exts = exts.filter((e) => e.id !== OID_SKI);
    const ski = keyIdentifier(r.publicKey);
    exts.push({ id: OID_SKI, name: 'subjectKeyIdentifier', value: asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.hexToBytes(ski))).getBytes() });
  }
  if (r.issuer && (r.authorityKeyIdentifier ?? true)) {
    // The issuer's own SKI when it has one (so AKI == issuer SKI byte for byte), else computed from its key.
    const issuerSki = subjectKeyId(r.issuer.cert.extensions as ForgeExtension[]) ?? keyIdentifier(r.issuer.cert.publicKey);
    exts.push({ id: OID_AKI, name: 'authorityKeyIdentifier', keyIdentifier: forge.util.hexToBytes(issuerSki) } as unknown as ForgeExtension);
  }
  cert.setExtensions(exts as never);
  cert.sign(signKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
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
  keyBits?: number;
  signatureAlgorithm: string;
  /** SHA-256 over the DER certificate, colon-separated upper-case hex like openssl's -fingerprint. */
  fingerprintSha256: string;
  selfIssued: boolean;
}

export function parseCertificate(pem: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(pem, true);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PkiError(/not RSA/i.test(why) ? `the certificate's key is not RSA: ${NON_RSA_EXPLANATION}` : `cannot parse the certificate: ${why}`);
  }
}

/** Every certificate in a PEM bundle, in order. */
export function splitPemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => s + '\n') ?? [];
}

export function certificateDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

export function certFacts(cert: forge.pki.Certificate): CertFacts {
  const exts = cert.extensions as ForgeExtension[];
  const subject = fromForgeAttributes(cert.subject.attributes);
  const issuer = fromForgeAttributes(cert.issuer.attributes);
  const fp = createHash('sha256').update(certificateDer(cert)).digest('hex').toUpperCase();
  return {
    subject,
    issuer,
    serial: cert.serialNumber,
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
    extensions: readExtensions(exts),
    subjectKeyId: subjectKeyId(exts),
    authorityKeyId: authorityKeyId(exts),
    publicKeyFingerprint: publicKeyFingerprint(forgePublicKeyToNode(cert.publicKey)),
    keyBits: (cert.publicKey as forge.pki.rsa.PublicKey).n?.bitLength(),
    signatureAlgorithm: forge.pki.oids[cert.signatureOid] ?? cert.signatureOid,
    fingerprintSha256: fp.match(/../g)!.join(':'),
    selfIssued: cert.isIssuer(cert),
  };
}
