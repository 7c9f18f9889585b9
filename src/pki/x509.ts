import type * as X509 from '@peculiar/x509';
import { createHash, createPublicKey, verify as cryptoVerify, webcrypto, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The one place drover's PKI code meets its X.509 library, @peculiar/x509
 * (ASN.1 structures, extensions, CSRs, certificates, CRLs), signing through
 * Node's WebCrypto. Signatures are *checked* synchronously with node:crypto
 * over the DER to-be-signed bytes, so parsing and verifying stay plain
 * functions.
 *
 * The library is loaded on first use, not on import: the module registry
 * imports the PKI modules, and building @peculiar/x509's ASN.1 schemas cost
 * every `drover play` CPU before its first task, PKI tasks or not (~6 % of a
 * `--syntax-check` run's CPU profile; bench/RESULTS.md, start-up).
 */
let lib: typeof X509 | undefined;
function load(): typeof X509 {
  // tsyringe, which @peculiar/x509 resolves its algorithm classes with, needs the
  // Reflect metadata polyfill loaded first.
  if (typeof require === 'function') {
    // The CommonJS bundle (dist/bundle): esbuild bundles these very calls, so the
    // library stays in the bundle and its code cache, evaluated on first use.
    require('reflect-metadata');
    lib = require('@peculiar/x509') as typeof X509;
  } else {
    // ES modules (dist/, tests): Node's loader.
    const req = createRequire(import.meta.url);
    req('reflect-metadata');
    lib = req('@peculiar/x509') as typeof X509;
  }
  lib.cryptoProvider.set(webcrypto as never);
  return lib;
}
export const x509: typeof X509 = new Proxy({} as typeof X509, { get: (_, name) => (lib ?? load())[name as keyof typeof X509] });
/** The library's types, as `x509.Name` and so on, for the code that uses the value above. */
export declare namespace x509 {
  export type AuthorityKeyIdentifierExtension = X509.AuthorityKeyIdentifierExtension;
  export type BasicConstraintsExtension = X509.BasicConstraintsExtension;
  export type CRLDistributionPointsExtension = X509.CRLDistributionPointsExtension;
  export type ExtendedKeyUsageExtension = X509.ExtendedKeyUsageExtension;
  export type Extension = X509.Extension;
  export type GeneralName = X509.GeneralName;
  export type JsonGeneralName = X509.JsonGeneralName;
  export type JsonNameParams = X509.JsonNameParams;
  export type KeyUsagesExtension = X509.KeyUsagesExtension;
  export type Name = X509.Name;
  export type Pkcs10CertificateRequest = X509.Pkcs10CertificateRequest;
  export type PublicKey = X509.PublicKey;
  export type SubjectAlternativeNameExtension = X509.SubjectAlternativeNameExtension;
  export type SubjectKeyIdentifierExtension = X509.SubjectKeyIdentifierExtension;
  export type X509Certificate = X509.X509Certificate;
  export type X509Crl = X509.X509Crl;
}

// --- minimal DER reading ----------------------------------------------------

interface Tlv {
  tag: number;
  /** Offsets into the buffer: the whole TLV, and its contents. */
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(buf: Uint8Array, at: number): Tlv {
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  return { tag, start: at, contentStart: p, end: p + len };
}

function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(buf, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

function oidFromDer(bytes: Uint8Array): string {
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** A signed structure (certificate, CSR, CRL): SEQUENCE { toBeSigned, AlgorithmIdentifier, BIT STRING }. */
export interface SignedParts {
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
}

export function signedParts(der: ArrayBuffer | Uint8Array): SignedParts {
  const buf = der instanceof Uint8Array ? der : new Uint8Array(der);
  const outer = readTlv(buf, 0);
  const [tbs, alg, sig] = children(buf, outer);
  if (!tbs || !alg || !sig) throw new Error('not a signed ASN.1 structure');
  const oid = children(buf, alg)[0]!;
  return {
    tbs: Buffer.from(buf.subarray(tbs.start, tbs.end)),
    signatureOid: oidFromDer(buf.subarray(oid.contentStart, oid.end)),
    // BIT STRING: first content byte is the count of unused bits (0 here).
    signature: Buffer.from(buf.subarray(sig.contentStart + 1, sig.end)),
  };
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo. */
export function subjectPublicKeyBits(spki: Uint8Array): Buffer {
  const outer = readTlv(spki, 0);
  const [, bits] = children(spki, outer);
  return Buffer.from(spki.subarray(bits!.contentStart + 1, bits!.end));
}

// --- algorithms -------------------------------------------------------------

/** Signature OIDs we verify, with node:crypto's digest for them (null: the key decides, Ed25519). */
const SIGNATURE_ALGS: Record<string, { digest: string | null; name: string }> = {
  '1.2.840.113549.1.1.5': { digest: 'sha1', name: 'sha1WithRSAEncryption' },
  '1.2.840.113549.1.1.11': { digest: 'sha256', name: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { digest: 'sha384', name: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { digest: 'sha512', name: 'sha512WithRSAEncryption' },
  '1.2.840.10045.4.3.2': { digest: 'sha256', name: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { digest: 'sha384', name: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { digest: 'sha512', name: 'ecdsa-with-SHA512' },
  '1.3.101.112': { digest: null, name: 'ED25519' },
};

/** openssl's name for a signature algorithm OID (the OID itself when unknown). */
export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGS[oid]?.name ?? oid;
}

/** The digest of a signature OID (null: Ed25519, none; undefined: an algorithm we do not know). */
export function signatureDigest(oid: string): string | null | undefined {
  return SIGNATURE_ALGS[oid]?.digest;
}

/** Does `parts`' signature verify with `publicKey`? False for a wrong key or an algorithm we do not know. */
export function verifySigned(parts: SignedParts, publicKey: KeyObject): boolean {
  const alg = SIGNATURE_ALGS[parts.signatureOid];
  if (!alg) return false;
  try {
    return cryptoVerify(alg.digest, parts.tbs, publicKey, parts.signature);
  } catch {
    return false;
  }
}

/** A digest a caller may choose (x509_crl's `digest`); Ed25519 has none. */
export type WebHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/**
 * The WebCrypto algorithm a key of this kind signs X.509 with: SHA-256 for RSA
 * and P-256, SHA-384 for P-384 (or `hash` when given), Ed25519 pure.
 */
export function webSigningAlgorithm(key: KeyObject, hash?: WebHash): { name: string; hash?: string; namedCurve?: string } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash: hash ?? 'SHA-256' };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256', hash: hash ?? 'SHA-256' };
      if (curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: hash ?? 'SHA-384' };
      throw new Error(`EC curve ${curve} is not supported (P-256 or P-384)`);
    }
    case 'ed25519':
      return { name: 'Ed25519' };
    default:
      throw new Error(`${key.asymmetricKeyType} keys are not supported (RSA, EC P-256/P-384, Ed25519)`);
  }
}

/** A Node private key as a WebCrypto signing key for the library. */
export async function toSigningKey(key: KeyObject, hash?: WebHash): Promise<webcrypto.CryptoKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, webSigningAlgorithm(key, hash) as never, false, ['sign']);
}

/** The public half of a Node private key as a WebCrypto key (the CSR generator exports it). */
export async function toPublicCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', der, webSigningAlgorithm(key) as never, true, ['verify']);
}

/** A public key (from a certificate or CSR) as a Node KeyObject. */
export function publicKeyObject(pub: x509.PublicKey): KeyObject {
  return createPublicKey({ key: Buffer.from(pub.rawData), format: 'der', type: 'spki' });
}

/** SHA-1 over the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), as openssl computes it. */
export function keyIdentifierOf(pub: KeyObject): string {
  const spki = pub.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest('hex');
}
