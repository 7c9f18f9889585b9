import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputError } from './errors.js';
import type { SourcePos } from './source.js';
import { isVaultText, VAULT_HEADER, VaultError, vaultKeyring } from './vault.js';

/**
 * Text the user gives drover (playbooks, inventories, vars files, templates)
 * is UTF-8, strictly: an invalid byte or a NUL is an input error naming
 * line, column and byte offset, as Ansible refuses them — never a silent
 * U+FFFD written to a host.
 */
export function decodeText(bytes: Buffer, file: string): string {
  const text = bytes.toString('utf8');
  // Valid UTF-8 re-encodes to the same bytes; the first difference is the first bad byte.
  const again = Buffer.from(text, 'utf8');
  let bad = again.equals(bytes) ? -1 : firstDifference(bytes, again);
  const what = bad >= 0 ? `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} is not valid UTF-8` : 'a NUL byte';
  if (bad < 0) bad = bytes.indexOf(0);
  if (bad < 0) return text;
  const before = bytes.subarray(0, bad).toString('utf8');
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  throw new InputError(`${what} (at byte offset ${bad}): drover reads text files as UTF-8`, { file, line, col }, 'convert the file, e.g. iconv -f latin1 -t utf-8');
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** A user's file as text, and whether it was a vault-encrypted file (its text is then a secret). */
export interface UserText {
  text: string;
  vaultEncrypted: boolean;
}

/**
 * Read a user's text file strictly (see decodeText); `shown` names it in
 * messages. A missing file is an InputError at `from`. A vault-encrypted file
 * (Ansible Vault) is decrypted here, the one place every user file is read,
 * with the process's vault passwords (util/vault.ts).
 */
export function readUserTextFile(file: string, shown: string, what = 'file', from?: SourcePos): UserText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw missing(e, what, shown, from);
  }
  return userText(bytes, shown);
}

/** readUserTextFile's text. */
export function readTextFile(file: string, shown: string, what = 'file', from?: SourcePos): string {
  return readUserTextFile(file, shown, what, from).text;
}

/** readTextFile, without blocking. */
export async function readTextFileAsync(file: string, shown: string, what = 'file', from?: SourcePos): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw missing(e, what, shown, from);
  }
  return userText(bytes, shown).text;
}

function userText(bytes: Buffer, shown: string): UserText {
  if (!isVaultText(bytes)) return { text: decodeText(bytes, shown), vaultEncrypted: false };
  return { text: decodeText(decryptVaultFile(bytes, shown), shown), vaultEncrypted: true };
}

/** Whether a file starts with the vault header (reads only the header; false when it cannot be read). */
export function isVaultFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(VAULT_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && isVaultText(head);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * The plaintext of a vault-encrypted file (bytes: `copy src` copies them as
 * they are). No password, a wrong one or a damaged file is an InputError
 * naming the file.
 */
export function decryptVaultFile(bytes: Buffer, shown: string): Buffer {
  try {
    return vaultKeyring().decrypt(bytes).plaintext;
  } catch (e) {
    if (!(e instanceof VaultError)) throw e;
    const pos = { file: shown, line: 1, col: 1 };
    if (e.kind === 'no-password') throw new InputError(`this file is vault-encrypted; ${e.message}`, pos);
    throw new InputError(`cannot decrypt this vault-encrypted file: ${e.message}`, pos);
  }
}

function missing(e: unknown, what: string, shown: string, from?: SourcePos): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  return new InputError(code === 'ENOENT' ? `${what} not found: ${shown}` : `cannot read ${what} ${shown}: ${(e as Error).message}`, from);
}
