import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/local-files.js';
import { shellWords } from '../util/shell-words.js';
import { isVaultText, parseVaultEnvelope, vaultEncrypt, VaultError, VaultKeyring, type VaultSecret } from '../util/vault.js';
import { vaultKeyringFrom, vaultOptions, type VaultFlags } from './vault-options.js';

/**
 * `drover vault create|encrypt|decrypt|view|edit|rekey|encrypt_string`:
 * ansible-vault's commands and flags, on files in Ansible's format (each opens
 * in ansible-vault, and the other way round). Plaintext never goes to argv
 * or to a file anyone else can read: `create`/`edit` put it in a 0600 file in
 * a private (0700) temp dir for $EDITOR, overwritten and removed afterwards.
 */

interface CommonFlags extends VaultFlags {
  output?: string;
  encryptVaultId?: string;
}

/** An InputError from a VaultError, naming the file. */
function vaultFailure(e: unknown, file: string): never {
  if (e instanceof VaultError) throw new InputError(`${file}: ${e.message}`);
  throw e;
}

function readInput(file: string): Buffer {
  if (file === '-') return readFileSync(0);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Write bytes to stdout (`-`) or atomically to a file with `mode` (0600 by default, as ansible-vault writes). */
function writeOutput(file: string, data: Buffer | string, mode = 0o600): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (file === '-') {
    process.stdout.write(bytes);
    return;
  }
  writeFileAtomic(file, bytes, mode);
}

/** The secret to encrypt with: with several passwords, --encrypt-vault-id must say which (as ansible-vault). */
function encryptSecret(keyring: VaultKeyring, encryptVaultId: string | undefined): VaultSecret {
  if (keyring.secrets.length > 1 && !encryptVaultId) {
    throw new InputError(`the vault ids ${keyring.ids.join(',')} are available to encrypt: name one with --encrypt-vault-id`);
  }
  try {
    return keyring.encryptSecret(encryptVaultId);
  } catch (e) {
    return vaultFailure(e, 'encrypt');
  }
}

function decryptFile(keyring: VaultKeyring, file: string, data: Buffer): { plaintext: Buffer; vaultId: string } {
  if (!isVaultText(data)) throw new InputError(`${file} is not a vault-encrypted file`);
  try {
    return keyring.decrypt(data);
  } catch (e) {
    return vaultFailure(e, file);
  }
}

function done(message: string): void {
  if (process.stdout.isTTY) process.stderr.write(`${message}\n`);
}

/**
 * Let the user edit `initial` with $EDITOR (default vi) in a private temp
 * file; returns what they saved. The file is 0600 in a 0700 directory, and is
 * overwritten with random bytes and removed whatever happens.
 */
function editInEditor(initial: Buffer, like: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'drover-vault-'));
  const file = join(dir, `edit${extname(like)}`);
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, initial);
    } finally {
      closeSync(fd);
    }
    const editor = shellWords(process.env.EDITOR || 'vi');
    if (!editor.length) throw new InputError('$EDITOR is empty');
    const r = spawnSync(editor[0]!, [...editor.slice(1), file], { stdio: 'inherit' });
    if (r.error) throw new InputError(`unable to run the editor "${editor.join(' ')}": ${r.error.message}`);
    if (r.status !== 0) throw new InputError(`the editor "${editor.join(' ')}" exited with status ${r.status ?? r.signal}; nothing was saved`);
    return readFileSync(file);
  } finally {
    shred(file);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Overwrite a plaintext temp file before removing it (as ansible-vault's fallback to shred). */
function shred(file: string): void {
  try {
    const size = statSync(file).size;
    if (size > 0) {
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, randomBytes(size), 0, size, 0);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function fileArgs(files: string[], verb: string): string[] {
  if (!files.length) throw new InputError(`vault ${verb}: name at least one file`);
  return files;
}

function outputCheck(files: string[], o: CommonFlags): void {
  if (o.output && files.length > 1) throw new InputError('at most one input file may be used with the --output option');
}

/** ansible-vault's encrypt_string output: `name: !vault |` then the envelope indented by 10. */
export function formatEncryptedString(envelope: string, name?: string): string {
  const lines = [`${name ? `${name}: ` : ''}!vault |`, ...envelope.trimEnd().split('\n').map((l) => ' '.repeat(10) + l)];
  return lines.join('\n');
}

export function register(program: Command): void {
  const vault = program.command('vault').description("encrypt and decrypt files and values in Ansible Vault's format (as ansible-vault)");

  vaultOptions(vault.command('create').description('create a new encrypted file with $EDITOR'))
    .argument('<file>', 'file to create')
    .option('--encrypt-vault-id <id>', 'the vault id to encrypt with (needed when several are given)')
    .action(async (file: string, o: CommonFlags) => {
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true, newPassword: true });
      const secret = encryptSecret(keyring, o.encryptVaultId);
      if (existsSync(file)) throw new InputError(`${file} exists, please use 'edit' instead`);
      const dir = dirname(resolve(file));
      if (!existsSync(dir)) {
        process.stderr.write(`warning: ${dirname(file)} does not exist, creating it\n`);
        mkdirSync(dir, { recursive: true });
      }
      const plaintext = editInEditor(Buffer.alloc(0), file);
      writeOutput(file, vaultEncrypt(plaintext, secret.password, { vaultId: secret.id }));
    });

  vaultOptions(vault.command('encrypt').description('encrypt files (or stdin) in place or to --output'))
    .argument('[files...]', 'files to encrypt; none or - reads stdin')
    .option('--output <file>', 'write here instead (- for stdout)')
    .option('--encrypt-vault-id <id>', 'the vault id to encrypt with (needed when several are given)')
    .action(async (files: string[], o: CommonFlags) => {
      outputCheck(files, o);
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true, newPassword: true });
      const secret = encryptSecret(keyring, o.encryptVaultId);
      for (const f of files.length ? files : ['-']) {
        const data = readInput(f);
        if (isVaultText(data)) throw new InputError(`${f}: input is already encrypted`);
        writeOutput(o.output ?? f, vaultEncrypt(data, secret.password, { vaultId: secret.id }));
      }
      done('Encryption successful');
    });

  vaultOptions(vault.command('decrypt').description('decrypt files (or stdin) in place or to --output'))
    .argument('[files...]', 'files to decrypt; none or - reads stdin')
    .option('--output <file>', 'write here instead (- for stdout)')
    .action(async (files: string[], o: CommonFlags) => {
      outputCheck(files, o);
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true });
      for (const f of files.length ? files : ['-']) {
        const { plaintext } = decryptFile(keyring, f, readInput(f));
        writeOutput(o.output ?? f, plaintext);
      }
      done('Decryption successful');
    });

  vaultOptions(vault.command('view').description('print the plaintext of encrypted files'))
    .argument('<files...>', 'files to show')
    .action(async (files: string[], o: CommonFlags) => {
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true });
      for (const f of files) process.stdout.write(decryptFile(keyring, f, readInput(f)).plaintext);
    });

  vaultOptions(vault.command('edit').description('edit encrypted files with $EDITOR; re-encrypted with the same password and vault id'))
    .argument('<files...>', 'files to edit')
    .option('--encrypt-vault-id <id>', 'accepted for compatibility (edit keeps the vault id the file has)')
    .action(async (files: string[], o: CommonFlags) => {
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true });
      for (const f of fileArgs(files, 'edit')) {
        const data = readInput(f);
        const { plaintext, vaultId } = decryptFile(keyring, f, data);
        const envelopeId = parseVaultEnvelope(data).vaultId;
        const edited = editInEditor(plaintext, f);
        if (edited.equals(plaintext)) continue;
        const secret = keyring.secrets.find((s) => s.id === vaultId)!;
        writeOutput(f, vaultEncrypt(edited, secret.password, { vaultId: envelopeId }), statSync(f).mode & 0o7777);
      }
    });

  vaultOptions(vault.command('rekey').description('re-encrypt files with a new password'))
    .argument('<files...>', 'files to re-key')
    .option('--new-vault-password-file <file>', 'the new password, from a file or an executable')
    .option('--new-vault-id <[label@]source>', 'the new vault id and password source')
    .option('--encrypt-vault-id <id>', 'the vault id to encrypt with (needed when several are given)')
    .action(async (files: string[], o: CommonFlags & { newVaultPasswordFile?: string; newVaultId?: string }) => {
      if (o.newVaultPasswordFile && o.newVaultId) throw new InputError('--new-vault-password-file and --new-vault-id exclude each other');
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true });
      const fresh = await vaultKeyringFrom(
        { vaultId: o.newVaultId ? [o.newVaultId] : [], vaultPasswordFile: o.newVaultPasswordFile ? [o.newVaultPasswordFile] : [], askVaultPass: false },
        { autoPrompt: true, newPassword: true, noEnv: true },
      );
      const secret = encryptSecret(fresh, o.encryptVaultId);
      for (const f of fileArgs(files, 'rekey')) {
        const { plaintext } = decryptFile(keyring, f, readInput(f));
        writeOutput(f, vaultEncrypt(plaintext, secret.password, { vaultId: secret.id }), statSync(f).mode & 0o7777);
      }
      process.stderr.write('Rekey successful\n');
    });

  vaultOptions(vault.command('encrypt_string').description('encrypt strings as `!vault |` YAML values'))
    .argument('[strings...]', 'strings to encrypt; none or - reads stdin')
    .option('-n, --name <name>', 'the variable name (repeatable, one per string)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--stdin-name <name>', 'the variable name for the string read from stdin')
    .option('-p, --prompt', 'ask for the string to encrypt')
    .option('--show-input', 'do not hide the string when prompted')
    .option('--output <file>', 'write here instead of stdout')
    .option('--encrypt-vault-id <id>', 'the vault id to encrypt with (needed when several are given)')
    .action(async (strings: string[], o: CommonFlags & { name: string[]; stdinName?: string; prompt?: boolean; showInput?: boolean }) => {
      // No strings and --prompt: only the prompt (ansible-core 2.14 refuses this as "also reading stdin"; later versions allow it).
      const readStdin = strings.includes('-') || (strings.length === 0 && !o.prompt) || o.stdinName !== undefined;
      if (o.prompt && readStdin) throw new InputError('the --prompt option cannot be used when also reading from stdin');
      const keyring = await vaultKeyringFrom(o, { autoPrompt: true, newPassword: true });
      const secret = encryptSecret(keyring, o.encryptVaultId);
      const inputs: Array<{ text: string; name?: string; from: string }> = [];
      if (o.prompt) {
        const { promptHidden, promptLine } = await import('./prompt.js');
        const name = await promptLine('Variable name (enter for no name): ');
        const text = o.showInput ? await promptLine('String to encrypt: ') : await promptHidden('String to encrypt (hidden): ');
        if (text === '') throw new InputError('the plaintext given at the prompt was empty, not encrypting');
        inputs.push({ text, ...(name ? { name } : {}), from: 'the interactive prompt' });
      }
      if (readStdin) {
        const text = readFileSync(0, 'utf8');
        if (text === '') throw new InputError('stdin was empty, not encrypting');
        inputs.push({ text, ...(o.stdinName ? { name: o.stdinName } : {}), from: 'stdin' });
      }
      const args = strings.filter((s) => s !== '-');
      args.forEach((text, i) => {
        if (text === '') throw new InputError('the plaintext given on the command line was empty, not encrypting');
        const name = o.name[i];
        inputs.push({ text, ...(name ? { name } : {}), from: 'the command line args' });
      });
      const outs = inputs.map((x, i) => {
        if (inputs.length > 1) {
          process.stderr.write(
            x.name
              ? `# The encrypted version of variable ("${x.name}", the string #${i + 1} from ${x.from}).\n`
              : `# The encrypted version of the string #${i + 1} from ${x.from}.)\n`,
          );
        }
        return formatEncryptedString(vaultEncrypt(x.text, secret.password, { vaultId: secret.id }), x.name);
      });
      // As ansible-vault, no newline after the last line; on a terminal one, so the prompt does not follow it.
      writeOutput(o.output ?? '-', outs.join('\n') + (!o.output && process.stdout.isTTY ? '\n' : ''));
      done('Encryption successful');
    });
}
