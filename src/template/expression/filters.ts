/**
 * Jinja's and Ansible's filters (`x | default(1)`, `xs | map(attribute='n')`),
 * with their semantics (Jinja 3 / ansible-core 2.14): `default` replaces only
 * undefined values (None too only with `true`), `sort`/`unique`/`min`/`max`
 * ignore case unless told, `to_json` is Python's json.dumps. Shared value
 * functions live in ../functions.ts (the Handlebars helpers use them too). A
 * filter throws F.ValueError on wrong input; the evaluator adds the position.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseYaml } from '../../util/yaml.js';
import * as F from '../functions.js';
import { pythonJson } from '../python-json.js';
import { type PyYamlDumpOptions, pyYamlDump } from '../pyyaml-dump.js';
import { MISSING, compare, equals, getPath, isMapping, member, pythonStr, show, truthy, typeName } from '../values.js';
import { percentFormat } from './percent-format.js';
import { TESTS } from './tests.js';
import { Undef } from './undefined.js';
import { VAULT_FILTERS } from './vault-filters.js';

export type FilterFn = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>) => unknown;

/** The filters that see an undefined value instead of raising (so `x | default(1)` works when x is missing). */
export function acceptsUndefined(filterName: string): boolean {
  return filterName === 'default' || filterName === 'd' || filterName === 'mandatory';
}

function fail(message: string): never {
  throw new F.ValueError(message);
}

/** A positional or keyword argument: `f(1)` or `f(x=1)`. */
function arg(args: unknown[], kwargs: Record<string, unknown>, i: number, name: string, dflt?: unknown): unknown {
  if (i < args.length) return args[i];
  return Object.hasOwn(kwargs, name) ? kwargs[name] : dflt;
}

/** yaml.dump's keyword arguments that to_yaml / to_nice_yaml pass through; any other is yaml.dump's TypeError. */
function yamlDumpOptions(name: string, k: Record<string, unknown>, base: PyYamlDumpOptions, own: string[]): PyYamlDumpOptions {
  const known = ['indent', 'width', 'sort_keys', 'explicit_start', 'explicit_end', ...own];
  const unknown = Object.keys(k).find((key) => !known.includes(key));
  if (unknown !== undefined) fail(`${name} - dump() got an unexpected keyword argument '${unknown}'`);
  const flag = (key: string) => (k[key] === undefined ? undefined : truthy(k[key]));
  return {
    ...base,
    ...(k.indent !== undefined && { indent: F.toInt(k.indent) }),
    ...(k.width !== undefined && { width: F.toInt(k.width) }),
    sortKeys: flag('sort_keys') ?? true,
    explicitStart: flag('explicit_start'),
    explicitEnd: flag('explicit_end'),
  };
}

function list(name: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMapping(v)) return Object.keys(v);
  if (typeof v === 'string') return [...v];
  return fail(`${name} needs a list, got ${typeName(v)} ${show(v)}`);
}

function mapping(name: string, v: unknown): Record<string, unknown> {
  return isMapping(v) ? v : fail(`${name} needs a mapping, got ${typeName(v)} ${show(v)}`);
}

/** Jinja's attribute lookup for sort/map/selectattr: `a.b` or `a.0`; a missing one is Undef. */
function attribute(item: unknown, attr: unknown): unknown {
  const v = getPath(item, String(attr));
  return v === MISSING ? new Undef(String(attr), 0) : v;
}

/** Jinja compares strings case-insensitively in sort/unique/min/max unless case_sensitive. */
function sortKey(caseSensitive: boolean, attr: unknown): (v: unknown) => unknown {
  return (v) => {
    const x = attr === undefined || attr === null ? v : attribute(v, attr);
    return !caseSensitive && typeof x === 'string' ? x.toLowerCase() : x;
  };
}

function uniqueBy<T>(items: T[], key: (v: T) => unknown): T[] {
  const seen: unknown[] = [];
  return items.filter((x) => {
    const k = key(x);
    if (seen.some((s) => equals(s, k))) return false;
    seen.push(k);
    return true;
  });
}

function runTest(name: unknown, value: unknown, args: unknown[]): boolean {
  if (name === undefined || name === null) return truthy(value);
  const test = TESTS[String(name)];
  if (!test) return fail(`no test named '${String(name)}'`);
  if (value instanceof Undef && !test.acceptsUndefined) return fail(`undefined value '${value.path}'`);
  return test.fn(value, args, {});
}

function runFilter(name: unknown, value: unknown, args: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>): unknown {
  const filter = FILTERS[String(name)];
  if (!filter) return fail(`no filter named '${String(name)}'`);
  return filter(value, args, kwargs, vars);
}

function defined(v: unknown, what: string): unknown {
  return v instanceof Undef ? fail(`${what}: '${v.path}' is undefined`) : v;
}

/** Ansible's combine: later mappings win; recursive merges nested mappings; list_merge for lists. */
function combine(dicts: Record<string, unknown>[], recursive: boolean, listMerge: string): Record<string, unknown> {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const old = out[k];
      if (recursive && isMapping(old) && isMapping(v)) out[k] = merge(old, v);
      else if (Array.isArray(old) && Array.isArray(v) && listMerge !== 'replace') {
        out[k] =
          listMerge === 'keep' ? old
          : listMerge === 'append' ? [...old, ...v]
          : listMerge === 'prepend' ? [...v, ...old]
          : listMerge === 'append_rp' ? [...old.filter((x) => !v.some((y) => equals(x, y))), ...v]
          : listMerge === 'prepend_rp' ? [...v, ...old.filter((x) => !v.some((y) => equals(x, y)))]
          : fail(`combine: unknown list_merge '${listMerge}'`);
      } else out[k] = v;
    }
    return out;
  };
  return dicts.reduce(merge, {});
}

function flatten(v: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of v) {
    if (skipNulls && (x === null || x === 'None')) continue;
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

const PY_TYPES = (v: unknown): string =>
  v === null ? 'NoneType' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'string' ? 'str' : Array.isArray(v) ? 'list' : 'dict';

export const FILTERS: Record<string, FilterFn> = {
  default: (v, a, k) => (v instanceof Undef || (truthy(arg(a, k, 1, 'boolean', false)) && !truthy(v)) ? arg(a, k, 0, 'default_value', '') : v),
  mandatory: (v, a, k) => (v instanceof Undef ? fail(String(arg(a, k, 0, 'msg', '') || `Mandatory variable '${v.path}' not defined.`)) : v),
  ternary: (v, a, k) => (v === null && arg(a, k, 2, 'none_val') !== undefined ? arg(a, k, 2, 'none_val') : truthy(v) ? arg(a, k, 0, 'true_val') : arg(a, k, 1, 'false_val')),
  length: (v) => F.length(v),
  int: (v, a, k) => {
    const base = Number(arg(a, k, 1, 'base', 10));
    if (base !== 10 && typeof v === 'string') {
      const n = Number.parseInt(v.trim().replace(/^0[xob]/i, ''), base);
      return Number.isNaN(n) ? Number(arg(a, k, 0, 'default', 0)) : n;
    }
    return F.toInt(v, F.toInt(arg(a, k, 0, 'default', 0)));
  },
  float: (v, a, k) => F.toFloat(v, F.toFloat(arg(a, k, 0, 'default', 0))),
  bool: (v) => (v === null ? null : F.toBool(v)),
  string: (v) => F.pyStr(v),
  lower: (v) => F.lower(v),
  upper: (v) => F.upper(v),
  capitalize: (v) => {
    const s = F.pyStr(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  title: (v) => F.pyStr(v).replace(/[A-Za-z0-9]+/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
  trim: (v, a, k) => {
    const chars = arg(a, k, 0, 'chars');
    if (chars === undefined || chars === null) return F.trim(v);
    const s = F.pyStr(v);
    const set = String(chars);
    let i = 0;
    let j = s.length;
    while (i < j && set.includes(s[i]!)) i++;
    while (j > i && set.includes(s[j - 1]!)) j--;
    return s.slice(i, j);
  },
  center: (v, a, k) => {
    const s = F.pyStr(v);
    const width = F.toInt(arg(a, k, 0, 'width', 80));
    if (s.length >= width) return s;
    // Python's str.center: the odd space goes left when the width is odd.
    const pad = width - s.length;
    const left = Math.floor(pad / 2) + (pad & width & 1);
    return ' '.repeat(left) + s + ' '.repeat(pad - left);
  },
  indent: (v, a, k) => {
    const width = arg(a, k, 0, 'width', 4);
    const pad = typeof width === 'string' ? width : ' '.repeat(F.toInt(width, 4));
    const firstLine = truthy(arg(a, k, 1, 'first', false));
    const blank = truthy(arg(a, k, 2, 'blank', false));
    const lines = F.pyStr(v).split('\n');
    return lines.map((l, i) => ((i > 0 || firstLine) && (blank || l.trim() !== '') ? pad + l : l)).join('\n');
  },
  // `'%s-%s' | format(a, b)` is Python's `'%s-%s' % (a, b)`.
  format: (v, a, k) => percentFormat(F.pyStr(v), Object.keys(k).length ? k : a),
  first: (v) => {
    const l = list('first', v);
    return l.length ? l[0] : new Undef('first of an empty list', 0);
  },
  last: (v) => {
    const l = list('last', v);
    return l.length ? l[l.length - 1] : new Undef('last of an empty list', 0);
  },
  join: (v, a, k) => {
    const attr = arg(a, k, 1, 'attribute');
    const items = list('join', v).map((x) => (attr === undefined ? x : defined(attribute(x, attr), 'join')));
    return items.map((x) => F.pyStr(x)).join(F.pyStr(arg(a, k, 0, 'd', '')));
  },
  split: (v, a, k) => {
    const sep = arg(a, k, 0, 'seperator') ?? arg(a, k, 0, 'separator');
    const max = arg(a, k, 1, 'maxsplit', -1) as number;
    const parts = F.split(v, sep);
    if (max >= 0 && parts.length > max + 1 && sep !== undefined && sep !== null) return [...parts.slice(0, max), parts.slice(max).join(String(sep))];
    return parts;
  },
  replace: (v, a, k) => {
    const count = arg(a, k, 2, 'count');
    const s = F.pyStr(v);
    const from = F.pyStr(a[0]);
    const to = F.pyStr(a[1]);
    if (count === undefined || count === null) return s.split(from).join(to);
    const parts = s.split(from);
    const n = Math.min(F.toInt(count), parts.length - 1);
    return parts.slice(0, n + 1).join(to) + (n + 1 < parts.length ? from + parts.slice(n + 1).join(from) : '');
  },
  regex_replace: (v, a, k) =>
    F.regexReplace(v, arg(a, k, 0, 'pattern', ''), arg(a, k, 1, 'replacement', ''), {
      ignorecase: truthy(arg(a, k, 2, 'ignorecase', false)),
      multiline: truthy(arg(a, k, 3, 'multiline', false)),
    }),
  regex_search: (v, a, k) => F.regexSearchGroups(v, a[0], a.slice(1), { ignorecase: truthy(k.ignorecase), multiline: truthy(k.multiline) }),
  regex_findall: (v, a, k) => F.regexFindall(v, a[0], { ignorecase: truthy(arg(a, k, 2, 'ignorecase', false)), multiline: truthy(arg(a, k, 1, 'multiline', false)) }),
  regex_escape: (v) => F.pyStr(v).replace(/[^A-Za-z0-9_]/g, (c) => '\\' + c),
  basename: (v) => F.basename(v),
  dirname: (v) => F.dirname(v),
  splitext: (v) => {
    const s = F.pyStr(v);
    const ext = posix.extname(s);
    return [s.slice(0, s.length - ext.length), ext];
  },
  path_join: (v) => (Array.isArray(v) ? posix.join(...v.map(F.pyStr)) : F.pyStr(v)),
  expanduser: (v) => F.pyStr(v).replace(/^~(?=\/|$)/, process.env.HOME ?? '~'),
  b64encode: (v) => F.b64encode(v),
  b64decode: (v) => F.b64decode(v),
  quote: (v) => F.quote(v),
  hash: (v, a) => createHash(String(a[0] ?? 'sha1')).update(F.pyStr(v)).digest('hex'),
  checksum: (v) => createHash('sha1').update(F.pyStr(v)).digest('hex'),
  md5: (v) => createHash('md5').update(F.pyStr(v)).digest('hex'),
  sha1: (v) => createHash('sha1').update(F.pyStr(v)).digest('hex'),
  to_json: (v, a, k) => pythonJson(v, { indent: k.indent as number | undefined, sortKeys: truthy(k.sort_keys), ensureAscii: k.ensure_ascii === undefined ? true : truthy(k.ensure_ascii) }),
  to_nice_json: (v, a, k) => pythonJson(v, { indent: F.toInt(arg(a, k, 0, 'indent', 4)), sortKeys: arg(a, k, 1, 'sort_keys', true) !== false, separators: [',', ': '], ensureAscii: k.ensure_ascii === undefined ? true : truthy(k.ensure_ascii) }),
  // Ansible: yaml.dump(a, allow_unicode=True, default_flow_style=None, **kw); to_nice_yaml adds indent=4 (its one positional) and block style.
  to_yaml: (v, a, k) => pyYamlDump(v, yamlDumpOptions('to_yaml', k, { defaultFlowStyle: k.default_flow_style === undefined ? null : (k.default_flow_style as boolean | null) }, ['default_flow_style'])),
  to_nice_yaml: (v, a, k) => pyYamlDump(v, yamlDumpOptions('to_nice_yaml', k, { indent: F.toInt(arg(a, k, 0, 'indent', 4)), defaultFlowStyle: false }, ['indent'])),
  dictsort: (v, a, k) => {
    const byValue = arg(a, k, 1, 'by', 'key') === 'value';
    const key = sortKey(truthy(arg(a, k, 0, 'case_sensitive', false)), undefined);
    const sorted = Object.entries(mapping('dictsort', v)).sort((x, y) => compare(key(byValue ? x[1] : x[0]), key(byValue ? y[1] : y[0])));
    return truthy(arg(a, k, 2, 'reverse', false)) ? sorted.reverse() : sorted;
  },
  // Jinja's urlencode: percent-encoding, '/' kept.
  urlencode: (v) => (isMapping(v) ? Object.entries(v).map(([x, y]) => `${encodeURIComponent(x)}=${encodeURIComponent(F.pyStr(y))}`).join('&') : encodeURIComponent(F.pyStr(v)).replace(/%2F/g, '/')),
  from_json: (v) => {
    try {
      return JSON.parse(F.pyStr(v));
    } catch (e) {
      return fail(`from_json: ${(e as Error).message}`);
    }
  },
  from_yaml: (v) => (typeof v === 'string' ? parseYaml(v, '<from_yaml>').value : v),
  type_debug: (v) => PY_TYPES(v),
  abs: (v) => (typeof v === 'number' ? Math.abs(v) : fail(`abs needs a number, got ${typeName(v)}`)),
  round: (v, a, k) => {
    const precision = F.toInt(arg(a, k, 0, 'precision', 0));
    const method = String(arg(a, k, 1, 'method', 'common'));
    const f = 10 ** precision;
    const x = F.toFloat(v) * f;
    return (method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : Math.sign(x) * Math.round(Math.abs(x))) / f;
  },
  list: (v) => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : isMapping(v) ? Object.keys(v) : [v]),
  reverse: (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...list('reverse', v)].reverse()),
  keys: (v) => Object.keys(mapping('keys', v)),
  values: (v) => Object.values(mapping('values', v)),
  items: (v) => Object.entries(mapping('items', v)),
  dict2items: (v, a, k) => {
    const keyName = String(arg(a, k, 0, 'key_name', 'key'));
    const valueName = String(arg(a, k, 1, 'value_name', 'value'));
    return Object.entries(mapping('dict2items', v)).map(([key, value]) => ({ [keyName]: key, [valueName]: value }));
  },
  items2dict: (v, a, k) => {
    const keyName = String(arg(a, k, 0, 'key_name', 'key'));
    const valueName = String(arg(a, k, 1, 'value_name', 'value'));
    const out: Record<string, unknown> = {};
    for (const item of list('items2dict', v)) {
      const m = mapping('items2dict item', item);
      if (!Object.hasOwn(m, keyName) || !Object.hasOwn(m, valueName)) fail(`items2dict: an item has no '${keyName}'/'${valueName}': ${show(item)}`);
      out[F.pyStr(m[keyName])] = m[valueName];
    }
    return out;
  },
  combine: (v, a, k) => {
    const dicts = [v, ...a].flatMap((d) => (Array.isArray(d) ? d : [d])).map((d) => mapping('combine', d));
    return combine(dicts, truthy(k.recursive), String(k.list_merge ?? 'replace'));
  },
  unique: (v, a, k) => uniqueBy(list('unique', v), sortKey(truthy(arg(a, k, 0, 'case_sensitive', false)), arg(a, k, 1, 'attribute'))),
  sort: (v, a, k) => {
    const key = sortKey(truthy(arg(a, k, 1, 'case_sensitive', false)), arg(a, k, 2, 'attribute'));
    const sorted = [...list('sort', v)].sort((x, y) => compare(key(x), key(y)));
    return truthy(arg(a, k, 0, 'reverse', false)) ? sorted.reverse() : sorted;
  },
  min: (v, a, k) => {
    const key = sortKey(truthy(arg(a, k, 0, 'case_sensitive', false)), arg(a, k, 1, 'attribute'));
    const l = list('min', v);
    return l.length ? l.reduce((m, x) => (compare(key(x), key(m)) < 0 ? x : m)) : new Undef('min of an empty list', 0);
  },
  max: (v, a, k) => {
    const key = sortKey(truthy(arg(a, k, 0, 'case_sensitive', false)), arg(a, k, 1, 'attribute'));
    const l = list('max', v);
    return l.length ? l.reduce((m, x) => (compare(key(x), key(m)) > 0 ? x : m)) : new Undef('max of an empty list', 0);
  },
  sum: (v, a, k) => {
    const attr = arg(a, k, 0, 'attribute');
    return list('sum', v).reduce((s: number, x) => {
      const n = attr === undefined || attr === null ? x : attribute(x, attr);
      return typeof n === 'number' || typeof n === 'boolean' ? s + Number(n) : fail(`sum needs numbers, got ${typeName(n)} ${show(n)}`);
    }, F.toFloat(arg(a, k, 1, 'start', 0)));
  },
  flatten: (v, a, k) => {
    const levels = arg(a, k, 0, 'levels');
    return flatten(list('flatten', v), levels === undefined || levels === null ? undefined : F.toInt(levels), arg(a, k, 1, 'skip_nulls', true) !== false);
  },
  difference: (v, a) => uniqueBy(list('difference', v), (x) => x).filter((x) => !list('difference', a[0]).some((y) => equals(x, y))),
  intersect: (v, a) => uniqueBy(list('intersect', v), (x) => x).filter((x) => list('intersect', a[0]).some((y) => equals(x, y))),
  union: (v, a) => uniqueBy([...list('union', v), ...list('union', a[0])], (x) => x),
  symmetric_difference: (v, a) => {
    const x = list('symmetric_difference', v);
    const y = list('symmetric_difference', a[0]);
    return uniqueBy([...x.filter((i) => !y.some((j) => equals(i, j))), ...y.filter((j) => !x.some((i) => equals(i, j)))], (z) => z);
  },
  zip: (v, a) => {
    const lists = [list('zip', v), ...a.map((l) => list('zip', l))];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
  },
  zip_longest: (v, a, k) => {
    const lists = [list('zip_longest', v), ...a.map((l) => list('zip_longest', l))];
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : (k.fillvalue ?? null))));
  },
  map: (v, a, k, vars) => {
    const items = list('map', v);
    if (a.length === 0) {
      const attr = k.attribute;
      if (attr === undefined) return fail("map needs a filter name or attribute='…'");
      return items.map((x) => {
        const got = attribute(x, attr);
        return got instanceof Undef && Object.hasOwn(k, 'default') ? k.default : got;
      });
    }
    const [name, ...rest] = a;
    if (name === 'extract') return items.map((x) => FILTERS.extract!(x, rest, {}, vars));
    return items.map((x) => runFilter(name, x, rest, k, vars));
  },
  select: (v, a) => list('select', v).filter((x) => runTest(a[0], x, a.slice(1))),
  reject: (v, a) => list('reject', v).filter((x) => !runTest(a[0], x, a.slice(1))),
  selectattr: (v, a) => list('selectattr', v).filter((x) => runTest(a[1] ?? undefined, attribute(x, a[0]), a.slice(2))),
  rejectattr: (v, a) => list('rejectattr', v).filter((x) => !runTest(a[1] ?? undefined, attribute(x, a[0]), a.slice(2))),
  extract: (v, a) => {
    let out = member(a[0], v);
    if (out === MISSING) return new Undef(`${show(v)}`, 0);
    const more = a[1] === undefined ? [] : Array.isArray(a[1]) ? a[1] : [a[1]];
    for (const key of more) {
      out = member(out, key);
      if (out === MISSING) return new Undef(`${show(v)}.${String(key)}`, 0);
    }
    return out;
  },
  batch: (v, a, k) => {
    const size = F.toInt(arg(a, k, 0, 'linecount', 1));
    const items = list('batch', v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    const fill = arg(a, k, 1, 'fill_with');
    if (fill !== undefined && out.length && out[out.length - 1]!.length < size) while (out[out.length - 1]!.length < size) out[out.length - 1]!.push(fill);
    return out;
  },
  wordcount: (v) => (F.pyStr(v).match(/\w+/g) ?? []).length,
  pprint: (v) => pythonStr(v),
  ...VAULT_FILTERS,
};
FILTERS.d = FILTERS.default!;
FILTERS.count = FILTERS.length!;
