import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import { isPlainObject, typeName } from './context.js';
import { keyPosOf } from '../util/source-positions.js';
import { loadYamlFile, parseYaml, revealLeaves } from '../util/yaml.js';
import { isVarName } from '../util/var-names.js';

/**
 * `-e` values, as Ansible reads them: `key=value key2="two words"`,
 * `@vars.yaml` (a YAML/JSON mapping file), or an inline JSON/YAML mapping
 * `{"key": 1}`. Later `-e` win. `k=v` values stay strings (Ansible does the same).
 * A bad value is an InputError positioned as `-e #N:1:COL`.
 */
export function parseExtraVars(list: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  list.forEach((arg, i) => Object.assign(out, parseOne(arg, i + 1)));
  return out;
}

function parseOne(arg: string, n: number): Record<string, unknown> {
  const file = `-e #${n}`;
  const at = (col: number): SourcePos => ({ file, line: 1, col });
  const trimmed = arg.trim();
  if (trimmed === '') throw new InputError(`empty -e value`, at(1), 'expected key=value, @file.yaml or a JSON object');
  if (trimmed.startsWith('@')) {
    const path = trimmed.slice(1);
    if (!path) throw new InputError(`-e @ needs a file name`, at(1));
    const src = loadYamlFile(path, at(2));
    if (src.value === null) return {};
    if (!isPlainObject(src.value)) throw new InputError(`an -e file must hold a mapping of variables, got ${typeName(src.value)}`, src.pos);
    const value = src.value;
    checkNames(value, (k) => keyPosOf(value, k) ?? src.pos, file);
    if (src.vaultEncrypted) revealLeaves(value); // a vault-encrypted -e file: its values are secrets
    return value;
  }
  if (trimmed.startsWith('{')) {
    // JSON is YAML; parse with positions so a syntax error points into the argument.
    const src = parseYaml(arg, file);
    if (!isPlainObject(src.value)) throw new InputError(`an -e object must be a mapping, got ${typeName(src.value)}`, at(1));
    const value = src.value;
    checkNames(value, (k) => keyPosOf(value, k) ?? at(1), file);
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const { word, col } of words(arg, at)) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new InputError(`bad -e value '${word}': expected key=value`, at(col), 'or @file.yaml, or a JSON object');
    const key = word.slice(0, eq);
    if (!isVarName(key)) throw new InputError(`bad -e variable name '${key}'`, at(col), 'names are letters, digits and _, not starting with a digit, and not a Python keyword');
    out[key] = unquote(word.slice(eq + 1));
  }
  return out;
}

function checkNames(obj: Record<string, unknown>, pos: (k: string) => SourcePos, _file: string): void {
  for (const k of Object.keys(obj)) {
    if (!isVarName(k)) throw new InputError(`bad -e variable name '${k}'`, pos(k), 'names are letters, digits and _, not starting with a digit, and not a Python keyword');
  }
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s[0] === '"' && s.endsWith('"')) || (s[0] === "'" && s.endsWith("'")))) return s.slice(1, -1);
  return s;
}

/** Split on whitespace outside quotes, remembering each word's column. */
function words(s: string, at: (col: number) => SourcePos): Array<{ word: string; col: number }> {
  const out: Array<{ word: string; col: number }> = [];
  let cur = '';
  let start = -1;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
      continue;
    }
    if (/\s/.test(ch)) {
      if (start >= 0) out.push({ word: cur, col: start + 1 });
      cur = '';
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (ch === '"' || ch === "'") quote = ch;
    cur += ch;
  }
  if (quote) throw new InputError(`unterminated quote in -e value`, at(start + 1));
  if (start >= 0) out.push({ word: cur, col: start + 1 });
  return out;
}
