/**
 * Jinja filters (`x | default(1)`, `xs | join(",")`), mostly over the value
 * functions the Handlebars helpers share. A filter throws F.ValueError on
 * wrong input; the evaluator adds the position.
 */
import * as F from '../functions.js';
import { compare, equals, isMapping, truthy, typeName } from '../values.js';
import { Undef } from './undefined.js';

export type FilterFn = (value: unknown, args: unknown[]) => unknown;

/** The filters that see an undefined value instead of raising (so `x | default(1)` works when x is missing). */
export function acceptsUndefined(filterName: string): boolean {
  return filterName === 'default' || filterName === 'd';
}

function numbers(name: string, value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) throw new F.ValueError(`${name} needs a list of numbers`);
  return value as number[];
}

function failValue(message: string): never {
  throw new F.ValueError(message);
}

export const FILTERS: Record<string, FilterFn> = {
  default: (v, a) => (v instanceof Undef || v === null || (a[1] === true && !truthy(v)) ? a[0] : v),
  length: (v) => F.length(v),
  int: (v, a) => F.toInt(v, a.length ? F.toInt(a[0]) : 0),
  float: (v, a) => F.toFloat(v, a.length ? F.toFloat(a[0]) : 0),
  bool: (v) => F.toBool(v),
  lower: (v) => F.lower(v),
  upper: (v) => F.upper(v),
  trim: (v) => F.trim(v),
  string: (v) => F.pyStr(v),
  first: (v) => F.first(v),
  last: (v) => F.last(v),
  join: (v, a) => F.join(v, a[0] ?? ''),
  split: (v, a) => F.split(v, a[0]),
  replace: (v, a) => F.replace(v, a[0], a[1]),
  regex_replace: (v, a) => F.regexReplace(v, a[0], a[1] ?? ''),
  regex_search: (v, a) => F.regexSearch(v, a[0]),
  basename: (v) => F.basename(v),
  dirname: (v) => F.dirname(v),
  b64encode: (v) => F.b64encode(v),
  b64decode: (v) => F.b64decode(v),
  quote: (v) => F.quote(v),
  to_json: (v) => F.toJson(v),
  to_yaml: (v) => F.toYaml(v),
  abs: (v) => {
    if (typeof v !== 'number') throw new F.ValueError(`abs needs a number, got ${typeName(v)}`);
    return Math.abs(v);
  },
  list: (v) => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : isMapping(v) ? Object.keys(v) : [v]),
  keys: (v) => (isMapping(v) ? Object.keys(v) : failValue('keys needs a mapping')),
  values: (v) => (isMapping(v) ? Object.values(v) : failValue('values needs a mapping')),
  items: (v) => (isMapping(v) ? Object.entries(v) : failValue('items needs a mapping')),
  unique: (v) => (Array.isArray(v) ? v.filter((x, i) => v.findIndex((y) => equals(x, y)) === i) : failValue('unique needs a list')),
  sort: (v) => (Array.isArray(v) ? [...v].sort(compare) : failValue('sort needs a list')),
  min: (v) => Math.min(...numbers('min', v)),
  max: (v) => Math.max(...numbers('max', v)),
  sum: (v) => numbers('sum', v).reduce((x, y) => x + y, 0),
};
FILTERS.d = FILTERS.default!;
FILTERS.count = FILTERS.length!;
