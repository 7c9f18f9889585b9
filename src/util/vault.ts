import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Ansible Vault, in Ansible's exact format (ansible/parsing/vault/__init__.py,
 * VaultAES256), so files and `!vault` values open in both drover and
 * ansible-vault:
 *
 *     $ANSIBLE_VAULT;1.1;AES256            (1.2;AES256;<vault-id> with a vault id)
 *     hex( hex(salt) \n hex(hmac) \n hex(ciphertext) ), in lines of 80
 *
 * PBKDF2-HMAC-SHA256 (10000 iterations) of the password and a 32-byte salt
 * gives 80 bytes: the AES-256 key, the HMAC-SHA256 key and the CTR IV. The
 * plaintext is PKCS7-padded to 16 bytes, encrypted with AES-256-CTR, and the
 * HMAC (compared in constant time) covers the ciphertext.
 *
 * Passwords live in one VaultKeyring per process, set by the CLI before
 * anything is loaded. Every decrypted value is a secret: revealSecret() adds
 * it to a process-wide list that every Redactor reads (util/redact.ts), so it
 * is masked wherever text leaves the process.
 */

export const VAULT_HEADER = '$ANSIBLE_VAULT';
export const DEFAULT_VAULT_ID = 'default';
const CIPHER = 'AES256';
const ITERATIONS = 10000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const SALT_LENGTH = 32;
const LINE_WIDTH = 80;

/** What a user should pass when a vault value is met without any password. */
export const NO_VAULT_PASSWORD =
  'a vault-encrypted value needs a vault password: --vault-password-file, --ask-vault-pass, --vault-id or DROVER_VAULT_PASSWORD_FILE';

/** A vault envelope that cannot be read, a wrong password or a failed HMAC. Callers add the position. */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly kind: 'format' | 'password' | 'no-password',
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The vault id of a 1.2 envelope; undefined for 1.1. */
  vaultId?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

export interface VaultSecret {
  /** The vault id ('default' when none was named). */
  id: string;
  password: Buffer;
}

/** True when this text or these bytes are a vault envelope (they start with `$ANSIBLE_VAULT`). */
export function isVaultText(data: string | Buffer): boolean {
  if (typeof data === 'string') return data.startsWith(VAULT_HEADER);
  return data.length >= VAULT_HEADER.length && data.subarray(0, VAULT_HEADER.length).toString('latin1') === VAULT_HEADER;
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new VaultError(`malformed vault data: ${what} is not hexadecimal`, 'format');
  return Buffer.from(text, 'hex');
}

/** Read an envelope (header and hex body) without decrypting it. */
export function parseVaultEnvelope(data: string | Buffer): VaultEnvelope {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const lines = text.split(/\r\n|\r|\n/);
  const header = lines[0]!.trim().split(';').map((s) => s.trim());
  if (header[0] !== VAULT_HEADER) throw new VaultError(`malformed vault data: it does not start with ${VAULT_HEADER}`, 'format');
  if (header.length < 3) throw new VaultError(`malformed vault header "${lines[0]!.trim()}": expected ${VAULT_HEADER};1.1;AES256`, 'format');
  const [, version, cipher, vaultId] = header as [string, string, string, string | undefined];
  if (version !== '1.1' && version !== '1.2') throw new VaultError(`unsupported vault format version ${version} (1.1 and 1.2 are read)`, 'format');
  if (cipher !== CIPHER) throw new VaultError(`unsupported vault cipher ${cipher} (only ${CIPHER} exists)`, 'format');
  const body = unhex(lines.slice(1).map((l) => l.trim()).join(''), 'the body').toString('latin1');
  const parts = body.split('\n');
  if (parts.length !== 3) throw new VaultError('malformed vault data: the body is not salt, HMAC and ciphertext', 'format');
  const salt = unhex(parts[0]!, 'the salt');
  const hmac = unhex(parts[1]!, 'the HMAC');
  const ciphertext = unhex(parts[2]!, 'the ciphertext');
  if (hmac.length !== 32) throw new VaultError('malformed vault data: the HMAC is not 32 bytes', 'format');
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new VaultError('malformed vault data: the ciphertext is not whole AES blocks', 'format');
  return { version, cipher, ...(vaultId ? { vaultId } : {}), salt, hmac, ciphertext };
}

function deriveKeys(password: Buffer, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  return { key: derived.subarray(0, KEY_LENGTH), hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH), iv: derived.subarray(2 * KEY_LENGTH) };
}

function pkcs7Pad(data: Buffer): Buffer {
  const n = 16 - (data.length % 16);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(data: Buffer): Buffer {
  const n = data[data.length - 1]!;
  if (n < 1 || n > 16 || n > data.length || !data.subarray(data.length - n).every((b) => b === n)) {
    throw new VaultError('malformed vault data: bad padding after decryption', 'format');
  }
  return data.subarray(0, data.length - n);
}

export interface EncryptOptions {
  /** A vault id other than 'default' makes a 1.2 envelope naming it. */
  vaultId?: string;
  /** For tests only: a fixed salt. */
  salt?: Buffer;
}

/** Encrypt bytes or text (UTF-8) with a password: the envelope text, ending in a newline. */
export function vaultEncrypt(plaintext: Buffer | string, password: Buffer | string, opts: EncryptOptions = {}): string {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (pw.length === 0) throw new VaultError('the vault password is empty', 'password');
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  if (isVaultText(data)) throw new VaultError('input is already encrypted', 'format');
  const salt = opts.salt ?? randomBytes(SALT_LENGTH);
  const { key, hmacKey, iv } = deriveKeys(pw, salt);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(pkcs7Pad(data)), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const body = Buffer.from([salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n'), 'latin1').toString('hex');
  const vaultId = opts.vaultId && opts.vaultId !== DEFAULT_VAULT_ID ? opts.vaultId : undefined;
  if (vaultId && /[;\s]/.test(vaultId)) throw new VaultError(`"${vaultId}" is not a valid vault id: ";" and spaces are not allowed`, 'format');
  const header = vaultId ? `${VAULT_HEADER};1.2;${CIPHER};${vaultId}` : `${VAULT_HEADER};1.1;${CIPHER}`;
  const lines = [header];
  for (let i = 0; i < body.length; i += LINE_WIDTH) lines.push(body.slice(i, i + LINE_WIDTH));
  return lines.join('\n') + '\n';
}

/** Decrypt an envelope with one password; a wrong password (HMAC mismatch) is a VaultError of kind 'password'. */
export function vaultDecryptWith(envelope: VaultEnvelope, password: Buffer | string): Buffer {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const { key, hmacKey, iv } = deriveKeys(pw, envelope.salt);
  const expected = createHmac('sha256', hmacKey).update(envelope.ciphertext).digest();
  if (!timingSafeEqual(expected, envelope.hmac)) throw new VaultError('HMAC verification failed: wrong vault password, or the data was changed', 'password');
  const decipher = createDecipheriv('aes-256-ctr', key, iv);
  return pkcs7Unpad(Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]));
}

/**
 * The passwords a process knows, by vault id, in the order given (as
 * Ansible: --vault-id sources, then password files, then the prompt).
 */
export class VaultKeyring {
  private cache = new Map<string, { plaintext: Buffer; vaultId: string }>();
  constructor(readonly secrets: readonly VaultSecret[]) {}

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  get ids(): string[] {
    return this.secrets.map((s) => s.id);
  }

  /**
   * Decrypt with the password of the envelope's vault id first, then every
   * other one (Ansible's default, vault_id_match off). Results are cached by
   * envelope, so a file read by `check` and again by the run costs one PBKDF2.
   */
  decrypt(data: string | Buffer): { plaintext: Buffer; vaultId: string } {
    const text = typeof data === 'string' ? data : data.toString('latin1');
    const cached = this.cache.get(text);
    if (cached) return cached;
    const envelope = parseVaultEnvelope(text);
    if (this.empty) throw new VaultError(NO_VAULT_PASSWORD, 'no-password');
    const id = envelope.vaultId ?? DEFAULT_VAULT_ID;
    const ordered = [...this.secrets.filter((s) => s.id === id), ...this.secrets.filter((s) => s.id !== id)];
    for (const secret of ordered) {
      try {
        const out = { plaintext: vaultDecryptWith(envelope, secret.password), vaultId: secret.id };
        this.cache.set(text, out);
        return out;
      } catch (e) {
        if (e instanceof VaultError && e.kind === 'password') continue;
        throw e;
      }
    }
    const named = envelope.vaultId ? ` (it names vault id "${envelope.vaultId}")` : '';
    throw new VaultError(`decryption failed: no vault password given (vault ids: ${this.ids.join(', ')}) opens this data${named}`, 'password');
  }

  /** The secret to encrypt with: the one of `vaultId` when named, else the only one (several: name one with --encrypt-vault-id). */
  encryptSecret(vaultId?: string): VaultSecret {
    if (this.empty) throw new VaultError('a vault password is required to encrypt', 'no-password');
    if (vaultId) {
      const found = this.secrets.find((s) => s.id === vaultId);
      if (!found) throw new VaultError(`did not find a match for --encrypt-vault-id=${vaultId} in the known vault ids ${this.ids.join(', ')}`, 'no-password');
      return found;
    }
    return this.secrets[0]!;
  }
}

let keyring = new VaultKeyring([]);

/** Set the process's vault passwords (the CLI does this once, before anything is loaded). */
export function setVaultKeyring(k: VaultKeyring): void {
  keyring = k;
}

/** The process's vault passwords (empty until the CLI sets them). */
export function vaultKeyring(): VaultKeyring {
  return keyring;
}

const revealed: string[] = [];
const revealedSet = new Set<string>();

/**
 * A decrypted value is a secret from now on: every Redactor masks it (and,
 * for multi-line text, each of its lines, as diffs show lines).
 */
export function revealSecret(plaintext: string): void {
  const add = (s: string) => {
    if (s.length === 0 || revealedSet.has(s)) return;
    revealedSet.add(s);
    revealed.push(s);
  };
  add(plaintext);
  if (plaintext.includes('\n')) for (const line of plaintext.split('\n')) add(line.trim());
}

/** Every secret revealed so far, in order (append-only: a reader remembers how many it has seen). */
export function revealedSecrets(): readonly string[] {
  return revealed;
}
