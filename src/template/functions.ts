/**
 * The value functions behind both the Handlebars helpers (`{{join xs ","}}`)
 * and the `when` filters (`xs | join(",")`), so the two spellings can never
 * disagree. They follow Ansible's/Jinja's filter semantics; they throw
 * ValueError on wrong input and the caller adds the position.
 */
import { posix } from 'node:path';
import { toYamlText } from '../util/yaml.js';
import { isMapping, pythonStr, show, typeName } from './values.js';
import { pythonRegex } from '../util/python-regex.js';

export class ValueError extends Error {}

/** Python str() (values.ts pythonStr), under the name the filters use. */
export const pyStr = pythonStr;

function needString(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return pyStr(v);
  throw new ValueError(`${name} needs a string, got ${typeName(v)} ${show(v)}`);
}

function needList(name: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  throw new ValueError(`${name} needs a list, got ${typeName(v)} ${show(v)}`);
}

/** Jinja `int`: '42' -> 42, '4.7' -> 4, True -> 1, anything unparsable -> the default (0). */
export function toInt(v: unknown, dflt = 0): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[-+]?\d+$/.test(s)) return Number.parseInt(s, 10);
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Math.trunc(Number(s));
    if (/^0x[0-9a-f]+$/i.test(s)) return Number.parseInt(s, 16);
  }
  return dflt;
}

/** Jinja `float`. */
export function toFloat(v: unknown, dflt = 0): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return dflt;
}

/** Ansible `bool`: yes/on/true/1/y/t (any case) are true, everything else false. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(v.trim().toLowerCase());
  return false;
}

export function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isMapping(v)) return Object.keys(v).length;
  throw new ValueError(`length needs a string, list or mapping, got ${typeName(v)} ${show(v)}`);
}

export function first(v: unknown): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new ValueError(`first needs a list or string, got ${typeName(v)}`);
  if (v.length === 0) throw new ValueError('first of an empty list');
  return v[0];
}

export function last(v: unknown): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new ValueError(`last needs a list or string, got ${typeName(v)}`);
  if (v.length === 0) throw new ValueError('last of an empty list');
  return v[v.length - 1];
}

export function join(list: unknown, sep: unknown = ''): string {
  return needList('join', list)
    .map((x) => pyStr(x))
    .join(needString('join separator', sep));
}

/** Python str.split: without a separator, split on runs of whitespace and drop empty ends. */
export function split(s: unknown, sep?: unknown): string[] {
  const str = needString('split', s);
  if (sep === undefined || sep === null) return str.trim() === '' ? [] : str.trim().split(/\s+/);
  return str.split(needString('split separator', sep));
}

export function replace(s: unknown, from: unknown, to: unknown): string {
  return needString('replace', s).replaceAll(needString('replace', from), needString('replace', to));
}

export const lower = (s: unknown): string => needString('lower', s).toLowerCase();
export const upper = (s: unknown): string => needString('upper', s).toUpperCase();
export const trim = (s: unknown): string => needString('trim', s).trim();
export const basename = (s: unknown): string => posix.basename(needString('basename', s));
export const dirname = (s: unknown): string => posix.dirname(needString('dirname', s));
export const b64encode = (s: unknown): string => Buffer.from(needString('b64encode', s), 'utf8').toString('base64');
export const b64decode = (s: unknown): string => Buffer.from(needString('b64decode', s), 'base64').toString('utf8');
/** Ansible's `quote`: Python's shlex.quote (safe words bare, else '…' with ' as '"'"'). */
export function quote(s: unknown): string {
  const text = pyStr(s);
  if (text === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  return "'" + text.replaceAll("'", `'"'"'`) + "'";
}

/** A Python `re` pattern as a JavaScript RegExp (util/python-regex.ts); `flags`: g, i, m. */
export function pyRegex(pattern: string, flags: string): RegExp {
  try {
    return pythonRegex(pattern, { global: flags.includes('g'), ignoreCase: flags.includes('i'), multiline: flags.includes('m') });
  } catch (e) {
    throw new ValueError(`bad ${(e as Error).message}`);
  }
}

/** Python re.sub replacement (`\1`, `\g<1>`, `\g<name>`) to a JavaScript one (`$1`, `$<name>`). */
function pyReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i]!;
    if (c === '$') {
      out += '$$';
    } else if (c === '\\' && i + 1 < r.length) {
      const rest = r.slice(i + 1);
      let m: RegExpMatchArray | null;
      if ((m = rest.match(/^g<(\d+)>/))) out += `$${m[1]}`;
      else if ((m = rest.match(/^g<([A-Za-z_]\w*)>/))) out += `$<${m[1]}>`;
      else if ((m = rest.match(/^(\d{1,2})/))) out += `$${m[1]}`;
      else if (rest[0] === 'n') out += '\n';
      else if (rest[0] === 't') out += '\t';
      else if (rest[0] === '\\') out += '\\';
      else {
        out += '\\';
        continue;
      }
      i += m ? m[0].length : 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** Ansible `regex_replace` (Python re.sub: every match replaced). */
export function regexReplace(s: unknown, pattern: unknown, replacement: unknown = '', opts: { ignorecase?: boolean; multiline?: boolean } = {}): string {
  const re = pyRegex(needString('regex_replace pattern', pattern), 'g' + (opts.ignorecase ? 'i' : '') + (opts.multiline ? 'm' : ''));
  return needString('regex_replace', s).replace(re, pyReplacement(needString('regex_replace replacement', replacement)));
}

/** Ansible `regex_search`: the first match (or its first group), None when nothing matches. */
export function regexSearch(s: unknown, pattern: unknown): string | null {
  const m = needString('regex_search', s).match(pyRegex(needString('regex_search pattern', pattern), ''));
  if (!m) return null;
  return m.length > 1 && m[1] !== undefined ? m[1] : m[0];
}

/**
 * Ansible's `regex_search` filter: the whole match, or with group arguments
 * ('\\1', '\\g<name>') the list of those groups; None when nothing matches.
 */
export function regexSearchGroups(s: unknown, pattern: unknown, groups: unknown[], opts: { ignorecase?: boolean; multiline?: boolean } = {}): unknown {
  const re = pyRegex(needString('regex_search pattern', pattern), (opts.ignorecase ? 'i' : '') + (opts.multiline ? 'm' : ''));
  const m = re.exec(needString('regex_search', s));
  if (!m) return null;
  if (!groups.length) return m[0];
  return groups.map((g) => {
    const ref = needString('regex_search group', g);
    const num = /^\\(\d+)$/.exec(ref);
    if (num) return m[Number(num[1])] ?? null;
    const named = /^\\g<(\w+)>$/.exec(ref);
    if (named) return m.groups?.[named[1]!] ?? null;
    throw new ValueError(`regex_search: unknown group argument ${show(ref)}`);
  });
}

/** Ansible `regex_findall`: every match; with groups, the groups (a list per match when there are several). */
export function regexFindall(s: unknown, pattern: unknown, opts: { ignorecase?: boolean; multiline?: boolean } = {}): unknown[] {
  const re = pyRegex(needString('regex_findall pattern', pattern), 'g' + (opts.ignorecase ? 'i' : '') + (opts.multiline ? 'm' : ''));
  return [...needString('regex_findall', s).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')));
}

/** Jinja `indent`: indent every line but the first (also the first with first=true); blank lines stay blank. */
export function indent(s: unknown, width: unknown = 4, firstLine: unknown = false): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(toInt(width, 4));
  const lines = needString('indent', s).split('\n');
  return lines.map((l, i) => ((i > 0 || firstLine === true) && l.trim() !== '' ? pad + l : l)).join('\n');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isMapping(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

export function toJson(v: unknown, indentWidth?: unknown): string {
  const out = JSON.stringify(v === undefined ? null : v, null, indentWidth === undefined ? undefined : toInt(indentWidth));
  return out;
}

/** Ansible `to_nice_json`: indent 4, keys sorted. */
export function toNiceJson(v: unknown, indentWidth: unknown = 4): string {
  return JSON.stringify(sortKeys(v === undefined ? null : v), null, toInt(indentWidth, 4));
}

/** Compact YAML (flow style), no trailing newline: the Handlebars helper. */
export function toYamlFlow(v: unknown): string {
  return toYamlText(v, { flow: true });
}

/** Block-style YAML (indent 2 by default), no trailing newline. */
export function toNiceYaml(v: unknown, indentWidth: unknown = 2): string {
  return toYamlText(v, { indent: toInt(indentWidth, 2) });
}
