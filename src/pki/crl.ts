import { InputError } from '../util/errors.js';
import { certFacts, certPublicKey, certSignedBy, keyIdentifier, parseCertificate } from './cert.js';
import { subjectKeyId } from './extensions.js';
import { loadPrivateKey, PkiError, publicKeyFingerprint } from './keys.js';
import { formatSubject } from './names.js';
import type { KeyObject } from 'node:crypto';
import { signatureAlgorithmName, signatureDigest, signedParts, toSigningKey, webSigningAlgorithm, x509, type WebHash } from './x509.js';

/**
 * Revocation: a CA's list of revoked serials (kept as revoked.json in its
 * directory) and the CRL made from it — X.509 v2, signed by the CA key with
 * the same algorithm as its certificates, with authorityKeyIdentifier and
 * cRLNumber (RFC 5280 5.2.1, 5.2.3), thisUpdate/nextUpdate.
 */

/** RFC 5280 reason codes, by the names openssl prints (camelCase, as `openssl ca -crl_reason`). */
export const CRL_REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'] as const;
export type CrlReason = (typeof CRL_REASONS)[number];
/** The CRLReason codes (7 is unused). */
const REASON_CODE: Record<CrlReason, number> = { unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5, certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10 };

export function crlReason(name: string): CrlReason {
  const r = CRL_REASONS.find((x) => x.toLowerCase() === name.replace(/[\s_-]/g, '').toLowerCase());
  if (!r) throw new InputError(`unknown revocation reason "${name}"`, undefined, CRL_REASONS.join(', '));
  return r;
}

export interface Revoked {
  /** Hex, lower case, as certFacts gives it. */
  serial: string;
  subject: string;
  revokedAt: string;
  reason?: CrlReason;
}

export interface RevocationList {
  /** The cRLNumber of the last CRL made (monotonic). */
  crlNumber: number;
  revoked: Revoked[];
}

export const EMPTY_REVOCATIONS: RevocationList = { crlNumber: 0, revoked: [] };

export function parseRevocations(text: string): RevocationList {
  const v = JSON.parse(text) as RevocationList;
  if (typeof v?.crlNumber !== 'number' || !Array.isArray(v.revoked)) throw new PkiError('not a drover revocation list (crlNumber, revoked)');
  return v;
}

/**
 * Add `certPem` to the list (a new list is returned). Refuses a certificate
 * this CA did not sign. `already` is true when it was on the list before.
 */
export function revoke(list: RevocationList, caCertPem: string, certPem: string, o: { reason?: CrlReason; now?: Date } = {}): { list: RevocationList; entry: Revoked; already: boolean } {
  const ca = parseCertificate(caCertPem);
  const cert = parseCertificate(certPem);
  const f = certFacts(cert);
  if (!certSignedBy(cert, ca)) throw new PkiError(`"${formatSubject(f.subject)}" was not issued by this CA "${formatSubject(certFacts(ca).subject)}": revoke it at the CA that signed it`);
  const found = list.revoked.find((r) => r.serial === f.serial);
  if (found) return { list, entry: found, already: true };
  const entry: Revoked = { serial: f.serial, subject: formatSubject(f.subject), revokedAt: (o.now ?? new Date()).toISOString(), ...(o.reason ? { reason: o.reason } : {}) };
  return { list: { ...list, revoked: [...list.revoked, entry] }, entry, already: false };
}

/** DER INTEGER for a non-negative number. */
function derInteger(n: number): ArrayBuffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]).buffer;
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON = '2.5.29.21';
const OID_INVALIDITY = '2.5.29.24';
const OID_CERTIFICATE_ISSUER = '2.5.29.29';

/** One revoked certificate as a CRL lists it. */
export interface CrlEntry {
  /** Hex, lower case, no leading zeros. */
  serial: string;
  revocationDate: Date;
  reason?: CrlReason;
  reasonCritical?: boolean;
  invalidityDate?: Date;
  invalidityCritical?: boolean;
  /** Read only: the entry names another issuer (certificateIssuer, indirect CRLs), which drover does not write. */
  otherIssuer?: boolean;
}

export interface CrlSpec {
  issuer: x509.Name;
  key: KeyObject;
  /** The digest to sign with; undefined: the key's own (as certificates). Ed25519 has none. */
  digest?: WebHash;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** CRL extensions (authorityKeyIdentifier, cRLNumber …). */
  extensions?: x509.Extension[];
  entries: readonly CrlEntry[];
}

/** Serial as the CRL stores it: hex of the positive integer, lower case, without leading zeros. */
export function normalizeSerial(hex: string): string {
  return BigInt('0x' + (hex.replace(/[:\s]/g, '') || '0')).toString(16);
}

/** GeneralizedTime, as RFC 5280 5.3.2 wants the invalidity date. */
function derGeneralizedTime(d: Date): ArrayBuffer {
  const text = d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  return Uint8Array.from([0x18, text.length, ...Buffer.from(text, 'ascii')]).buffer;
}

function entryExtensions(e: CrlEntry): x509.Extension[] {
  const out: x509.Extension[] = [];
  if (e.reason) out.push(new x509.Extension(OID_REASON, e.reasonCritical ?? false, Uint8Array.from([0x0a, 0x01, REASON_CODE[e.reason]]).buffer));
  if (e.invalidityDate) out.push(new x509.Extension(OID_INVALIDITY, e.invalidityCritical ?? false, derGeneralizedTime(e.invalidityDate)));
  return out;
}

/** The one CRL writer: a signed X.509 v2 CRL (DER) exactly as `s` describes it. */
export async function signCrl(s: CrlSpec): Promise<Buffer> {
  const digest = s.key.asymmetricKeyType === 'ed25519' ? undefined : s.digest;
  const hexSerial = (h: string) => (h.length % 2 ? '0' + h : h);
  const crl = await x509.X509CrlGenerator.create({
    issuer: s.issuer,
    thisUpdate: s.thisUpdate,
    ...(s.nextUpdate ? { nextUpdate: s.nextUpdate } : {}),
    signingAlgorithm: webSigningAlgorithm(s.key, digest) as never,
    signingKey: (await toSigningKey(s.key, digest)) as never,
    ...(s.extensions?.length ? { extensions: s.extensions } : {}),
    entries: s.entries.map((e) => ({ serialNumber: hexSerial(normalizeSerial(e.serial)), revocationDate: e.revocationDate, extensions: entryExtensions(e) })),
  });
  return Buffer.from(crl.rawData);
}

/** PEM with the label openssl, NGINX and RFC 7468 use ("X509 CRL"). */
export function crlPem(der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
}

/** What a CRL says, read back. */
export interface CrlFacts {
  format: 'pem' | 'der';
  der: Buffer;
  issuer: x509.Name;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** openssl's name of the signature algorithm (sha256WithRSAEncryption …). */
  signatureAlgorithm: string;
  /** Its digest (sha256 …), null for Ed25519. */
  digest: string | null | undefined;
  crlNumber?: bigint;
  entries: CrlEntry[];
}

const REASON_BY_CODE = new Map(Object.entries(REASON_CODE).map(([k, v]) => [v, k as CrlReason]));

/** Parse a CRL file's bytes, PEM or DER. */
export function readCrl(bytes: Buffer): CrlFacts {
  const text = bytes.toString('latin1');
  const pem = /-----BEGIN (?:X509 )?CRL-----([\s\S]*?)-----END (?:X509 )?CRL-----/.exec(text);
  const der = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : bytes;
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(new Uint8Array(der));
  } catch (e) {
    throw new PkiError(`not a CRL: ${e instanceof Error ? e.message : String(e)}`);
  }
  const oid = signedParts(der).signatureOid;
  const number = crl.extensions.find((x) => x.type === OID_CRL_NUMBER);
  return {
    format: pem ? 'pem' : 'der',
    der,
    issuer: crl.issuerName,
    thisUpdate: crl.thisUpdate,
    ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate } : {}),
    signatureAlgorithm: signatureAlgorithmName(oid),
    digest: signatureDigest(oid),
    ...(number ? { crlNumber: derIntegerValue(new Uint8Array(number.value)) } : {}),
    entries: crl.entries.map((e) => {
      const critical = (oid: string) => e.extensions.find((x) => x.type === oid)?.critical ?? false;
      const reason = e.reason !== undefined ? REASON_BY_CODE.get(e.reason) : undefined;
      const invalidity = e.invalidity;
      return {
        serial: normalizeSerial(e.serialNumber),
        revocationDate: e.revocationDate,
        ...(reason ? { reason, reasonCritical: critical(OID_REASON) } : {}),
        ...(invalidity ? { invalidityDate: invalidity, invalidityCritical: critical(OID_INVALIDITY) } : {}),
        ...(e.extensions.some((x) => x.type === OID_CERTIFICATE_ISSUER) ? { otherIssuer: true } : {}),
      };
    }),
  };
}

/** The value of a DER INTEGER (non-negative). */
function derIntegerValue(der: Uint8Array): bigint {
  let v = 0n;
  for (const b of der.subarray(2, 2 + der[1]!)) v = v * 256n + BigInt(b);
  return v;
}

/**
 * A CRL over `list`, signed by the CA, valid from now (back-dated like
 * certificates) for `days`. Returns the PEM and the list with its cRLNumber
 * advanced (store it, so the next CRL has a higher number).
 */
export async function createCrl(ca: { certPem: string; keyPem: string; passphrase?: string }, list: RevocationList, o: { days?: number; now?: Date } = {}): Promise<{ pem: string; list: RevocationList }> {
  const now = o.now ?? new Date();
  const caCert = parseCertificate(ca.certPem);
  const key = loadPrivateKey(ca.keyPem, ca.passphrase);
  if (publicKeyFingerprint(certPublicKey(caCert)) !== publicKeyFingerprint(key)) throw new PkiError('the CA key does not belong to the CA certificate');
  const x = certFacts(caCert).extensions;
  if (x.keyUsage.length && !x.keyUsage.includes('cRLSign')) throw new PkiError(`the CA certificate's keyUsage (${x.keyUsage.join(', ')}) lacks cRLSign: it may not sign CRLs`);
  const crlNumber = list.crlNumber + 1;
  const der = await signCrl({
    issuer: caCert.subjectName,
    key,
    thisUpdate: new Date(now.getTime() - 5 * 60_000),
    nextUpdate: new Date(now.getTime() + (o.days ?? 7) * 86400_000),
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(subjectKeyId(caCert.extensions) ?? keyIdentifier(certPublicKey(caCert))),
      new x509.Extension(OID_CRL_NUMBER, false, derInteger(crlNumber)),
    ],
    // "unspecified" is left out, as RFC 5280 5.3.1 asks.
    entries: list.revoked.map((r) => ({ serial: r.serial, revocationDate: new Date(r.revokedAt), ...(r.reason && r.reason !== 'unspecified' ? { reason: r.reason } : {}) })),
  });
  return { pem: crlPem(der), list: { ...list, crlNumber } };
}
