import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../util/errors.js';
import { DEFAULT_VAULT_ID, setVaultKeyring, VaultKeyring, type VaultSecret } from '../util/vault.js';
import { promptHidden } from './prompt.js';
import { configVault } from './config-file.js';

/**
 * Where vault passwords come from, as ansible-playbook and ansible-vault read
 * them (ansible/cli/__init__.py setup_vault_secrets): `--vault-id
 * [label@]source` (a file, an executable printing the password, or `prompt`),
 * `--vault-password-file FILE` (id `default`), the file named by
 * DROVER_VAULT_PASSWORD_FILE (or vault_password_file: ANSIBLE_VAULT_PASSWORD_FILE,
 * then ansible.cfg), and
 * `--ask-vault-pass`, in that order. Passwords stay in memory: never in argv,
 * the environment or a file.
 */

export interface VaultFlags {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** Add the vault password flags to a command. */
export function vaultOptions(cmd: Command): Command {
  return cmd
    .option('--vault-id <[label@]source>', 'vault password: a file, an executable printing it, or "prompt"; label names the vault id (repeatable)', collect, [])
    .option('--vault-password-file <file>', 'vault password file, or an executable printing it (repeatable; also DROVER_VAULT_PASSWORD_FILE)', collect, [])
    .option('-J, --ask-vault-pass', 'ask for the vault password');
}

export interface KeyringOptions {
  /** With no source at all, prompt (ansible-vault does; play and check do not). */
  autoPrompt?: boolean;
  /** Prompts ask for a new password twice (encrypt, create, rekey's new one). */
  newPassword?: boolean;
  /** Leave DROVER_VAULT_PASSWORD_FILE out (rekey's new password must be given). */
  noEnv?: boolean;
}

/** The vault password file named by the environment, if any. */
export function envVaultPasswordFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DROVER_VAULT_PASSWORD_FILE || env.ANSIBLE_VAULT_PASSWORD_FILE || undefined;
}

/** The keyring these flags name (empty when they name nothing). Any unreadable source is an input error. */
export async function vaultKeyringFrom(flags: VaultFlags, opts: KeyringOptions = {}): Promise<VaultKeyring> {
  const slugs = [...(flags.vaultId ?? [])];
  const files = [...(flags.vaultPasswordFile ?? [])];
  // DROVER_VAULT_PASSWORD_FILE, else vault_password_file (ANSIBLE_VAULT_PASSWORD_FILE, then ansible.cfg).
  const fromEnv = opts.noEnv ? undefined : (process.env.DROVER_VAULT_PASSWORD_FILE || configVault().passwordFile);
  if (fromEnv) files.push(fromEnv);
  for (const f of files) slugs.push(`${DEFAULT_VAULT_ID}@${f}`);
  if (flags.askVaultPass || (slugs.length === 0 && opts.autoPrompt)) slugs.push(`${DEFAULT_VAULT_ID}@prompt_ask_vault_pass`);
  const secrets: VaultSecret[] = [];
  for (const slug of slugs) {
    const at = slug.indexOf('@');
    const label = at >= 0 ? slug.slice(0, at) : undefined;
    const source = at >= 0 ? slug.slice(at + 1) : slug;
    if (label !== undefined && (label === '' || /[;\s]/.test(label))) {
      throw new InputError(`--vault-id ${JSON.stringify(slug)}: "${label}" is not a valid vault id (not empty; no ";" or spaces)`);
    }
    if (!source) throw new InputError(`--vault-id ${JSON.stringify(slug)}: no password source after the label`);
    const id = label ?? DEFAULT_VAULT_ID;
    const password =
      source === 'prompt' || source === 'prompt_ask_vault_pass'
        ? await promptPassword(source === 'prompt' ? id : undefined, Boolean(opts.newPassword))
        : await passwordFromFile(source, label);
    secrets.push({ id, password });
  }
  return new VaultKeyring(secrets);
}

async function promptPassword(vaultId: string | undefined, isNew: boolean): Promise<Buffer> {
  const noTerminal = 'asking for a vault password needs a terminal; use --vault-password-file or DROVER_VAULT_PASSWORD_FILE instead';
  const questions = isNew
    ? vaultId
      ? [`New vault password (${vaultId}): `, `Confirm new vault password (${vaultId}): `]
      : ['New Vault password: ', 'Confirm New Vault password: ']
    : [vaultId ? `Vault password (${vaultId}): ` : 'Vault password: '];
  const answers: string[] = [];
  for (const q of questions) answers.push((await promptHidden(q, noTerminal)).trim());
  if (!answers[0]) throw new InputError('invalid vault password: it is empty');
  if (answers.some((a) => a !== answers[0])) throw new InputError('the vault passwords do not match');
  return Buffer.from(answers[0], 'utf8');
}

/** `-client` scripts are given `--vault-id LABEL` (Ansible's script_is_client). */
function isClientScript(file: string): boolean {
  return basename(file, extname(file)).endsWith('-client') || basename(file).endsWith('-client');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A password file's content, or an executable's output (as Ansible: a file is stripped of whitespace, a script's output of CR/LF). */
async function passwordFromFile(source: string, label: string | undefined): Promise<Buffer> {
  const file = resolve(source);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new InputError(`the vault password file ${source} was not found`);
  }
  if (!st.isFile()) throw new InputError(`the vault password file ${source} is not a file`);
  let password: Buffer;
  if (isExecutable(file)) {
    const args = isClientScript(file) && label ? ['--vault-id', label] : [];
    password = stripBytes(await runScript(file, args, source, label), '\r\n');
    if (!password.length) throw new InputError(`invalid vault password: the script ${source} printed nothing`);
  } else {
    try {
      password = stripBytes(stripBytes(readFileSync(file), ' \t\n\r\v\f'), '\r\n');
    } catch (e) {
      throw new InputError(`could not read the vault password file ${source}: ${(e as Error).message}`);
    }
    if (!password.length) throw new InputError(`invalid vault password: the file ${source} is empty`);
  }
  return password;
}

function stripBytes(b: Buffer, chars: string): Buffer {
  const set = new Set([...chars].map((c) => c.charCodeAt(0)));
  let start = 0;
  let end = b.length;
  while (start < end && set.has(b[start]!)) start++;
  while (end > start && set.has(b[end - 1]!)) end--;
  return b.subarray(start, end);
}

function runScript(file: string, args: string[], shown: string, label: string | undefined): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => fail(new InputError(`could not run the vault password script ${shown}: ${e.message}`, undefined, 'if it is not a script, remove its executable bit')));
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) return done(Buffer.concat(out));
      const why = code === 2 && args.length ? `did not find a secret for vault id ${label}` : `exited with status ${code}`;
      fail(new InputError(`the vault password script ${shown} ${why}${stderr ? `: ${stderr}` : ''}`));
    });
  });
}

/** play, check, lab run: the process's vault passwords from these flags (no prompt unless --ask-vault-pass), set before anything is loaded. */
export async function setVaultFromFlags(flags: VaultFlags): Promise<void> {
  setVaultKeyring(await vaultKeyringFrom({ ...flags, askVaultPass: Boolean(flags.askVaultPass) || configVault().askVaultPass }));
}
