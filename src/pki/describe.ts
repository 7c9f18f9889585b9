import { certFacts, type Certificate } from './cert.js';
import type { KeySpec } from './keys.js';
import { ekuLabel, formatBasicConstraints, formatSubject, KEY_USAGES, type KeyUsage } from './names.js';

/** openssl's words: "RSA 2048 bit", "EC P-256", "ED25519". */
export function publicKeyLabel(k: KeySpec): string {
  return k.type === 'RSA' ? `RSA ${k.size} bit` : k.type === 'ECC' ? `EC ${k.curve === 'secp256r1' ? 'P-256' : 'P-384'} (${k.curve})` : 'Ed25519';
}

const colonHex = (hex: string) => hex.toUpperCase().match(/../g)?.join(':') ?? '';

/** A readable dump in the spirit of `openssl x509 -text -noout`, only the parts people look at. */
export function describeCertificate(cert: Certificate, now: Date = new Date()): string {
  const f = certFacts(cert);
  const x = f.extensions;
  const notAfter = new Date(f.notAfter);
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86400_000);
  const state = days < 0 ? `EXPIRED ${-days} days ago` : new Date(f.notBefore) > now ? 'NOT YET VALID' : `${days} days left`;
  const lines = [
    'Certificate:',
    `  Serial:       ${colonHex(f.serial)}`,
    `  Signature:    ${f.signatureAlgorithm}`,
    `  Issuer:       ${formatSubject(f.issuer)}`,
    `  Subject:      ${formatSubject(f.subject)}${f.selfIssued ? '   (self-issued)' : ''}`,
    `  Validity:     ${f.notBefore} .. ${f.notAfter}  (${state})`,
    `  Public key:   ${f.key ? publicKeyLabel(f.key) : '(a key type drover does not make)'}`,
    '  Extensions:',
  ];
  if (x.basicConstraints) lines.push(`    Basic Constraints${x.basicConstraintsCritical ? ' (critical)' : ''}: ${formatBasicConstraints(x.basicConstraints)}`);
  if (x.keyUsage.length) lines.push(`    Key Usage${x.keyUsageCritical ? ' (critical)' : ''}: ${(Object.keys(KEY_USAGES) as KeyUsage[]).filter((k) => x.keyUsage.includes(k)).map((k) => KEY_USAGES[k]).join(', ')}`);
  if (x.extendedKeyUsage.length) lines.push(`    Extended Key Usage${x.extendedKeyUsageCritical ? ' (critical)' : ''}: ${x.extendedKeyUsage.map(ekuLabel).join(', ')}`);
  if (x.subjectAltName.length) lines.push(`    Subject Alternative Name: ${x.subjectAltName.join(', ')}`);
  if (f.subjectKeyId) lines.push(`    Subject Key Identifier: ${colonHex(f.subjectKeyId)}`);
  if (f.authorityKeyId) lines.push(`    Authority Key Identifier: ${colonHex(f.authorityKeyId)}`);
  if (lines[lines.length - 1] === '  Extensions:') lines.push('    (none)');
  lines.push(`  SHA-256 fingerprint: ${f.fingerprintSha256}`);
  return lines.join('\n') + '\n';
}
