/**
 * What a YAML scalar means to Ansible: PyYAML's YAML 1.1 resolver and
 * SafeConstructor, which Ansible's loader uses unchanged. The regular
 * expressions below are PyYAML's (yaml/resolver.py), tried in PyYAML's order
 * for the scalar's first character; the constructors follow
 * yaml/constructor.py. So `yes`/`on` are booleans but `y`/`n` are strings,
 * `0644` is octal 420, `1:30` is sexagesimal 90, `1e3` is a string (1.1
 * floats need a dot) and `~` is null.
 *
 * Where a JavaScript value cannot say what Python's does, the scalar keeps its
 * text: timestamps (Python's datetime; a date alone prints the same text) and
 * integers beyond 2^53 (which would silently lose digits).
 */

export type YamlScalar = string | number | boolean | null;

export const TAG = {
  str: 'tag:yaml.org,2002:str',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  bool: 'tag:yaml.org,2002:bool',
  null: 'tag:yaml.org,2002:null',
  timestamp: 'tag:yaml.org,2002:timestamp',
  merge: 'tag:yaml.org,2002:merge',
  value: 'tag:yaml.org,2002:value',
} as const;

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const MERGE = /^(?:<<)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const VALUE = /^(?:=)$/;

type Resolver = [tag: string, re: RegExp];
const RESOLVERS = new Map<string, Resolver[]>();
function addResolver(tag: string, re: RegExp, first: string[]): void {
  for (const ch of first) RESOLVERS.set(ch, [...(RESOLVERS.get(ch) ?? []), [tag, re]]);
}
// Registration order is PyYAML's: it decides, e.g., that `.5` is a float before an int is tried.
addResolver(TAG.bool, BOOL, [...'yYnNtTfFoO']);
addResolver(TAG.float, FLOAT, [...'-+0123456789.']);
addResolver(TAG.int, INT, [...'-+0123456789']);
addResolver(TAG.merge, MERGE, ['<']);
addResolver(TAG.null, NULL, ['~', 'n', 'N', '']);
addResolver(TAG.timestamp, TIMESTAMP, [...'0123456789']);
addResolver(TAG.value, VALUE, ['=']);

/** The tag PyYAML gives a plain (unquoted, untagged) scalar with this text. */
export function implicitTag(text: string): string {
  for (const [tag, re] of RESOLVERS.get(text === '' ? '' : text[0]!) ?? []) if (re.test(text)) return tag;
  return TAG.str;
}

/** A plain scalar's value, as Ansible reads it. */
export function plainScalar(text: string): YamlScalar {
  return construct(implicitTag(text), text);
}

/**
 * The value of a scalar with a standard tag (`!!int "0644"` is 420). Throws
 * an Error saying why when the text cannot have that tag or the tag is not a
 * scalar tag Ansible's loader knows.
 */
export function construct(tag: string, text: string): YamlScalar {
  switch (tag) {
    case TAG.str:
    case TAG.timestamp:
      return text;
    case TAG.null:
      return null;
    case TAG.bool: {
      const v = BOOL_VALUES[text.toLowerCase()];
      if (v === undefined) throw new Error(`"${text}" is not a YAML 1.1 boolean (yes/no, true/false, on/off)`);
      return v;
    }
    case TAG.int:
      return constructInt(text);
    case TAG.float:
      return constructFloat(text);
    case TAG.merge:
      return text;
    case TAG.value:
      throw new Error('a lone "=" is YAML\'s value key, which Ansible\'s loader cannot read: quote it');
    default:
      throw new Error(`the tag ${shortTag(tag)} is not one Ansible's YAML loader reads`);
  }
}

const BOOL_VALUES: Record<string, boolean> = { yes: true, no: false, true: true, false: false, on: true, off: false };

function constructInt(text: string): YamlScalar {
  let value = text.replace(/_/g, '');
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '-' || value[0] === '+') value = value.slice(1);
  let n: number;
  if (value === '0') n = 0;
  else if (value.startsWith('0b')) n = parseIntStrict(value.slice(2), 2, text);
  else if (value.startsWith('0x')) n = parseIntStrict(value.slice(2), 16, text);
  else if (value.startsWith('0')) n = parseIntStrict(value, 8, text);
  else if (value.includes(':')) n = sexagesimal(value, text, parseInt);
  else n = parseIntStrict(value, 10, text);
  if (!Number.isSafeInteger(n)) return text;
  return n === 0 ? 0 : sign * n; // Python has no -0
}

function parseIntStrict(digits: string, radix: number, text: string): number {
  const ok = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!ok.test(digits)) throw new Error(`"${text}" is not a YAML 1.1 integer`);
  return parseInt(digits, radix);
}

function constructFloat(text: string): number {
  let value = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '-' || value[0] === '+') value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) return sign * sexagesimal(value, text, parseFloat);
  const n = Number(value);
  if (value === '' || Number.isNaN(n)) throw new Error(`"${text}" is not a YAML 1.1 float`);
  return sign * n;
}

/** `1:30` is 1*60 + 30 (YAML 1.1's base 60, for times and angles). */
function sexagesimal(value: string, text: string, parse: (s: string) => number): number {
  let base = 1;
  let n = 0;
  for (const digit of value.split(':').reverse()) {
    const d = parse(digit);
    if (Number.isNaN(d)) throw new Error(`"${text}" is not a YAML 1.1 number`);
    n += d * base;
    base *= 60;
  }
  return n;
}

/** `!!int` for YAML's own tags, the tag as written otherwise. */
export function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}
