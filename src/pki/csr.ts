import type { KeyObject } from 'node:crypto';
import { InputError } from '../util/errors.js';
import { fromName, toName } from './dn.js';
import { buildExtensions, readExtensions, type Extension, type ExtensionSpec } from './extensions.js';
import { PkiError, publicKeyFingerprint, specOfKey } from './keys.js';
import {
  normalizeExtKeyUsages,
  normalizeKeyUsages,
  normalizeSans,
  parseBasicConstraints,
  sanForName,
  type Subject,
} from './names.js';
import { publicKeyObject, signedParts, toPublicCryptoKey, toSigningKey, verifySigned, webSigningAlgorithm, x509 } from './x509.js';

/** What a CSR should say: subject and managed extensions, canonical. */
export interface CsrRequest {
  subject: Subject;
  extensions: ExtensionSpec;
}

/** The Ansible-shaped options a CSR is described by (openssl_csr arguments, `drover pki` flags). */
export interface CsrOptions {
  subject: Subject;
  subjectAltName?: string | readonly string[];
  keyUsage?: readonly string[];
  keyUsageCritical?: boolean;
  extendedKeyUsage?: readonly string[];
  extendedKeyUsageCritical?: boolean;
  basicConstraints?: readonly string[];
  basicConstraintsCritical?: boolean;
  /** Ansible default true: with no SAN given, the CN becomes the only SAN (DNS:, or IP: for an address). */
  useCommonNameForSan?: boolean;
}

export function csrRequest(o: CsrOptions): CsrRequest {
  let san = normalizeSans(o.subjectAltName);
  if (san.length === 0 && (o.useCommonNameForSan ?? true) && o.subject.CN) san = [sanForName(o.subject.CN)];
  if (!o.subject.CN && Object.keys(o.subject).length === 0 && san.length === 0) {
    throw new InputError('a CSR needs a subject or a subject_alt_name', undefined, 'set common_name (or another subject field) or subject_alt_name');
  }
  return {
    subject: { ...o.subject },
    extensions: {
      subjectAltName: san,
      keyUsage: normalizeKeyUsages(o.keyUsage),
      keyUsageCritical: !!o.keyUsageCritical && (o.keyUsage?.length ?? 0) > 0,
      extendedKeyUsage: normalizeExtKeyUsages(o.extendedKeyUsage),
      extendedKeyUsageCritical: !!o.extendedKeyUsageCritical && (o.extendedKeyUsage?.length ?? 0) > 0,
      basicConstraints: parseBasicConstraints(o.basicConstraints),
      basicConstraintsCritical: !!o.basicConstraintsCritical && (o.basicConstraints?.length ?? 0) > 0,
    },
  };
}

/** A signed PKCS#10 request in PEM; the signature algorithm follows the key (as for certificates). */
export async function createCsr(req: CsrRequest, key: KeyObject): Promise<string> {
  specOfKey(key);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: toName(req.subject),
    keys: { privateKey: (await toSigningKey(key)) as never, publicKey: (await toPublicCryptoKey(key)) as never },
    signingAlgorithm: webSigningAlgorithm(key) as never,
    extensions: buildExtensions(req.extensions),
  });
  return csr.toString('pem') + '\n';
}

/** What an existing CSR holds, as plain data. */
export interface CsrFacts {
  subject: Subject;
  extensions: ExtensionSpec;
  publicKeyFingerprint: string;
  signatureValid: boolean;
}

export interface ParsedCsr {
  csr: x509.Pkcs10CertificateRequest;
  publicKey: KeyObject;
  /** Every requested extension, raw, for copying into a certificate. */
  rawExtensions: Extension[];
  facts: CsrFacts;
}

export function parseCsr(pem: string): ParsedCsr {
  let csr: x509.Pkcs10CertificateRequest;
  let publicKey: KeyObject;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
    publicKey = publicKeyObject(csr.publicKey);
  } catch (e) {
    throw new PkiError(`cannot parse the CSR: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rawExtensions = csr.extensions;
  return {
    csr,
    publicKey,
    rawExtensions,
    facts: {
      subject: fromName(csr.subjectName),
      extensions: readExtensions(rawExtensions),
      publicKeyFingerprint: publicKeyFingerprint(publicKey),
      signatureValid: verifySigned(signedParts(csr.rawData), publicKey),
    },
  };
}
