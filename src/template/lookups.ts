/**
 * Ansible's lookup plugins that roles use every day, run on the controller:
 * env, file, template, password, vars, first_found, fileglob, items/list,
 * dict. Files are found by the playbook's search rule (util/file-search.ts)
 * from the task's role (`role_path`) and `playbook_dir`. Each returns a list;
 * `lookup()` joins it, `query()` keeps it.
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/local-files.js';
import { firstExisting, localFileCandidates } from '../util/file-search.js';
import { readTextFile, readUserTextFile } from '../util/text-input.js';
import { revealSecret } from '../util/vault.js';
import { displayPath } from '../util/source.js';
import { ValueError, pyStr } from './functions.js';
import { isMapping, hasOwnVar } from './values.js';

/**
 * The `template` lookup renders with the Jinja renderer, which sits above the
 * expression evaluator that calls lookups: it registers itself here (no import cycle).
 */
let renderTemplateFile: ((path: string, vars: Record<string, unknown>) => string) | undefined;
export function setTemplateFileRenderer(render: (path: string, vars: Record<string, unknown>) => string): void {
  renderTemplateFile = render;
}

type Lookup = (terms: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>) => unknown[];

function searchDirs(vars: Record<string, unknown>): { role?: string; base: string } {
  const role = typeof vars.role_path === 'string' ? vars.role_path : undefined;
  const base = typeof vars.playbook_dir === 'string' ? vars.playbook_dir : process.cwd();
  return { role, base };
}

function findFile(kind: string, term: unknown, vars: Record<string, unknown>): string {
  const { role, base } = searchDirs(vars);
  const candidates = localFileCandidates(role, base, kind, pyStr(term));
  const found = firstExisting(candidates);
  if (!found) throw new ValueError(`could not find file '${pyStr(term)}' (looked in ${candidates.map((c) => displayPath(c)).join(', ')})`);
  return found;
}

const PASSWORD_CHARSETS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  octdigits: '01234567',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
};

/** `lookup('password', 'path length=20 chars=ascii_letters,digits')`: made once, stored 0600, read after. */
function password(term: unknown, kwargs: Record<string, unknown>, vars: Record<string, unknown>): string {
  const [path, ...params] = pyStr(term).trim().split(/\s+/);
  const opts: Record<string, unknown> = { ...kwargs };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new ValueError(`password lookup: bad parameter '${p}' (write name=value)`);
    opts[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const length = Number(opts.length ?? 20);
  if (!Number.isInteger(length) || length < 1) throw new ValueError(`password lookup: length must be a positive integer, got ${pyStr(opts.length)}`);
  const chars = (Array.isArray(opts.chars) ? opts.chars.map(pyStr) : String(opts.chars ?? 'ascii_letters,digits,.,:-_').split(/,(?!,)/))
    .map((c) => PASSWORD_CHARSETS[c] ?? c)
    .join('');
  if (path === '/dev/null') return generate(length, chars);
  const file = isAbsolute(path!) ? path! : resolve(searchDirs(vars).base, path!);
  if (existsSync(file)) return readTextFile(file, displayPath(file), 'password file').split('\n')[0]!.replace(/ salt=.*$/, '');
  const made = generate(length, chars);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, made + '\n', 0o600);
  return made;
}

function generate(length: number, chars: string): string {
  const set = [...new Set(chars)];
  let out = '';
  for (let i = 0; i < length; i++) out += set[randomInt(set.length)];
  return out;
}

const LOOKUPS: Record<string, Lookup> = {
  env: (terms, kwargs) => terms.map((t) => process.env[pyStr(t)] ?? (kwargs.default !== undefined ? kwargs.default : '')),
  file: (terms, kwargs, vars) =>
    terms.map((t) => {
      const read = readUserTextFile(findFile('files', t, vars), pyStr(t), 'file');
      let text = read.text;
      if (kwargs.rstrip !== false) text = text.trimEnd();
      if (kwargs.lstrip === true) text = text.trimStart();
      if (read.vaultEncrypted) revealSecret(text); // a vault-encrypted file's text is a secret
      return text;
    }),
  template: (terms, _kwargs, vars) => terms.map((t) => renderTemplateFile!(findFile('templates', t, vars), vars)),
  password: (terms, kwargs, vars) => terms.map((t) => password(t, kwargs, vars)),
  vars: (terms, kwargs, vars) =>
    terms.map((t) => {
      const name = pyStr(t);
      if (hasOwnVar(vars, name)) return vars[name];
      if (kwargs.default !== undefined) return kwargs.default;
      throw new ValueError(`No variable found with this name: ${name}`);
    }),
  first_found: (terms, kwargs, vars) => {
    const names = terms.flatMap((t) => (Array.isArray(t) ? t : isMapping(t) ? (t.files as unknown[]) ?? [] : [t])).map(pyStr);
    for (const n of names) {
      const { role, base } = searchDirs(vars);
      const found = firstExisting(localFileCandidates(role, base, 'files', n));
      if (found) return [found];
    }
    if (kwargs.skip === true) return [];
    throw new ValueError(`No file was found when using first_found (tried ${names.join(', ')})`);
  },
  fileglob: (terms, _kwargs, vars) =>
    terms.flatMap((t) => {
      const pattern = pyStr(t);
      const dir = isAbsolute(dirname(pattern)) ? dirname(pattern) : join(searchDirs(vars).base, 'files', dirname(pattern));
      if (!existsSync(dir)) return [];
      const re = new RegExp('^' + pattern.split('/').pop()!.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      return readdirSync(dir)
        .filter((n) => re.test(n))
        .sort()
        .map((n) => join(dir, n));
    }),
  items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (terms) => terms,
  dict: (terms) => terms.flatMap((t) => (isMapping(t) ? Object.entries(t).map(([key, value]) => ({ key, value })) : [])),
};

export function lookup(name: string, terms: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>): unknown[] {
  const fn = LOOKUPS[name.replace(/^ansible\.builtin\./, '')];
  if (!fn) throw new ValueError(`unknown lookup '${name}' (drover has: ${Object.keys(LOOKUPS).join(', ')})`);
  return fn(terms, kwargs, vars);
}
