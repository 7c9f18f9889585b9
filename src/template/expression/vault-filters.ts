/**
 * Ansible's `vault` and `unvault` filters (ansible/plugins/filter/encryption.py):
 * `{{ text | vault(secret) }}` is a vault envelope (vault id `filter_default`,
 * as Ansible writes it), `{{ envelope | unvault(secret) }}` its plaintext.
 * drover also takes them without `secret`: the run's vault password is used
 * (--vault-password-file, --vault-id …), so a role can keep what it generates
 * encrypted without the password ever being a variable. What unvault returns
 * is a secret (masked in output).
 */
import { DEFAULT_VAULT_ID, parseVaultEnvelope, revealSecret, vaultDecryptWith, vaultEncrypt, VaultError, vaultKeyring } from '../../util/vault.js';
import { ValueError } from '../functions.js';
import { pythonStr, typeName } from '../values.js';
import { Undef } from './undefined.js';

/** filters.ts's FilterFn (not imported: filters.ts imports this file). */
type FilterFn = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>) => unknown;

const FILTER_DEFAULT_ID = 'filter_default';

function arg(args: unknown[], kwargs: Record<string, unknown>, i: number, name: string): unknown {
  if (i < args.length) return args[i];
  return Object.hasOwn(kwargs, name) ? kwargs[name] : undefined;
}

function secretArg(v: unknown, filter: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ValueError(`${filter}: the secret must be a string, got ${typeName(v)}`);
  if (v === '') throw new ValueError(`${filter}: the secret is empty`);
  return v;
}

function failure(filter: string, e: unknown): never {
  if (e instanceof VaultError) throw new ValueError(`${filter}: ${e.message}`);
  throw e;
}

export const VAULT_FILTERS: Record<string, FilterFn> = {
  vault: (v, a, k) => {
    if (v instanceof Undef) return v;
    if (typeof v !== 'string') throw new ValueError(`vault: can only vault strings, got ${typeName(v)}`);
    const secret = secretArg(arg(a, k, 0, 'secret'), 'vault');
    const salt = arg(a, k, 1, 'salt');
    const vaultId = arg(a, k, 2, 'vaultid');
    try {
      if (secret !== undefined) {
        return vaultEncrypt(v, secret, { vaultId: vaultId === undefined ? FILTER_DEFAULT_ID : pythonStr(vaultId), ...(salt ? { salt: Buffer.from(pythonStr(salt)) } : {}) });
      }
      // The run's password: vaultid names which one ('' or none: the first).
      const own = vaultKeyring().encryptSecret(vaultId === undefined || vaultId === null || vaultId === '' ? undefined : pythonStr(vaultId));
      return vaultEncrypt(v, own.password, { vaultId: own.id === DEFAULT_VAULT_ID ? undefined : own.id, ...(salt ? { salt: Buffer.from(pythonStr(salt)) } : {}) });
    } catch (e) {
      if (e instanceof VaultError && e.kind === 'no-password') {
        throw new ValueError('vault: no secret given and the run has no vault password (--vault-password-file, --ask-vault-pass, --vault-id or DROVER_VAULT_PASSWORD_FILE)');
      }
      return failure('vault', e);
    }
  },
  unvault: (v, a, k) => {
    if (v instanceof Undef) return v;
    if (typeof v !== 'string') throw new ValueError(`unvault: the vault must be a string, got ${typeName(v)}`);
    if (!v.startsWith('$ANSIBLE_VAULT')) return v;
    const secret = secretArg(arg(a, k, 0, 'secret'), 'unvault');
    let plain: Buffer;
    try {
      plain = secret !== undefined ? vaultDecryptWith(parseVaultEnvelope(v), secret) : vaultKeyring().decrypt(v).plaintext;
    } catch (e) {
      return failure('unvault', e);
    }
    const text = plain.toString('utf8');
    revealSecret(text);
    return text;
  },
};
