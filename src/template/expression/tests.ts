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
  fn: (value: unknown, args: unknown[]) => boolean;
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
};
