import { createPublicKey, type KeyObject } from 'node:crypto';
import { certFacts, certPublicKey, certSignedBy, issueCertificate, parseCertificate, parseTimeSpec } from './cert.js';
import { createCsr, csrRequest, parseCsr, type CsrOptions, type CsrRequest } from './csr.js';
import { buildExtensions, OID_AKI, OID_SKI, type Extension } from './extensions.js';
import { generateKey, loadPrivateKey, PkiError, privateKeyToPem, specOfKey, type KeySpec } from './keys.js';
import { formatBasicConstraints, formatSubject, type Subject } from './names.js';
import { x509 } from './x509.js';

/**
 * The three things a small private CA does — make a root, make an
 * intermediate, issue a server or client certificate — with sensible
 * profiles. Used by `drover pki` and by tests; the playbook modules build the
 * same certificates from explicit CSR arguments instead.
 */

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
  /** The passphrase of keyPem when it is encrypted (a CA used for signing), or to encrypt a new key with. */
  passphrase?: string;
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
  /**
   * Start of validity, Ansible time spec relative to `now` or absolute.
   * Default -5m: back-dated five minutes, so a host whose clock is a little
   * behind does not reject a certificate issued just now.
   */
  notBefore?: string;
  /** Encrypt the new private key (PKCS#8, AES-256-CBC) with this passphrase. */
  keyPassphrase?: string;
  /** Signed certificates only: crlDistributionPoints URIs (where the issuing CA publishes its CRL). */
  crlUrls?: readonly string[];
}

export const DEFAULT_NOT_BEFORE = '-5m';

const keyFor = (p: CaProfile, rsaDefault: number): KeySpec => p.key ?? { type: 'RSA', size: p.keySize ?? rsaDefault };

const CA_KEY_USAGE = ['digitalSignature', 'keyCertSign', 'cRLSign'];

interface Validity {
  notBefore?: string;
  notAfter: string;
  now: Date;
  /** crlDistributionPoints: where the issuing CA's CRL is published. */
  crlUrls?: readonly string[];
}

async function selfSigned(o: CsrOptions, key: KeyObject, v: Validity): Promise<string> {
  const { now, notAfter } = v;
  const csr = parseCsr(await createCsr(csrRequest(o), key));
  return issueCertificate({
    subject: csr.facts.subject,
    publicKey: csr.publicKey,
    extensions: csr.rawExtensions,
    notBefore: parseTimeSpec(v.notBefore ?? DEFAULT_NOT_BEFORE, now),
    notAfter: parseTimeSpec(notAfter, now),
    selfKey: key,
    subjectKeyIdentifier: 'always_create',
  });
}

async function signedBy(issuer: KeyAndCert, o: CsrOptions, key: KeyObject, v: Validity): Promise<string> {
  return signPublicKey(issuer, csrRequest(o), createPublicKey(key), v);
}

/** Certify `publicKey` for `req` (subject and extensions) with the issuer's key. */
async function signPublicKey(issuer: KeyAndCert, req: CsrRequest | { subject: Subject; raw: readonly Extension[] }, publicKey: KeyObject, v: Validity): Promise<string> {
  const { now } = v;
  const issuerCert = parseCertificate(issuer.certPem);
  let nb = parseTimeSpec(v.notBefore ?? DEFAULT_NOT_BEFORE, now);
  if (nb < issuerCert.notBefore) nb = issuerCert.notBefore;
  let na = parseTimeSpec(v.notAfter, now);
  // A certificate outliving its issuer fails verification at that point anyway; cap it (openssl-ca does not, we do).
  if (na > issuerCert.notAfter) na = issuerCert.notAfter;
  return issueCertificate({
    subject: req.subject,
    publicKey,
    extensions: [...('raw' in req ? req.raw : buildExtensions(req.extensions)), ...(v.crlUrls?.length ? [new x509.CRLDistributionPointsExtension([...v.crlUrls])] : [])],
    notBefore: nb,
    notAfter: na,
    issuer: { cert: issuerCert, key: loadPrivateKey(issuer.keyPem, issuer.passphrase) },
    subjectKeyIdentifier: 'always_create',
    authorityKeyIdentifier: true,
  });
}

const validity = (p: CaProfile, dfltNotAfter: string): Validity => ({ notBefore: p.notBefore, notAfter: p.notAfter ?? dfltNotAfter, now: p.now ?? new Date(), crlUrls: p.crlUrls });
const keyPem = (key: KeyObject, p: CaProfile) => privateKeyToPem(key, { passphrase: p.keyPassphrase });

/** Root CA: self-signed, CA:TRUE (critical), keyCertSign+cRLSign (critical). */
export async function createRootCa(p: CaProfile): Promise<KeyAndCert> {
  const key = await generateKey(keyFor(p, 4096));
  const certPem = await selfSigned(
    { subject: p.subject, keyUsage: CA_KEY_USAGE, keyUsageCritical: true, basicConstraints: ['CA:TRUE'], basicConstraintsCritical: true, useCommonNameForSan: false },
    key,
    validity(p, '+3650d'),
  );
  return { keyPem: keyPem(key, p), certPem };
}

/** Intermediate CA signed by `parent`; pathlen 0 = may sign only end-entity certificates. */
export async function createIntermediateCa(parent: KeyAndCert, p: CaProfile & { pathlen?: number }): Promise<KeyAndCert> {
  const key = await generateKey(keyFor(p, 3072));
  const bc = ['CA:TRUE', ...(p.pathlen !== undefined ? [`pathlen:${p.pathlen}`] : [])];
  const certPem = await signedBy(
    parent,
    { subject: p.subject, keyUsage: CA_KEY_USAGE, keyUsageCritical: true, basicConstraints: bc, basicConstraintsCritical: true, useCommonNameForSan: false },
    key,
    validity(p, '+1825d'),
  );
  return { keyPem: keyPem(key, p), certPem };
}

export type LeafKind = 'server' | 'client';

/**
 * The end-entity profile: CA:FALSE (critical), keyUsage digitalSignature
 * (+ keyEncipherment for RSA: RSA key transport; EC and Ed25519 keys only
 * sign, RFC 8813 / RFC 8410), critical; EKU serverAuth or clientAuth. A
 * server certificate gets its CN as the SAN when no SAN is given.
 */
function leafOptions(kind: LeafKind, subject: Subject, san: readonly string[] | undefined, keyType: KeySpec['type']): CsrOptions {
  return {
    subject,
    subjectAltName: san,
    useCommonNameForSan: kind === 'server',
    keyUsage: keyType === 'RSA' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
    keyUsageCritical: true,
    extendedKeyUsage: [kind === 'server' ? 'serverAuth' : 'clientAuth'],
    basicConstraints: ['CA:FALSE'],
    basicConstraintsCritical: true,
  };
}

/** Server (serverAuth) or client (clientAuth) certificate, CA:FALSE. Server certs get the CN as a SAN when no SAN is given. */
export async function issueLeaf(ca: KeyAndCert, p: CaProfile & { kind: LeafKind; san?: readonly string[] }): Promise<KeyAndCert> {
  const spec = keyFor(p, 2048);
  const key = await generateKey(spec);
  const certPem = await signedBy(ca, leafOptions(p.kind, p.subject, p.san, spec.type), key, validity(p, '+365d'));
  return { keyPem: keyPem(key, p), certPem };
}

export interface SignedCsr {
  certPem: string;
  /** What the certificate says (subject, SANs) and what of the CSR was not taken over. */
  subject: Subject;
  san: string[];
  ignored: string[];
}

/**
 * Sign a CSR made elsewhere (`openssl req`, a device, another tool) as a
 * leaf of `profile`. Policy, as a small CA should have one: the CSR's
 * signature must verify; its key must be one drover supports; the subject
 * keeps only the CN, and the SANs are copied (a server certificate with no
 * SAN gets DNS:/IP:<CN>); keyUsage, EKU and basicConstraints come from the
 * profile, never from the request. Everything else requested is ignored, and
 * listed in `ignored` so the operator sees it.
 */
export async function signCsr(ca: KeyAndCert, csrPem: string, p: { profile: LeafKind; notAfter?: string; notBefore?: string; now?: Date; crlUrls?: readonly string[] }): Promise<SignedCsr> {
  const csr = parseCsr(csrPem);
  if (!csr.facts.signatureValid) throw new PkiError('the CSR\'s signature does not verify (altered, or not made with the key it carries)');
  const key = specOfKey(csr.publicKey);
  const asked = csr.facts;
  const cn = asked.subject.CN;
  const san = asked.extensions.subjectAltName;
  if (!cn && san.length === 0) throw new PkiError('the CSR has neither a CN nor subjectAltNames: nothing to certify');
  const unsupported = san.filter((s) => !/^(DNS|IP|email|URI):/.test(s));
  if (unsupported.length) throw new PkiError(`the CSR asks for subjectAltNames drover does not issue: ${unsupported.join(', ')}`);
  const subject: Subject = cn ? { CN: cn } : {};
  const req = csrRequest(leafOptions(p.profile, subject, san.length ? san : undefined, key.type));
  const ignored: string[] = [];
  const dropped = Object.entries(asked.subject).filter(([f]) => f !== 'CN');
  if (dropped.length) ignored.push(`subject fields ${dropped.map(([f, v]) => `${f}=${v}`).join(', ')}`);
  const x = asked.extensions;
  if (x.basicConstraints) ignored.push(`basicConstraints ${formatBasicConstraints(x.basicConstraints)}`);
  if (x.keyUsage.length && x.keyUsage.join() !== req.extensions.keyUsage.join()) ignored.push(`keyUsage ${x.keyUsage.join(', ')}`);
  if (x.extendedKeyUsage.length && x.extendedKeyUsage.join() !== req.extensions.extendedKeyUsage.join()) ignored.push(`extendedKeyUsage ${x.extendedKeyUsage.join(', ')}`);
  const known = new Set(['2.5.29.17', '2.5.29.15', '2.5.29.37', '2.5.29.19', '2.5.29.14']);
  for (const e of csr.rawExtensions) if (!known.has(e.type)) ignored.push(`extension ${e.type}`);
  const certPem = await signPublicKey(ca, req, csr.publicKey, { notBefore: p.notBefore, notAfter: p.notAfter ?? '+365d', now: p.now ?? new Date(), crlUrls: p.crlUrls });
  return { certPem, subject, san: req.extensions.subjectAltName, ignored };
}

export interface Renewal {
  /** The new certificate; undefined when it was not due (see `within`). */
  certPem?: string;
  /** Why it was renewed, or why not. */
  reason: string;
  notAfter: string;
}

/**
 * Re-issue a certificate this CA issued: the same public key, subject and
 * extensions (subjectKeyIdentifier and authorityKeyIdentifier recomputed), a
 * new serial and validity. The lifetime is the old one's unless `notAfter`
 * is given. With `within` (seconds), a certificate that is valid longer than
 * that is left alone (idempotent, for cron or a playbook).
 */
export async function renewCertificate(ca: KeyAndCert, certPem: string, p: { notAfter?: string; notBefore?: string; within?: number; now?: Date } = {}): Promise<Renewal> {
  const now = p.now ?? new Date();
  const cert = parseCertificate(certPem);
  const caCert = parseCertificate(ca.certPem);
  const f = certFacts(cert);
  if (!certSignedBy(cert, caCert)) {
    throw new PkiError(`"${formatSubject(f.subject)}" was not issued by this CA "${formatSubject(certFacts(caCert).subject)}" (its signature does not verify with the CA's key)`);
  }
  const left = cert.notAfter.getTime() - now.getTime();
  if (p.within !== undefined && left > p.within * 1000) {
    return { reason: `not due: valid until ${f.notAfter}, more than ${Math.round(p.within / 86400)} days`, notAfter: f.notAfter };
  }
  // The old lifetime, counted from the new start (which is back-dated like any other).
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  const start = parseTimeSpec(p.notBefore ?? DEFAULT_NOT_BEFORE, now);
  const notAfter = p.notAfter ?? asn1Time(new Date(start.getTime() + lifetime));
  const raw = cert.extensions.filter((e) => e.type !== OID_SKI && e.type !== OID_AKI);
  const newPem = await signPublicKey(ca, { subject: f.subject, raw }, certPublicKey(cert), { notBefore: p.notBefore, notAfter, now });
  const reason = left <= 0 ? `expired on ${f.notAfter}` : `valid until ${f.notAfter}`;
  return { certPem: newPem, reason, notAfter: certFacts(parseCertificate(newPem)).notAfter };
}

/** 20300101000000Z: an absolute time as Ansible's time specs write it. */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}
