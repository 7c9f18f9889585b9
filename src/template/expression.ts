/**
 * The `when:` expression language: a safe subset of Jinja expressions, parsed
 * by a tokenizer and a recursive-descent parser and evaluated by walking the
 * tree. Nothing is ever handed to a JavaScript evaluator.
 *
 * Grammar, loosest binding first (Jinja's precedence):
 *
 *   expr     := or
 *   or       := and ('or' and)*
 *   and      := not ('and' not)*
 *   not      := 'not' not | compare
 *   compare  := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') sum)*   chained like Python
 *   sum      := product (('+'|'-'|'~') product)*
 *   product  := unary (('*'|'/'|'//'|'%') unary)*
 *   unary    := '-' unary | postfix
 *   postfix  := primary ('.' name | '[' expr ']' | '(' args ')' | '|' filter | 'is' ['not'] test)*
 *   primary  := number | string | true | false | none | name | '(' expr ')' | '(' expr ',' … ')'
 *             | '[' expr, … ']' | '{' key ':' expr, … '}'
 *
 * Literals: True/true, False/false, None/none/null. Strings with '…' or "…".
 * Tests:   defined undefined none succeeded success failed failure changed
 *          change skipped skip string number integer float boolean mapping
 *          sequence iterable truthy falsy true false eq/equalto/sameas(x)
 *          match search regex (pattern) in(seq) lower upper odd even divisibleby(n)
 * Filters: default/d(x[, true]) length/count int(d) float bool lower upper trim
 *          string first last join(sep) split([sep]) replace(a, b)
 *          regex_replace(p, r) regex_search(p) basename dirname abs list
 *          b64encode b64decode quote to_json to_yaml keys values items unique
 *          sort min max sum
 * Methods: str.startswith/endswith/strip/lstrip/rstrip/lower/upper/split/
 *          replace/find/count/splitlines/isdigit/join, dict.get/keys/values/items,
 *          list.count/index
 *
 * Undefined: a missing name or member yields an "undefined" value that
 * remembers its path; using it for anything but `is defined`, `is undefined`
 * or `default` raises UndefinedVariableError naming that path (so
 * `a.b.c is defined` is false when `a` itself is missing, like Ansible).
 * Like the `default` helper, `default` here also replaces None.
 */
import type { SourcePos } from '../util/source.js';
import { InputError } from '../util/errors.js';
import { TemplateSyntaxError, UndefinedVariableError, lineColOf, posAt } from './errors.js';
import * as F from './functions.js';
import { CompareError, MISSING, compare, contains, equals, hasOwnVar, isMapping, joinPath, member, show, truthy, typeName } from './values.js';
import type { CompiledCondition, VarRef } from './types.js';
import { isTemplated, renderString, templateRefs, checkTemplate } from './render.js';

/* ---------------- tokens ---------------- */

type TokType = 'num' | 'str' | 'name' | 'op' | 'eof';
interface Token {
  type: TokType;
  value: string | number;
  start: number;
}

const OPERATORS = ['//', '==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', '|', '+', '-', '*', '/', '%', '~', ':'];
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const LITERAL_NAMES: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null, null: null };

class ParseFail extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(src.slice(i))!;
      out.push({ type: 'num', value: Number(m[1]), start });
      i += m[1]!.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ type: 'name', value: m[0], start });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) {
          const e = src[i + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
          i += 2;
        } else {
          s += src[i++];
        }
      }
      if (i >= src.length) throw new ParseFail(`unterminated string`, start);
      i++;
      out.push({ type: 'str', value: s, start });
      continue;
    }
    if (src.startsWith('&&', i)) throw new ParseFail(`unexpected '&&'`, start, "write 'and'");
    if (src.startsWith('||', i)) throw new ParseFail(`unexpected '||'`, start, "write 'or'");
    if (src.startsWith('===', i) || src.startsWith('!==', i)) throw new ParseFail(`unexpected '${src.slice(i, i + 3)}'`, start, "write '==' or '!='");
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ type: 'op', value: op, start });
      i += op.length;
      continue;
    }
    if (c === '=') throw new ParseFail(`unexpected '='`, start, "compare with '=='");
    if (c === '!') throw new ParseFail(`unexpected '!'`, start, "write 'not' (or '!=')");
    throw new ParseFail(`unexpected character '${c}'`, start);
  }
  out.push({ type: 'eof', value: '', start: src.length });
  return out;
}

/* ---------------- syntax tree ---------------- */

export type Expr =
  | { k: 'lit'; v: unknown; s: number }
  | { k: 'name'; name: string; s: number }
  | { k: 'attr'; obj: Expr; key: string | number; s: number }
  | { k: 'index'; obj: Expr; index: Expr; s: number }
  | { k: 'call'; obj: Expr; method: string; args: Expr[]; s: number }
  | { k: 'list'; items: Expr[]; s: number }
  | { k: 'dict'; entries: [Expr, Expr][]; s: number }
  | { k: 'not'; x: Expr; s: number }
  | { k: 'neg'; x: Expr; s: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr; s: number }
  | { k: 'cmp'; first: Expr; rest: { op: string; x: Expr; s: number }[]; s: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; s: number }
  | { k: 'cond'; test: Expr; then: Expr; else?: Expr; s: number }
  | { k: 'test'; x: Expr; name: string; negate: boolean; args: Expr[]; s: number }
  | { k: 'filter'; x: Expr; name: string; args: Expr[]; s: number };

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(n = 0): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private isOp(v: string, n = 0): boolean {
    const t = this.peek(n);
    return t.type === 'op' && t.value === v;
  }
  private isWord(v: string, n = 0): boolean {
    const t = this.peek(n);
    return t.type === 'name' && t.value === v;
  }
  private expectOp(v: string): Token {
    if (!this.isOp(v)) throw this.fail(`expected '${v}'`);
    return this.next();
  }
  private fail(what: string, hint?: string): ParseFail {
    const t = this.peek();
    const got = t.type === 'eof' ? 'end of expression' : t.type === 'str' ? `string ${JSON.stringify(t.value)}` : `'${t.value}'`;
    return new ParseFail(`${what}, got ${got}`, t.start, hint);
  }

  parseAll(): Expr {
    if (this.peek().type === 'eof') throw this.fail('expected an expression');
    const e = this.expr();
    if (this.peek().type !== 'eof') {
      const t = this.peek();
      const hint = t.type === 'name' && !KEYWORDS.has(String(t.value)) ? "join conditions with 'and'/'or'" : undefined;
      throw this.fail('expected the end of the expression', hint);
    }
    return e;
  }

  private expr(): Expr {
    const e = this.or();
    // Jinja's inline conditional: a if cond else b
    if (this.isWord('if')) {
      const s = this.next().start;
      const test = this.or();
      let other: Expr | undefined;
      if (this.isWord('else')) {
        this.next();
        other = this.expr();
      }
      return { k: 'cond', test, then: e, else: other, s };
    }
    return e;
  }

  private or(): Expr {
    let a = this.and();
    while (this.isWord('or')) {
      const s = this.next().start;
      a = { k: 'or', a, b: this.and(), s };
    }
    return a;
  }

  private and(): Expr {
    let a = this.not();
    while (this.isWord('and')) {
      const s = this.next().start;
      a = { k: 'and', a, b: this.not(), s };
    }
    return a;
  }

  private not(): Expr {
    if (this.isWord('not')) {
      const s = this.next().start;
      return { k: 'not', x: this.not(), s };
    }
    return this.compare();
  }

  private compare(): Expr {
    const first = this.sum();
    const rest: { op: string; x: Expr; s: number }[] = [];
    for (;;) {
      const t = this.peek();
      let op: string | undefined;
      if (t.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(String(t.value))) {
        op = String(t.value);
        this.next();
      } else if (this.isWord('in')) {
        op = 'in';
        this.next();
      } else if (this.isWord('not') && this.isWord('in', 1)) {
        op = 'not in';
        this.next();
        this.next();
      } else break;
      rest.push({ op, x: this.sum(), s: t.start });
    }
    return rest.length ? { k: 'cmp', first, rest, s: first.s } : first;
  }

  private sum(): Expr {
    let a = this.product();
    while (this.isOp('+') || this.isOp('-') || this.isOp('~')) {
      const t = this.next();
      a = { k: 'bin', op: String(t.value), a, b: this.product(), s: t.start };
    }
    return a;
  }

  private product(): Expr {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      a = { k: 'bin', op: String(t.value), a, b: this.unary(), s: t.start };
    }
    return a;
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      const s = this.next().start;
      return { k: 'neg', x: this.unary(), s };
    }
    if (this.isOp('+')) {
      this.next();
      return this.unary();
    }
    return this.postfix(this.primary());
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.type === 'name') e = { k: 'attr', obj: e, key: String(t.value), s: e.s };
        else if (t.type === 'num' && Number.isInteger(t.value)) e = { k: 'attr', obj: e, key: Number(t.value), s: e.s };
        else {
          this.i--;
          throw this.fail("expected a name after '.'");
        }
        if (this.isOp('(') && e.k === 'attr' && typeof e.key === 'string') {
          this.next();
          e = { k: 'call', obj: e.obj, method: e.key, args: this.args(')'), s: e.s };
        }
      } else if (this.isOp('[')) {
        this.next();
        const index = this.expr();
        this.expectOp(']');
        e = { k: 'index', obj: e, index, s: e.s };
      } else if (this.isOp('|')) {
        this.next();
        const t = this.next();
        if (t.type !== 'name') {
          this.i--;
          throw this.fail("expected a filter name after '|'");
        }
        const name = String(t.value);
        if (!(name in FILTERS)) throw new ParseFail(`unknown filter '${name}'`, t.start, `known filters: ${Object.keys(FILTERS).join(', ')}`);
        let args: Expr[] = [];
        if (this.isOp('(')) {
          this.next();
          args = this.args(')');
        }
        e = { k: 'filter', x: e, name, args, s: t.start };
      } else if (this.isWord('is')) {
        this.next();
        let negate = false;
        if (this.isWord('not')) {
          this.next();
          negate = true;
        }
        const t = this.next();
        if (t.type !== 'name') {
          this.i--;
          throw this.fail("expected a test name after 'is'", 'e.g. is defined, is changed, is failed');
        }
        const name = String(t.value);
        if (!(name in TESTS)) throw new ParseFail(`unknown test '${name}'`, t.start, `known tests: ${Object.keys(TESTS).join(', ')}`);
        let args: Expr[] = [];
        if (this.isOp('(')) {
          this.next();
          args = this.args(')');
        } else if (TESTS[name]!.takesArg && this.startsValue()) {
          // Jinja allows `x is sameas false`, `x is divisibleby 3`
          args = [this.primary()];
        }
        e = { k: 'test', x: e, name, negate, args, s: t.start };
      } else {
        return e;
      }
    }
  }

  private startsValue(): boolean {
    const t = this.peek();
    return t.type === 'num' || t.type === 'str' || (t.type === 'name' && !KEYWORDS.has(String(t.value))) || this.isOp('(') || this.isOp('[');
  }

  private args(close: string): Expr[] {
    const out: Expr[] = [];
    while (!this.isOp(close)) {
      // Keyword arguments (`default(x, boolean=true)`) are accepted positionally.
      if (this.peek().type === 'name' && this.isOp('=', 1)) {
        this.next();
        this.next();
      }
      out.push(this.expr());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(close);
    return out;
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.type === 'num' || t.type === 'str') {
      this.next();
      let v = t.value;
      // Adjacent string literals concatenate, as in Python.
      while (t.type === 'str' && this.peek().type === 'str') v = String(v) + String(this.next().value);
      return { k: 'lit', v, s: t.start };
    }
    if (t.type === 'name') {
      const name = String(t.value);
      if (Object.hasOwn(LITERAL_NAMES, name)) {
        this.next();
        return { k: 'lit', v: LITERAL_NAMES[name], s: t.start };
      }
      if (KEYWORDS.has(name)) throw this.fail('expected a value');
      this.next();
      return { k: 'name', name, s: t.start };
    }
    if (this.isOp('(')) {
      this.next();
      const first = this.expr();
      if (this.isOp(',')) {
        // a tuple: ('a', 'b')
        const items = [first];
        while (this.isOp(',')) {
          this.next();
          if (this.isOp(')')) break;
          items.push(this.expr());
        }
        this.expectOp(')');
        return { k: 'list', items, s: t.start };
      }
      this.expectOp(')');
      return first;
    }
    if (this.isOp('[')) {
      this.next();
      return { k: 'list', items: this.args(']'), s: t.start };
    }
    if (this.isOp('{')) {
      this.next();
      const entries: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        const key = this.expr();
        this.expectOp(':');
        entries.push([key, this.expr()]);
        if (!this.isOp(',')) break;
        this.next();
      }
      this.expectOp('}');
      return { k: 'dict', entries, s: t.start };
    }
    throw this.fail('expected a value');
  }
}

/* ---------------- evaluation ---------------- */

/** An undefined value that remembers where it came from. */
class Undef {
  constructor(
    readonly path: string,
    readonly s: number,
  ) {}
}

interface Scope {
  vars: Record<string, unknown>;
  src: string;
  base?: SourcePos;
}

function posOf(scope: { src: string; base?: SourcePos }, offset: number): SourcePos | undefined {
  const { line, col } = lineColOf(scope.src, offset);
  return posAt(scope.base, line, col);
}

function undefinedError(u: Undef, scope: Scope): UndefinedVariableError {
  return new UndefinedVariableError(u.path, posOf(scope, u.s));
}

/** The value, or an error if it is undefined. */
function need(v: unknown, scope: Scope): unknown {
  if (v instanceof Undef) throw undefinedError(v, scope);
  return v;
}

/** Runtime errors (wrong types) with the expression's position. */
function fail(message: string, scope: Scope, offset: number, hint?: string): InputError {
  const { col } = lineColOf(scope.src, offset);
  return new InputError(`${message} (in \`${scope.src}\` at column ${col})`, posOf(scope, offset), hint);
}

function pathOf(e: Expr): string {
  switch (e.k) {
    case 'name':
      return e.name;
    case 'attr':
      return joinPath(pathOf(e.obj), e.key);
    case 'index':
      return e.index.k === 'lit' ? joinPath(pathOf(e.obj), e.index.v) : `${pathOf(e.obj)}[…]`;
    default:
      return '(value)';
  }
}

function getMember(obj: unknown, key: unknown, e: Expr): unknown {
  if (obj instanceof Undef) return new Undef(joinPath(obj.path, key), obj.s);
  const v = member(obj, key);
  return v === MISSING ? new Undef(joinPath(pathOf(e), key), e.s) : v;
}

function evaluate(e: Expr, scope: Scope): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'name':
      return hasOwnVar(scope.vars, e.name) ? scope.vars[e.name] : new Undef(e.name, e.s);
    case 'attr':
      return getMember(evaluate(e.obj, scope), e.key, e.obj);
    case 'index': {
      const obj = evaluate(e.obj, scope);
      const key = need(evaluate(e.index, scope), scope);
      return getMember(obj, key, e.obj);
    }
    case 'call':
      return callMethod(e, scope);
    case 'list':
      return e.items.map((x) => need(evaluate(x, scope), scope));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.entries) out[String(need(evaluate(k, scope), scope))] = need(evaluate(v, scope), scope);
      return out;
    }
    case 'not':
      return !truthy(need(evaluate(e.x, scope), scope));
    case 'neg': {
      const v = need(evaluate(e.x, scope), scope);
      if (typeof v !== 'number' && typeof v !== 'boolean') throw fail(`cannot negate ${typeName(v)} ${show(v)}`, scope, e.s);
      return -Number(v);
    }
    case 'and': {
      const a = need(evaluate(e.a, scope), scope);
      return truthy(a) ? need(evaluate(e.b, scope), scope) : a;
    }
    case 'or': {
      const a = need(evaluate(e.a, scope), scope);
      return truthy(a) ? a : need(evaluate(e.b, scope), scope);
    }
    case 'cond':
      return truthy(need(evaluate(e.test, scope), scope)) ? need(evaluate(e.then, scope), scope) : e.else ? need(evaluate(e.else, scope), scope) : null;
    case 'cmp': {
      let left = need(evaluate(e.first, scope), scope);
      for (const { op, x, s } of e.rest) {
        const right = need(evaluate(x, scope), scope);
        if (!compareOp(op, left, right, scope, s)) return false;
        left = right;
      }
      return true;
    }
    case 'bin':
      return arithmetic(e.op, need(evaluate(e.a, scope), scope), need(evaluate(e.b, scope), scope), scope, e.s);
    case 'test':
      return runTest(e, scope);
    case 'filter':
      return runFilter(e, scope);
  }
}

function compareOp(op: string, a: unknown, b: unknown, scope: Scope, s: number): boolean {
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
      throw fail(`'${op}': ${err.message}`, scope, s, hint);
    }
    throw err;
  }
  throw fail(`unknown operator '${op}'`, scope, s);
}

function arithmetic(op: string, a: unknown, b: unknown, scope: Scope, s: number): unknown {
  if (op === '~') return F.pyStr(a) + F.pyStr(b);
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (!numeric(a) || !numeric(b)) throw fail(`cannot apply '${op}' to ${typeName(a)} ${show(a)} and ${typeName(b)} ${show(b)}`, scope, s);
  const x = Number(a);
  const y = Number(b);
  if ((op === '/' || op === '//' || op === '%') && y === 0) throw fail('division by zero', scope, s);
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
  }
  throw fail(`unknown operator '${op}'`, scope, s);
}

/* ---- tests ---- */

interface TestDef {
  takesArg?: boolean;
  /** Sees undefined values (defined/undefined); the others get a defined value. */
  acceptsUndefined?: boolean;
  fn: (v: unknown, args: unknown[]) => boolean;
}

function resultField(field: string): (v: unknown) => boolean {
  return (v) => {
    if (!isMapping(v)) throw new F.ValueError(`needs a registered task result (a mapping), got ${typeName(v)} ${show(v)}`);
    return truthy(v[field]);
  };
}

function regexTest(kind: 'match' | 'search'): (v: unknown, args: unknown[]) => boolean {
  return (v, args) => {
    if (typeof v !== 'string') throw new F.ValueError(`needs a string, got ${typeName(v)}`);
    const re = F.pyRegex(String(args[0] ?? ''), '');
    const m = re.exec(v);
    return kind === 'search' ? m !== null : m !== null && m.index === 0;
  };
}

const TESTS: Record<string, TestDef> = {
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

function runTest(e: Extract<Expr, { k: 'test' }>, scope: Scope): boolean {
  const def = TESTS[e.name]!;
  const raw = evaluate(e.x, scope);
  const v = def.acceptsUndefined ? raw : need(raw, scope);
  const args = e.args.map((a) => need(evaluate(a, scope), scope));
  try {
    const r = def.fn(v, args);
    return e.negate ? !r : r;
  } catch (err) {
    if (err instanceof F.ValueError || err instanceof CompareError) throw fail(`'is ${e.name}' ${err.message}`, scope, e.s);
    throw err;
  }
}

/* ---- filters ---- */

type FilterFn = (v: unknown, args: unknown[]) => unknown;

function numbers(name: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new F.ValueError(`${name} needs a list of numbers`);
  return v as number[];
}

const FILTERS: Record<string, FilterFn> = {
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

function failValue(msg: string): never {
  throw new F.ValueError(msg);
}

function runFilter(e: Extract<Expr, { k: 'filter' }>, scope: Scope): unknown {
  const raw = evaluate(e.x, scope);
  const v = e.name === 'default' || e.name === 'd' ? raw : need(raw, scope);
  const args = e.args.map((a) => need(evaluate(a, scope), scope));
  try {
    return FILTERS[e.name]!(v, args);
  } catch (err) {
    if (err instanceof F.ValueError || err instanceof CompareError) throw fail(`'| ${e.name}': ${err.message}`, scope, e.s);
    throw err;
  }
}

/* ---- methods (a fixed list per type; never a property lookup on a JS object) ---- */

function callMethod(e: Extract<Expr, { k: 'call' }>, scope: Scope): unknown {
  const obj = need(evaluate(e.obj, scope), scope);
  const args = e.args.map((a) => need(evaluate(a, scope), scope));
  const str = (x: unknown) => F.pyStr(x);
  if (typeof obj === 'string') {
    switch (e.method) {
      case 'startswith':
        return Array.isArray(args[0]) ? args[0].some((p) => obj.startsWith(str(p))) : obj.startsWith(str(args[0]));
      case 'endswith':
        return Array.isArray(args[0]) ? args[0].some((p) => obj.endsWith(str(p))) : obj.endsWith(str(args[0]));
      case 'strip':
        return args.length ? stripChars(obj, str(args[0]), true, true) : obj.trim();
      case 'lstrip':
        return args.length ? stripChars(obj, str(args[0]), true, false) : obj.trimStart();
      case 'rstrip':
        return args.length ? stripChars(obj, str(args[0]), false, true) : obj.trimEnd();
      case 'lower':
        return obj.toLowerCase();
      case 'upper':
        return obj.toUpperCase();
      case 'split':
        return F.split(obj, args[0]);
      case 'splitlines':
        return obj.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== '');
      case 'replace':
        return F.replace(obj, args[0], args[1]);
      case 'find':
        return obj.indexOf(str(args[0]));
      case 'count':
        return str(args[0]) === '' ? obj.length + 1 : obj.split(str(args[0])).length - 1;
      case 'isdigit':
        return /^\d+$/.test(obj);
      case 'join':
        return F.join(args[0], obj);
    }
  } else if (isMapping(obj)) {
    switch (e.method) {
      case 'get': {
        const key = String(args[0]);
        return hasOwnVar(obj, key) ? obj[key] : (args[1] ?? null);
      }
      case 'keys':
        return Object.keys(obj);
      case 'values':
        return Object.values(obj);
      case 'items':
        return Object.entries(obj);
    }
  } else if (Array.isArray(obj)) {
    switch (e.method) {
      case 'count':
        return obj.filter((x) => equals(x, args[0])).length;
      case 'index': {
        const i = obj.findIndex((x) => equals(x, args[0]));
        if (i < 0) throw fail(`${show(args[0])} is not in the list`, scope, e.s);
        return i;
      }
    }
  }
  throw fail(`${typeName(obj)} has no method '${e.method}'`, scope, e.s);
}

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/* ---------------- public API ---------------- */

const astCache = new Map<string, Expr>();

/** Parse an expression (cached by text); syntax errors name the column. */
export function parseExpression(expr: string, pos?: SourcePos): Expr {
  const hit = astCache.get(expr);
  if (hit) return hit;
  let ast: Expr;
  try {
    ast = new Parser(tokenize(expr)).parseAll();
  } catch (err) {
    if (!(err instanceof ParseFail)) throw err;
    const { line, col } = lineColOf(expr, err.offset);
    const caret = expr.includes('\n') ? '' : `\n    ${expr}\n    ${' '.repeat(err.offset)}^`;
    throw new TemplateSyntaxError(`invalid expression: ${err.message} at column ${col}${caret}`, posAt(pos, line, col), err.hint);
  }
  if (astCache.size >= 10_000) astCache.clear();
  astCache.set(expr, ast);
  return ast;
}

function evaluateParsed(ast: Expr, src: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  const scope: Scope = { vars, src, base: pos };
  return need(evaluate(ast, scope), scope);
}

/** Evaluate an expression to its value (Python semantics), rendering `{{ }}` first if present. */
export function evaluateExpression(expr: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  if (isTemplated(expr)) {
    // Ansible allows `when: "{{ x }}"`: a raw value is used as is, a string is then parsed.
    const rendered = renderString(expr, vars, pos);
    if (typeof rendered !== 'string') return rendered;
    return evaluateParsed(parseExpression(rendered, pos), rendered, vars, pos);
  }
  return evaluateParsed(parseExpression(expr, pos), expr, vars, pos);
}

/**
 * Parse a `when`/`changed_when`/`failed_when`/`until`/`that` expression once.
 * Throws TemplateSyntaxError (an InputError) with the position of the bad
 * token. An expression containing `{{ }}` is checked as a template now and
 * parsed after rendering, each time it is evaluated.
 */
export function compileCondition(expr: string, pos?: SourcePos): CompiledCondition {
  if (typeof expr !== 'string') throw new TemplateSyntaxError(`a condition must be a string, got ${typeName(expr)}`, pos);
  if (isTemplated(expr)) {
    checkTemplate(expr, pos);
    return {
      expr,
      pos,
      value: (vars) => evaluateExpression(expr, vars, pos),
      test: (vars) => truthy(evaluateExpression(expr, vars, pos)),
      refs: () => templateRefs(expr, pos),
    };
  }
  const ast = parseExpression(expr, pos);
  return {
    expr,
    pos,
    value: (vars) => evaluateParsed(ast, expr, vars, pos),
    test: (vars) => truthy(evaluateParsed(ast, expr, vars, pos)),
    refs: () => collectRefs(ast, expr, pos),
  };
}

/** Evaluate a condition to true/false. A YAML boolean (`when: false`) is taken as it is. */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, pos?: SourcePos): boolean {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'number') return expr !== 0;
  return compileCondition(expr, pos).test(vars);
}

/* ---- static analysis ---- */

/** The variables an expression reads; `is defined`/`default` make a read optional. */
export function conditionRefs(expr: string, pos?: SourcePos): VarRef[] {
  if (isTemplated(expr)) return templateRefs(expr, pos);
  return collectRefs(parseExpression(expr, pos), expr, pos);
}

/** The static path of a member chain (`a.b[0]`), or undefined if it has a computed index. */
function staticPath(e: Expr): { root: string; path: string } | undefined {
  if (e.k === 'name') return { root: e.name, path: e.name };
  if (e.k === 'attr') {
    const p = staticPath(e.obj);
    return p && { root: p.root, path: joinPath(p.path, e.key) };
  }
  if (e.k === 'index' && e.index.k === 'lit') {
    const p = staticPath(e.obj);
    return p && { root: p.root, path: joinPath(p.path, e.index.v) };
  }
  return undefined;
}

/** Paths known to be defined when `e` is truthy (positive) or falsy: `x is defined and x.y`. */
function guards(e: Expr, positive: boolean): string[] {
  if (e.k === 'test' && (e.name === 'defined' || e.name === 'undefined')) {
    const p = staticPath(e.x);
    const definedWhenTrue = (e.name === 'defined') !== e.negate;
    return p && definedWhenTrue === positive ? [p.path] : [];
  }
  if (e.k === 'not') return guards(e.x, !positive);
  if (e.k === 'and' && positive) return [...guards(e.a, true), ...guards(e.b, true)];
  if (e.k === 'or' && !positive) return [...guards(e.a, false), ...guards(e.b, false)];
  return [];
}

function isGuarded(path: string, guarded: readonly string[]): boolean {
  return guarded.some((g) => path === g || path.startsWith(g + '.') || path.startsWith(g + '['));
}

function collectRefs(ast: Expr, src: string, pos?: SourcePos): VarRef[] {
  const refs: VarRef[] = [];
  const scope = { src, base: pos };
  const walk = (e: Expr, optional: boolean, guarded: readonly string[]): void => {
    const sub = (x: Expr, opt = false, g = guarded) => walk(x, opt, g);
    switch (e.k) {
      case 'name':
      case 'attr':
      case 'index': {
        const p = staticPath(e);
        if (p) {
          const at = posOf(scope, e.s);
          const opt = optional || isGuarded(p.path, guarded);
          refs.push({ ...p, ...(at ? { pos: at } : {}), ...(opt ? { optional: true } : {}) });
          return;
        }
        if (e.k !== 'name') sub(e.obj, optional);
        if (e.k === 'index') sub(e.index);
        return;
      }
      case 'call':
        sub(e.obj);
        e.args.forEach((a) => sub(a));
        return;
      case 'list':
        e.items.forEach((a) => sub(a));
        return;
      case 'dict':
        e.entries.forEach(([k, v]) => (sub(k), sub(v)));
        return;
      case 'not':
      case 'neg':
        sub(e.x, optional);
        return;
      case 'and':
        sub(e.a);
        sub(e.b, false, [...guarded, ...guards(e.a, true)]);
        return;
      case 'or':
        sub(e.a);
        sub(e.b, false, [...guarded, ...guards(e.a, false)]);
        return;
      case 'bin':
        sub(e.a);
        sub(e.b);
        return;
      case 'cond':
        sub(e.test);
        sub(e.then, false, [...guarded, ...guards(e.test, true)]);
        if (e.else) sub(e.else, false, [...guarded, ...guards(e.test, false)]);
        return;
      case 'cmp':
        sub(e.first);
        e.rest.forEach((r) => sub(r.x));
        return;
      case 'test':
        sub(e.x, TESTS[e.name]!.acceptsUndefined === true);
        e.args.forEach((a) => sub(a));
        return;
      case 'filter':
        sub(e.x, e.name === 'default' || e.name === 'd');
        e.args.forEach((a) => sub(a));
        return;
      case 'lit':
        return;
    }
  };
  walk(ast, false, []);
  return refs;
}
