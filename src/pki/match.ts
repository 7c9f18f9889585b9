import type { CertFacts } from './cert.js';
import type { CsrFacts, CsrRequest } from './csr.js';
import type { ExtensionSpec } from './extensions.js';
import type { PrivateKeyFacts } from './keys.js';
import { formatBasicConstraints, formatSubject, sameSubject, type Subject } from './names.js';

/**
 * "Does what is on disk still match the request?" — pure functions over plain
 * facts, so idempotence is decided (and unit-tested) without touching a host.
 * Each returns the reasons to (re)generate; an empty list means leave it alone.
 */

export interface KeyWanted {
  /** RSA, ECC, Ed25519. */
  type: string;
  /** RSA only. */
  size?: number;
  /** ECC only. */
  curve?: string;
  /** Expect an encrypted key (a passphrase was given). */
  encrypted: boolean;
  format?: 'pkcs1' | 'pkcs8';
}

export function keyMismatches(have: PrivateKeyFacts, want: KeyWanted): string[] {
  if (!have.readable) return [`existing key is unusable: ${have.error}`];
  const out: string[] = [];
  if (have.type?.toUpperCase() !== want.type.toUpperCase()) out.push(`type ${have.type} -> ${want.type}`);
  else if (want.size !== undefined && have.size !== want.size) out.push(`size ${have.size} -> ${want.size}`);
  else if (want.curve !== undefined && have.curve !== want.curve) out.push(`curve ${have.curve} -> ${want.curve}`);
  if (have.encrypted !== want.encrypted) out.push(want.encrypted ? 'key is not encrypted but a passphrase was given' : 'key is encrypted but no passphrase was given');
  if (!want.encrypted && want.format && have.format && have.format !== want.format) out.push(`format ${have.format} -> ${want.format}`);
  return out;
}

function diffList(label: string, have: readonly string[], want: readonly string[]): string | undefined {
  const add = want.filter((x) => !have.includes(x));
  const del = have.filter((x) => !want.includes(x));
  if (!add.length && !del.length) return undefined;
  return `${label}: ${[...add.map((x) => '+' + x), ...del.map((x) => '-' + x)].join(' ')}`;
}

/** Compare subject and managed extensions (shared by CSRs and certificates). */
export function requestMismatches(have: { subject: Subject; extensions: ExtensionSpec }, want: CsrRequest): string[] {
  const out: string[] = [];
  if (!sameSubject(have.subject, want.subject)) out.push(`subject "${formatSubject(have.subject)}" -> "${formatSubject(want.subject)}"`);
  const h = have.extensions;
  const w = want.extensions;
  const push = (s: string | undefined) => s && out.push(s);
  push(diffList('subjectAltName', h.subjectAltName, w.subjectAltName));
  push(diffList('keyUsage', h.keyUsage, w.keyUsage));
  if (w.keyUsage.length && h.keyUsageCritical !== w.keyUsageCritical) out.push(`keyUsage critical ${h.keyUsageCritical} -> ${w.keyUsageCritical}`);
  push(diffList('extendedKeyUsage', h.extendedKeyUsage, w.extendedKeyUsage));
  if (w.extendedKeyUsage.length && h.extendedKeyUsageCritical !== w.extendedKeyUsageCritical) out.push(`extendedKeyUsage critical ${h.extendedKeyUsageCritical} -> ${w.extendedKeyUsageCritical}`);
  const hb = h.basicConstraints ? formatBasicConstraints(h.basicConstraints) : '(none)';
  const wb = w.basicConstraints ? formatBasicConstraints(w.basicConstraints) : '(none)';
  if (hb !== wb) out.push(`basicConstraints ${hb} -> ${wb}`);
  if (w.basicConstraints && h.basicConstraintsCritical !== w.basicConstraintsCritical) out.push(`basicConstraints critical ${h.basicConstraintsCritical} -> ${w.basicConstraintsCritical}`);
  return out;
}

export function csrMismatches(have: CsrFacts, want: CsrRequest, keyFingerprint: string): string[] {
  const out: string[] = [];
  if (!have.signatureValid) out.push('existing CSR signature does not verify');
  if (have.publicKeyFingerprint !== keyFingerprint) out.push('CSR was made for a different private key');
  return [...out, ...requestMismatches(have, want)];
}

export interface CertWanted {
  /** Subject, extensions and public key from the CSR (or the request). */
  request: CsrRequest;
  publicKeyFingerprint: string;
  /** ownca: the issuer's subject and key; undefined: self-signed. */
  issuer?: { subject: Subject; publicKeyFingerprint: string; subjectKeyId?: string };
  /** Whether the existing certificate's signature verifies with the issuer's key (self: its own). Undefined: not checked. */
  signatureValid?: boolean;
  /** Re-issue when the certificate expires within this many days (0: only when expired). */
  renewDays: number;
  now: Date;
}

export function certMismatches(have: CertFacts, want: CertWanted): string[] {
  const out: string[] = [];
  if (have.publicKeyFingerprint !== want.publicKeyFingerprint) out.push('certificate is for a different key');
  out.push(...requestMismatches(have, want.request));
  if (want.issuer) {
    if (!sameSubject(have.issuer, want.issuer.subject)) out.push(`issued by "${formatSubject(have.issuer)}", not by the CA "${formatSubject(want.issuer.subject)}"`);
    else if (have.authorityKeyId && want.issuer.subjectKeyId && have.authorityKeyId !== want.issuer.subjectKeyId) out.push(`issued by another CA key (authorityKeyIdentifier ${have.authorityKeyId}, CA key ${want.issuer.subjectKeyId})`);
  } else if (!sameSubject(have.issuer, have.subject)) {
    out.push(`issued by "${formatSubject(have.issuer)}", but a self-signed certificate was requested`);
  }
  if (want.signatureValid === false) out.push(want.issuer ? 'signature does not verify with the CA key' : 'self-signature does not verify');
  const notAfter = new Date(have.notAfter).getTime();
  const now = want.now.getTime();
  if (notAfter <= now) out.push(`expired on ${have.notAfter}`);
  else if (notAfter - now < want.renewDays * 86400_000) out.push(`expires on ${have.notAfter}, within ${want.renewDays} days`);
  if (new Date(have.notBefore).getTime() > now + 5 * 60_000) out.push(`not valid before ${have.notBefore}`);
  return out;
}
