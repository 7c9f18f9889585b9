import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { InputError } from '../util/errors.js';

/**
 * Private keys. Generation and PEM (de)coding use Node's crypto (native, fast,
 * and it reads every PEM flavour openssl writes, encrypted or not); X.509 work
 * hands the key to node-forge as PKCS#1.
 *
 * Only RSA: node-forge signs and parses certificates and CSRs with RSA keys
 * only. It has no ECDSA at all, and its Ed25519 is a bare signature primitive
 * that its X.509 code does not use. EC P-256 certificates are therefore not
 * possible here; we say so instead of producing something half-working.
 */
export const RSA_SIZES = [2048, 3072, 4096] as const;

export const NON_RSA_EXPLANATION =
  'node-forge, the X.509 library drover uses, signs certificates and CSRs with RSA keys only (no ECDSA/P-256; its Ed25519 is not usable for X.509). Use type: RSA with size 2048, 3072 or 4096.';

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

export function checkKeyRequest(type: string, size: number): void {
  if (type.toUpperCase() !== 'RSA') throw new InputError(`private key type ${type} is not supported`, undefined, NON_RSA_EXPLANATION);
  if (!(RSA_SIZES as readonly number[]).includes(size)) throw new InputError(`RSA key size ${size} is not supported`, undefined, `one of ${RSA_SIZES.join(', ')}`);
}

export async function generateRsaKey(size: number): Promise<KeyObject> {
  checkKeyRequest('RSA', size);
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: size, publicExponent: 0x10001 });
  return privateKey;
}

export type KeyFormat = 'pkcs1' | 'pkcs8';

/**
 * PEM text. Without a passphrase: PKCS#1 ("BEGIN RSA PRIVATE KEY", what
 * Ansible's default `format: auto_ignore` writes for RSA) unless pkcs8 is
 * asked for. With one: encrypted PKCS#8, AES-256-CBC.
 */
export function privateKeyToPem(key: KeyObject, opts: { passphrase?: string; format?: KeyFormat } = {}): string {
  if (opts.passphrase) {
    return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: opts.passphrase }).toString();
  }
  return key.export({ type: opts.format ?? 'pkcs1', format: 'pem' }).toString();
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

export function toForgePrivateKey(key: KeyObject): forge.pki.rsa.PrivateKey {
  if (key.asymmetricKeyType !== 'rsa') throw new PkiError(`the private key is ${key.asymmetricKeyType}: ${NON_RSA_EXPLANATION}`);
  return forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
}

export function forgePublicKeyToNode(pub: forge.pki.PublicKey): KeyObject {
  return createPublicKey(forge.pki.publicKeyToPem(pub));
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
  type?: string;
  size?: number;
  format?: 'pkcs1' | 'pkcs8';
  publicKeyFingerprint?: string;
}

export function describePrivateKey(pem: string, passphrase?: string): PrivateKeyFacts {
  const encrypted = isEncryptedPem(pem);
  const format = pem.includes('BEGIN RSA PRIVATE KEY') ? 'pkcs1' : pem.includes('PRIVATE KEY') ? 'pkcs8' : undefined;
  try {
    const key = loadPrivateKey(pem, passphrase);
    return {
      readable: true,
      encrypted,
      format,
      type: key.asymmetricKeyType?.toUpperCase(),
      size: key.asymmetricKeyDetails?.modulusLength,
      publicKeyFingerprint: publicKeyFingerprint(key),
    };
  } catch (e) {
    return { readable: false, encrypted, format, error: e instanceof Error ? e.message : String(e) };
  }
}
