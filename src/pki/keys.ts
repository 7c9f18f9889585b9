import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { InputError } from '../util/errors.js';

/**
 * Private keys: RSA (2048, 3072, 4096), EC P-256/P-384, Ed25519. Generation
 * and PEM (de)coding use Node's crypto (native, fast, and it reads every PEM
 * flavour openssl writes, encrypted or not); X.509 work is in ./x509.ts.
 * Type and curve names are Ansible's (community.crypto openssl_privatekey):
 * `type: RSA|ECC|Ed25519`, `curve: secp256r1|secp384r1`.
 */
export const RSA_SIZES = [2048, 3072, 4096] as const;
export const KEY_TYPES = ['RSA', 'ECC', 'Ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const CURVES = ['secp256r1', 'secp384r1'] as const;
export type Curve = (typeof CURVES)[number];

/** What key to make. */
export type KeySpec = { type: 'RSA'; size: number } | { type: 'ECC'; curve: Curve } | { type: 'Ed25519' };

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

/** Ansible's type names, and the spellings other tools use (EC, ECDSA, OKP), -> canonical. */
export function keyType(name: string): KeyType {
  const n = name.trim().toLowerCase();
  if (n === 'rsa') return 'RSA';
  if (n === 'ecc' || n === 'ec' || n === 'ecdsa') return 'ECC';
  if (n === 'ed25519' || n === 'okp') return 'Ed25519';
  throw new InputError(`private key type ${name} is not supported`, undefined, 'RSA, ECC (curve secp256r1 or secp384r1) or Ed25519');
}

/** secp256r1 / prime256v1 / P-256, secp384r1 / P-384 -> Ansible's name. */
export function curveName(name: string): Curve {
  const n = name.trim().toLowerCase().replace(/[-_]/g, '');
  if (n === 'secp256r1' || n === 'prime256v1' || n === 'p256') return 'secp256r1';
  if (n === 'secp384r1' || n === 'p384') return 'secp384r1';
  throw new InputError(`curve ${name} is not supported`, undefined, 'secp256r1 (P-256) or secp384r1 (P-384)');
}

/** Check and canonicalise a request: size only for RSA, curve only for ECC (default secp256r1). */
export function keySpec(type: string, opts: { size?: number; curve?: string } = {}): KeySpec {
  const t = keyType(type);
  if (t === 'RSA') {
    const size = opts.size ?? 4096;
    if (!(RSA_SIZES as readonly number[]).includes(size)) throw new InputError(`RSA key size ${size} is not supported`, undefined, `one of ${RSA_SIZES.join(', ')}`);
    return { type: 'RSA', size };
  }
  if (t === 'ECC') return { type: 'ECC', curve: curveName(opts.curve ?? 'secp256r1') };
  return { type: 'Ed25519' };
}

/** "RSA 4096", "ECC secp256r1", "Ed25519". */
export function describeKeySpec(k: KeySpec): string {
  return k.type === 'RSA' ? `RSA ${k.size}` : k.type === 'ECC' ? `ECC ${k.curve}` : 'Ed25519';
}

const NODE_CURVE: Record<Curve, string> = { secp256r1: 'prime256v1', secp384r1: 'secp384r1' };

export async function generateKey(spec: KeySpec): Promise<KeyObject> {
  const gen = promisify(generateKeyPair);
  if (spec.type === 'RSA') {
    keySpec('RSA', { size: spec.size });
    return (await gen('rsa', { modulusLength: spec.size, publicExponent: 0x10001 })).privateKey;
  }
  if (spec.type === 'ECC') return (await gen('ec', { namedCurve: NODE_CURVE[spec.curve] })).privateKey;
  return (await gen('ed25519', {})).privateKey;
}

export async function generateRsaKey(size: number): Promise<KeyObject> {
  return generateKey({ type: 'RSA', size });
}

/** The spec an existing key satisfies. */
export function specOfKey(key: KeyObject): KeySpec {
  if (key.asymmetricKeyType === 'rsa') return { type: 'RSA', size: key.asymmetricKeyDetails?.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    if (c === 'prime256v1') return { type: 'ECC', curve: 'secp256r1' };
    if (c === 'secp384r1') return { type: 'ECC', curve: 'secp384r1' };
    throw new PkiError(`EC curve ${c} is not supported (secp256r1 or secp384r1)`);
  }
  if (key.asymmetricKeyType === 'ed25519') return { type: 'Ed25519' };
  throw new PkiError(`${key.asymmetricKeyType} keys are not supported (RSA, ECC secp256r1/secp384r1, Ed25519)`);
}

export type KeyFormat = 'pkcs1' | 'pkcs8';

/**
 * PEM text. Without a passphrase, what Ansible's default `format: auto_ignore`
 * writes: the traditional form for RSA ("BEGIN RSA PRIVATE KEY", PKCS#1) and
 * EC ("BEGIN EC PRIVATE KEY", SEC 1), PKCS#8 for Ed25519 (it has no other);
 * `pkcs1` means the traditional form, as in Ansible. With a passphrase:
 * encrypted PKCS#8, AES-256-CBC.
 */
export function privateKeyToPem(key: KeyObject, opts: { passphrase?: string; format?: KeyFormat } = {}): string {
  if (opts.passphrase) {
    return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: opts.passphrase }).toString();
  }
  if (opts.format === 'pkcs8' || key.asymmetricKeyType === 'ed25519') return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return key.export({ type: key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1', format: 'pem' }).toString();
}

/** Parse a PEM private key, decrypting it when it is encrypted. */
export function loadPrivateKey(pem: string, passphrase?: string): KeyObject {
  const encrypted = isEncryptedPem(pem);
  if (encrypted && !passphrase) throw new PkiError('the private key is encrypted and no passphrase was given');
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: encrypted ? passphrase : undefined });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PkiError(encrypted ? `cannot decrypt the private key (wrong passphrase?): ${why}` : `cannot parse the private key: ${why}`);
  }
}

export function isEncryptedPem(pem: string): boolean {
  return pem.includes('BEGIN ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(pem);
}

/** SHA-256 over the DER SubjectPublicKeyInfo, hex: equal iff the public keys are equal. */
export function publicKeyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** What an existing private key file holds, as plain data (facts for planning). */
export interface PrivateKeyFacts {
  /** false: unreadable (garbage, or encrypted with another passphrase); `error` says why. */
  readable: boolean;
  error?: string;
  encrypted: boolean;
  /** Ansible's names: RSA, ECC, Ed25519. */
  type?: string;
  size?: number;
  curve?: Curve;
  /** pkcs1: the traditional form (BEGIN RSA/EC PRIVATE KEY). */
  format?: 'pkcs1' | 'pkcs8';
  publicKeyFingerprint?: string;
}

export function describePrivateKey(pem: string, passphrase?: string): PrivateKeyFacts {
  const encrypted = isEncryptedPem(pem);
  const format = /BEGIN (RSA|EC) PRIVATE KEY/.test(pem) ? 'pkcs1' : pem.includes('PRIVATE KEY') ? 'pkcs8' : undefined;
  try {
    const key = loadPrivateKey(pem, passphrase);
    const spec = specOfKey(key);
    return {
      readable: true,
      encrypted,
      format,
      type: spec.type,
      ...(spec.type === 'RSA' ? { size: spec.size } : spec.type === 'ECC' ? { curve: spec.curve } : {}),
      publicKeyFingerprint: publicKeyFingerprint(key),
    };
  } catch (e) {
    return { readable: false, encrypted, format, error: e instanceof Error ? e.message : String(e) };
  }
}
