/**
 * The `when:` expression language, step three: walking the syntax tree to a
 * value with Python's semantics. Nothing is ever handed to a JavaScript
 * evaluator. Errors carry the position of the offending node.
 *
 * Undefined: a missing name or member yields an Undef that remembers its
 * path; using it for anything but `is defined`, `is undefined` or `default`
 * raises UndefinedVariableError naming that path. Like the `default` helper,
 * `default` here also replaces None.
 */
import type { SourcePos } from '../../util/source.js';
import { InputError } from '../../util/errors.js';
import { UndefinedVariableError, lineColOf } from '../errors.js';
import * as F from '../functions.js';
import { Callable, CompareError, MISSING, compare, contains, equals, hasOwnVar, joinPath, member, show, truthy, typeName } from '../values.js';
import { FILTERS, acceptsUndefined } from './filters.js';
import { GLOBALS } from './globals.js';
import { MethodError, callMethod } from './methods.js';
import { positionOf, type Expr, type Kwargs } from './parser.js';
import { percentFormat } from './percent-format.js';
import { TESTS } from './tests.js';
import { Undef } from './undefined.js';

interface Scope {
  vars: Record<string, unknown>;
  /** The expression text, for error positions. */
  source: string;
  /** Where the text starts in its file. */
  base?: SourcePos;
}

/** An expression's value; an undefined result raises UndefinedVariableError. */
export function evaluateTree(tree: Expr, source: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  const scope: Scope = { vars, source, base: pos };
  return need(evaluate(tree, scope), scope);
}

/** The value, or an error if it is undefined. */
function need(value: unknown, scope: Scope): unknown {
  if (value instanceof Undef) throw new UndefinedVariableError(value.path, positionOf(scope.source, scope.base, value.offset));
  return value;
}

/** Runtime errors (wrong types) with the expression's position and the line it is on. */
function fail(message: string, scope: Scope, offset: number, hint?: string): InputError {
  const { line, col } = lineColOf(scope.source, offset);
  const text = scope.source.split('\n')[line - 1]!.trim();
  return new InputError(`${message} (in \`${text.length > 200 ? text.slice(0, 197) + '...' : text}\` at column ${col})`, positionOf(scope.source, scope.base, offset), hint);
}

/** The path a member chain reads, as written (`a.b[0]`), for naming an undefined member. */
function pathOf(node: Expr): string {
  switch (node.k) {
    case 'name':
      return node.name;
    case 'attr':
      return joinPath(pathOf(node.obj), node.key);
    case 'index':
      return node.index.k === 'lit' ? joinPath(pathOf(node.obj), node.index.v) : `${pathOf(node.obj)}[…]`;
    default:
      return '(value)';
  }
}

function getMember(object: unknown, key: unknown, objectNode: Expr): unknown {
  if (object instanceof Undef) return new Undef(joinPath(object.path, key), object.offset);
  const value = member(object, key);
  return value === MISSING ? new Undef(joinPath(pathOf(objectNode), key), objectNode.s) : value;
}

function evaluate(node: Expr, scope: Scope): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'name':
      return hasOwnVar(scope.vars, node.name) ? scope.vars[node.name] : new Undef(node.name, node.s);
    case 'attr':
      return getMember(evaluate(node.obj, scope), node.key, node.obj);
    case 'index': {
      const object = evaluate(node.obj, scope);
      const key = need(evaluate(node.index, scope), scope);
      return getMember(object, key, node.obj);
    }
    case 'slice':
      return sliceOf(node, scope);
    case 'call':
      return runMethod(node, scope);
    case 'fcall':
      return runFunction(node, scope);
    case 'list':
      return node.items.map((x) => need(evaluate(x, scope), scope));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of node.entries) out[String(need(evaluate(k, scope), scope))] = need(evaluate(v, scope), scope);
      return out;
    }
    case 'not':
      return !truthy(need(evaluate(node.x, scope), scope));
    case 'neg': {
      const v = need(evaluate(node.x, scope), scope);
      if (typeof v !== 'number' && typeof v !== 'boolean') throw fail(`cannot negate ${typeName(v)} ${show(v)}`, scope, node.s);
      return -Number(v);
    }
    case 'and': {
      const a = need(evaluate(node.a, scope), scope);
      return truthy(a) ? need(evaluate(node.b, scope), scope) : a;
    }
    case 'or': {
      const a = need(evaluate(node.a, scope), scope);
      return truthy(a) ? a : need(evaluate(node.b, scope), scope);
    }
    case 'cond':
      return truthy(need(evaluate(node.test, scope), scope))
        ? need(evaluate(node.then, scope), scope)
        : node.else
          ? need(evaluate(node.else, scope), scope)
          : null;
    case 'cmp': {
      let left = need(evaluate(node.first, scope), scope);
      for (const { op, x, s } of node.rest) {
        const right = need(evaluate(x, scope), scope);
        if (!compareOp(op, left, right, scope, s)) return false;
        left = right;
      }
      return true;
    }
    case 'bin':
      return arithmetic(node.op, need(evaluate(node.a, scope), scope), need(evaluate(node.b, scope), scope), scope, node.s);
    case 'test':
      return runTest(node, scope);
    case 'filter':
      return runFilter(node, scope);
  }
}

function compareOp(op: string, a: unknown, b: unknown, scope: Scope, offset: number): boolean {
  try {
    switch (op) {
      case '==':
        return equals(a, b);
      case '!=':
        return !equals(a, b);
      case '<':
        return compare(a, b) < 0;
      case '<=':
        return compare(a, b) <= 0;
      case '>':
        return compare(a, b) > 0;
      case '>=':
        return compare(a, b) >= 0;
      case 'in':
        return contains(b, a);
      case 'not in':
        return !contains(b, a);
    }
  } catch (err) {
    if (err instanceof CompareError) {
      const hint = typeof a === 'string' || typeof b === 'string' ? "convert with '| int' (command output is a string)" : undefined;
      throw fail(`'${op}': ${err.message}`, scope, offset, hint);
    }
    throw err;
  }
  throw fail(`unknown operator '${op}'`, scope, offset);
}

function arithmetic(op: string, a: unknown, b: unknown, scope: Scope, offset: number): unknown {
  if (op === '~') return F.pyStr(a) + F.pyStr(b);
  if (op === '%' && typeof a === 'string') {
    try {
      return percentFormat(a, b);
    } catch (err) {
      if (err instanceof F.ValueError) throw fail(`'%': ${err.message}`, scope, offset);
      throw err;
    }
  }
  if (op === '*' && (typeof a === 'string' || Array.isArray(a)) && Number.isInteger(b)) return repeat(a, b as number);
  if (op === '*' && (typeof b === 'string' || Array.isArray(b)) && Number.isInteger(a)) return repeat(b, a as number);
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (!numeric(a) || !numeric(b)) throw fail(`cannot apply '${op}' to ${typeName(a)} ${show(a)} and ${typeName(b)} ${show(b)}`, scope, offset);
  const x = Number(a);
  const y = Number(b);
  if ((op === '/' || op === '//' || op === '%') && y === 0) throw fail('division by zero', scope, offset);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '//':
      return Math.floor(x / y);
    case '%':
      return ((x % y) + y) % y;
    case '**':
      return x ** y;
  }
  throw fail(`unknown operator '${op}'`, scope, offset);
}

/** Python's `'ab' * 2`, `[0] * 3`. */
function repeat(x: string | unknown[], n: number): string | unknown[] {
  if (typeof x === 'string') return x.repeat(Math.max(0, n));
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...x);
  return out;
}

function kwargValues(kwargs: Kwargs, scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of kwargs) out[k] = need(evaluate(x, scope), scope);
  return out;
}

function runTest(node: Extract<Expr, { k: 'test' }>, scope: Scope): boolean {
  const test = TESTS[node.name]!;
  const raw = evaluate(node.x, scope);
  const value = test.acceptsUndefined ? raw : need(raw, scope);
  const args = node.args.map((a) => need(evaluate(a, scope), scope));
  try {
    const result = test.fn(value, args, kwargValues(node.kwargs, scope));
    return node.negate ? !result : result;
  } catch (err) {
    if (err instanceof F.ValueError || err instanceof CompareError) throw fail(`'is ${node.name}' ${err.message}`, scope, node.s);
    throw err;
  }
}

function runFilter(node: Extract<Expr, { k: 'filter' }>, scope: Scope): unknown {
  const raw = evaluate(node.x, scope);
  const value = acceptsUndefined(node.name) ? raw : need(raw, scope);
  const args = node.args.map((a) => need(evaluate(a, scope), scope));
  try {
    return FILTERS[node.name]!(value, args, kwargValues(node.kwargs, scope), scope.vars);
  } catch (err) {
    if (err instanceof F.ValueError || err instanceof CompareError) throw fail(`'| ${node.name}': ${err.message}`, scope, node.s);
    throw err;
  }
}

/** `range(3)`, `lookup('env', 'HOME')`, a template's macro `m(x)`. */
function runFunction(node: Extract<Expr, { k: 'fcall' }>, scope: Scope): unknown {
  const own = hasOwnVar(scope.vars, node.name) ? scope.vars[node.name] : undefined;
  const fn = own instanceof Callable ? own : GLOBALS[node.name];
  if (!fn) {
    throw fail(own === undefined ? `unknown function '${node.name}'` : `'${node.name}' is ${typeName(own)}, not a function`, scope, node.s, `functions: ${Object.keys(GLOBALS).join(', ')}`);
  }
  const args = node.args.map((a) => need(evaluate(a, scope), scope));
  try {
    return fn.call(args, kwargValues(node.kwargs, scope), scope.vars);
  } catch (err) {
    if (err instanceof F.ValueError || err instanceof CompareError) throw fail(`${node.name}(): ${err.message}`, scope, node.s);
    throw err;
  }
}

function runMethod(node: Extract<Expr, { k: 'call' }>, scope: Scope): unknown {
  const object = need(evaluate(node.obj, scope), scope);
  const args = node.args.map((a) => need(evaluate(a, scope), scope));
  try {
    // A function held in a mapping: `loop.cycle('a', 'b')`, a namespace's or caller's.
    const held = member(object, node.method);
    if (held instanceof Callable) return held.call(args, kwargValues(node.kwargs, scope), scope.vars);
    return callMethod(object, node.method, args);
  } catch (err) {
    if (err instanceof MethodError) throw fail(err.message, scope, node.s);
    throw err;
  }
}

/** `x[start:stop:step]` as Python slices a str (by code point), list or tuple. */
function sliceOf(node: Extract<Expr, { k: 'slice' }>, scope: Scope): unknown {
  const object = need(evaluate(node.obj, scope), scope);
  const bound = (part: Expr | undefined): number | undefined => {
    if (!part) return undefined;
    const v = need(evaluate(part, scope), scope);
    if (v === null) return undefined;
    if (typeof v === 'boolean') return Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw fail('slice indices must be integers or None or have an __index__ method', scope, part.s);
    return v;
  };
  const [start, stop, step] = [bound(node.start), bound(node.stop), bound(node.step)];
  if (step === 0) throw fail('slice step cannot be zero', scope, node.step!.s);
  const items: unknown[] | undefined = typeof object === 'string' ? Array.from(object) : Array.isArray(object) ? object : undefined;
  if (!items) throw fail(`${typeName(object)} ${show(object)} cannot be sliced`, scope, node.s);
  const picked = pySlice(items, start, stop, step ?? 1);
  return typeof object === 'string' ? picked.join('') : picked;
}

/** Python's slice.indices() and the walk it describes. */
function pySlice<T>(items: readonly T[], start: number | undefined, stop: number | undefined, step: number): T[] {
  const n = items.length;
  const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  const out: T[] = [];
  if (step > 0) {
    const a = start === undefined ? 0 : clamp(start, 0, n);
    const b = stop === undefined ? n : clamp(stop, 0, n);
    for (let i = a; i < b; i += step) out.push(items[i]!);
  } else {
    const a = start === undefined ? n - 1 : clamp(start, -1, n - 1);
    const b = stop === undefined ? -1 : clamp(stop, -1, n - 1);
    for (let i = a; i > b; i += step) out.push(items[i]!);
  }
  return out;
}
