/**
 * Secret redaction. Every value marked secret (credential vars, no_log results,
 * passwords passed to modules) is replaced by a mask wherever text leaves the
 * process: console, -v output, event log, error messages, diffs.
 */
import { revealedSecrets } from './vault.js';

export const MASK = '********';

export class Redactor {
  private secrets = new Set<string>();
  private pattern: RegExp | null = null;
  /** How many of the vault's decrypted values (util/vault.ts) this redactor has taken in. */
  private vaultSeen = 0;

  /** Values decrypted from Ansible Vault since the last look are secrets too, whenever they were decrypted. */
  private syncVault(): void {
    const all = revealedSecrets();
    while (this.vaultSeen < all.length) this.add(all[this.vaultSeen++]);
  }

  /** Register a secret value. Very short values are ignored: masking "1" would mangle output. */
  add(value: unknown): void {
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string' || value.length < 4) return;
    if (this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = null;
  }

  addAll(values: Iterable<unknown>): void {
    for (const v of values) this.add(v);
  }

  has(value: string): boolean {
    this.syncVault();
    return this.secrets.has(value);
  }

  get size(): number {
    this.syncVault();
    return this.secrets.size;
  }

  redact(text: string): string {
    this.syncVault();
    if (this.secrets.size === 0 || !text) return text;
    if (!this.pattern) {
      // Longest first, so a secret that contains another is masked whole.
      const parts = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(parts.join('|'), 'g');
    }
    return text.replace(this.pattern, MASK);
  }

  /** Deep-redact a JSON-like value (strings inside objects and arrays). */
  redactValue<T>(value: T): T {
    this.syncVault();
    if (this.secrets.size === 0) return value;
    return walk(value, (s) => this.redact(s)) as T;
  }
}

function walk(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => walk(x, f));
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, f);
    return out;
  }
  return v;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names of variables whose values are secrets by convention. */
export function isSecretName(name: string): boolean {
  return /(pass(word)?|secret|token|private_key_passphrase|_key_data)$/i.test(name) || /^(ansible_(ssh_|become_)?pass(word)?)$/i.test(name);
}

/**
 * The values to mask in a set of variables: those under secret names, at any
 * depth of nested mappings and lists. A value that is still a template is left out: it
 * is masked once rendered. The one rule for inventories, -e, vars_files,
 * include_vars and set_fact.
 */
export function secretValues(vars: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretName(name)) {
      if (!(typeof value === 'string' && value.includes('{{'))) out.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) if (item && typeof item === 'object') out.push(...secretValues(Array.isArray(item) ? { list: item } : (item as Record<string, unknown>)));
    } else if (value && typeof value === 'object') out.push(...secretValues(value as Record<string, unknown>));
  }
  return out;
}

const SECRET_ASSIGNMENT = /^([ \t]*(?:export[ \t]+)?["']?[\w.-]*(?:pass|passwd|password|secret|secret_key|token)["']?[ \t]*[=:][ \t]*)(\S.*?)[ \t]*$/gim;

/**
 * Mask the values of secret-looking assignments (`password = …`,
 * `OS_PASSWORD=…`, `token: …`) in file text shown in a diff. The file on the
 * target may hold a secret drover never knew (an old password being replaced):
 * the redactor cannot mask what it was never told.
 */
export function maskSecretAssignments(text: string): string {
  return text.replace(SECRET_ASSIGNMENT, (_m, key: string, value: string) => (value === MASK ? key + value : key + MASK));
}
