import { InputError } from '../util/errors.js';
import { certFacts, certPublicKey, certSignedBy, keyIdentifier, parseCertificate } from './cert.js';
import { subjectKeyId } from './extensions.js';
import { loadPrivateKey, PkiError, publicKeyFingerprint } from './keys.js';
import { formatSubject } from './names.js';
import { toSigningKey, webSigningAlgorithm, x509 } from './x509.js';

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
  const thisUpdate = new Date(now.getTime() - 5 * 60_000);
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subjectName,
    thisUpdate,
    nextUpdate: new Date(now.getTime() + (o.days ?? 7) * 86400_000),
    signingAlgorithm: webSigningAlgorithm(key) as never,
    signingKey: (await toSigningKey(key)) as never,
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(subjectKeyId(caCert.extensions) ?? keyIdentifier(certPublicKey(caCert))),
      new x509.Extension('2.5.29.20', false, derInteger(crlNumber)),
    ],
    entries: list.revoked.map((r) => ({
      serialNumber: r.serial,
      revocationDate: new Date(r.revokedAt),
      ...(r.reason && r.reason !== 'unspecified' ? { reason: REASON_CODE[r.reason] as x509.X509CrlReason } : {}),
    })),
  });
  // openssl, NGINX and the RFC 7468 label: "X509 CRL" (the library writes "CRL").
  const pem = crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----') + '\n';
  return { pem, list: { ...list, crlNumber } };
}
