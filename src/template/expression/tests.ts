/**
 * Jinja tests (`x is defined`, `r is changed`, `s is match('^a')`). A test
 * throws F.ValueError on a value of the wrong type; the evaluator adds the
 * position.
 */
import * as F from '../functions.js';
import { contains, equals, isMapping, show, truthy, typeName } from '../values.js';
import { Undef } from './undefined.js';

export interface TestDef {
  takesArg?: boolean;
  /** Sees undefined values (defined/undefined); the others get a defined value. */
  acceptsUndefined?: boolean;
  fn: (value: unknown, args: unknown[], kwargs: Record<string, unknown>) => boolean;
}

function resultField(field: string): (value: unknown) => boolean {
  return (value) => {
    if (!isMapping(value)) throw new F.ValueError(`needs a registered task result (a mapping), got ${typeName(value)} ${show(value)}`);
    return truthy(value[field]);
  };
}

function regexTest(kind: 'match' | 'search'): (value: unknown, args: unknown[]) => boolean {
  return (value, args) => {
    if (typeof value !== 'string') throw new F.ValueError(`needs a string, got ${typeName(value)}`);
    const re = F.pyRegex(String(args[0] ?? ''), '');
    const m = re.exec(value);
    return kind === 'search' ? m !== null : m !== null && m.index === 0;
  };
}

export const TESTS: Record<string, TestDef> = {
  defined: { acceptsUndefined: true, fn: (v) => !(v instanceof Undef) },
  undefined: { acceptsUndefined: true, fn: (v) => v instanceof Undef },
  none: { fn: (v) => v === null },
  succeeded: { fn: (v) => !resultField('failed')(v) },
  success: { fn: (v) => !resultField('failed')(v) },
  failed: { fn: resultField('failed') },
  failure: { fn: resultField('failed') },
  changed: { fn: resultField('changed') },
  change: { fn: resultField('changed') },
  skipped: { fn: resultField('skipped') },
  skip: { fn: resultField('skipped') },
  string: { fn: (v) => typeof v === 'string' },
  number: { fn: (v) => typeof v === 'number' },
  integer: { fn: (v) => Number.isInteger(v) },
  float: { fn: (v) => typeof v === 'number' && !Number.isInteger(v) },
  boolean: { fn: (v) => typeof v === 'boolean' },
  mapping: { fn: (v) => isMapping(v) },
  sequence: { fn: (v) => Array.isArray(v) || typeof v === 'string' },
  iterable: { fn: (v) => Array.isArray(v) || typeof v === 'string' || isMapping(v) },
  truthy: { fn: (v) => truthy(v) },
  falsy: { fn: (v) => !truthy(v) },
  true: { fn: (v) => v === true },
  false: { fn: (v) => v === false },
  eq: { takesArg: true, fn: (v, a) => equals(v, a[0]) },
  equalto: { takesArg: true, fn: (v, a) => equals(v, a[0]) },
  sameas: { takesArg: true, fn: (v, a) => v === a[0] },
  match: { takesArg: true, fn: regexTest('match') },
  search: { takesArg: true, fn: regexTest('search') },
  regex: { takesArg: true, fn: regexTest('search') },
  in: { takesArg: true, fn: (v, a) => contains(a[0], v) },
  lower: { fn: (v) => typeof v === 'string' && v === v.toLowerCase() },
  upper: { fn: (v) => typeof v === 'string' && v === v.toUpperCase() },
  odd: { fn: (v) => Number.isInteger(v) && Math.abs(v as number) % 2 === 1 },
  even: { fn: (v) => Number.isInteger(v) && (v as number) % 2 === 0 },
  divisibleby: { takesArg: true, fn: (v, a) => Number(a[0]) !== 0 && Number(v) % Number(a[0]) === 0 },
  contains: { takesArg: true, fn: (v, a) => contains(v, a[0]) },
  subset: { takesArg: true, fn: (v, a) => Array.isArray(v) && Array.isArray(a[0]) && v.every((x) => (a[0] as unknown[]).some((y) => equals(x, y))) },
  superset: { takesArg: true, fn: (v, a) => Array.isArray(v) && Array.isArray(a[0]) && (a[0] as unknown[]).every((x) => v.some((y) => equals(x, y))) },
  version: { takesArg: true, fn: (v, a, k) => versionTest(v, a[0], a[1] ?? k.operator ?? '==') },
  version_compare: { takesArg: true, fn: (v, a, k) => versionTest(v, a[0], a[1] ?? k.operator ?? '==') },
};

/** LooseVersion's parts: runs of digits as numbers, runs of letters as text. */
function versionParts(v: unknown): (number | string)[] {
  return (F.pyStr(v).match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Ansible's `is version('2.0', '>=')` (loose versions). */
function versionTest(v: unknown, other: unknown, operator: unknown): boolean {
  const a = versionParts(v);
  const b = versionParts(other);
  let c = 0;
  for (let i = 0; i < Math.max(a.length, b.length) && c === 0; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) c = -1;
    else if (y === undefined) c = 1;
    else if (typeof x === typeof y) c = x < y ? -1 : x > y ? 1 : 0;
    else c = typeof x === 'number' ? -1 : 1;
  }
  const ops: Record<string, boolean> = { '<': c < 0, lt: c < 0, '<=': c <= 0, le: c <= 0, '>': c > 0, gt: c > 0, '>=': c >= 0, ge: c >= 0, '==': c === 0, '=': c === 0, eq: c === 0, '!=': c !== 0, '<>': c !== 0, ne: c !== 0 };
  const op = String(operator);
  if (!Object.hasOwn(ops, op)) throw new F.ValueError(`unknown version operator ${show(op)}`);
  return ops[op]!;
}
