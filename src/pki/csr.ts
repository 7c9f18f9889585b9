import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { InputError } from '../util/errors.js';
import { fromForgeAttributes, toForgeAttributes } from './dn.js';
import { buildExtensions, readExtensions, type ExtensionSpec, type ForgeExtension } from './extensions.js';
import { forgePublicKeyToNode, NON_RSA_EXPLANATION, PkiError, publicKeyFingerprint, toForgePrivateKey } from './keys.js';
import {
  normalizeExtKeyUsages,
  normalizeKeyUsages,
  normalizeSans,
  parseBasicConstraints,
  sanForName,
  type Subject,
} from './names.js';

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

/** A signed PKCS#10 request in PEM, SHA-256. */
export function createCsr(req: CsrRequest, key: KeyObject): string {
  const fkey = toForgePrivateKey(key);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(fkey.n, fkey.e);
  csr.setSubject(toForgeAttributes(req.subject));
  const exts = buildExtensions(req.extensions);
  if (exts.length) csr.setAttributes([{ name: 'extensionRequest', extensions: exts }] as never);
  csr.sign(fkey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

/** What an existing CSR holds, as plain data. */
export interface CsrFacts {
  subject: Subject;
  extensions: ExtensionSpec;
  publicKeyFingerprint: string;
  signatureValid: boolean;
}

export interface ParsedCsr {
  csr: forge.pki.CertificateSigningRequest;
  /** Every requested extension, raw, for copying into a certificate. */
  rawExtensions: ForgeExtension[];
  facts: CsrFacts;
}

export function parseCsr(pem: string): ParsedCsr {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(pem, true);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PkiError(/OID is not RSA|not RSA/i.test(why) ? `the CSR's key is not RSA: ${NON_RSA_EXPLANATION}` : `cannot parse the CSR: ${why}`);
  }
  const attrs = (csr as unknown as { attributes: Array<{ name?: string; extensions?: ForgeExtension[] }> }).attributes ?? [];
  const rawExtensions = attrs.find((a) => a.name === 'extensionRequest')?.extensions ?? [];
  let signatureValid = false;
  try {
    signatureValid = csr.verify();
  } catch {
    signatureValid = false;
  }
  return {
    csr,
    rawExtensions,
    facts: {
      subject: fromForgeAttributes(csr.subject.attributes),
      extensions: readExtensions(rawExtensions),
      publicKeyFingerprint: publicKeyFingerprint(forgePublicKeyToNode(csr.publicKey as forge.pki.PublicKey)),
      signatureValid,
    },
  };
}
