/**
 * The `when:` expression language, step two: tokens into a syntax tree, by
 * recursive descent. Grammar, loosest binding first (Jinja's precedence):
 *
 *   expr     := or ['if' or ['else' expr]]
 *   or       := and ('or' and)*
 *   and      := not ('and' not)*
 *   not      := 'not' not | compare
 *   compare  := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') sum)*   chained like Python
 *   sum      := product (('+'|'-'|'~') product)*
 *   product  := unary (('*'|'/'|'//'|'%') unary)*
 *   unary    := '-' unary | power
 *   power    := postfix ['**' unary]
 *   postfix  := primary ('.' name | '[' expr ']' | '[' [expr] ':' [expr] [':' [expr]] ']' | '(' args ')' | '|' filter | 'is' ['not'] test)*
 *   primary  := number | string | true | false | none | name | name '(' args ')'
 *             | '(' expr ')' | '(' expr ',' … ')' | '[' expr, … ']' | '{' key ':' expr, … '}'
 *   args     := (expr | name '=' expr), …   (keyword arguments after positional ones)
 *
 * Literals: True/true, False/false, None/none/null. Strings with '…' or "…".
 * Unknown filter and test names are syntax errors, so `drover check` finds them.
 */
import type { SourcePos } from '../../util/source.js';
import { TemplateSyntaxError, lineColOf, posAt } from '../errors.js';
import { FILTERS } from './filters.js';
import { ParseFail, tokenize, type Token } from './lexer.js';
import { TESTS } from './tests.js';

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const LITERAL_NAMES: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null, null: null };

/** A node of the syntax tree: `k` is its kind, `s` the offset of its first character in the expression text. */
export type Expr =
  | { k: 'lit'; v: unknown; s: number }
  | { k: 'name'; name: string; s: number }
  | { k: 'attr'; obj: Expr; key: string | number; s: number }
  | { k: 'index'; obj: Expr; index: Expr; s: number }
  /** `obj[start:stop:step]`, Python's slice; a part left out is absent. */
  | { k: 'slice'; obj: Expr; start?: Expr; stop?: Expr; step?: Expr; s: number }
  | { k: 'call'; obj: Expr; method: string; args: Expr[]; kwargs: Kwargs; s: number }
  | { k: 'fcall'; name: string; args: Expr[]; kwargs: Kwargs; s: number }
  | { k: 'list'; items: Expr[]; s: number }
  | { k: 'dict'; entries: [Expr, Expr][]; s: number }
  | { k: 'not'; x: Expr; s: number }
  | { k: 'neg'; x: Expr; s: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr; s: number }
  | { k: 'cmp'; first: Expr; rest: { op: string; x: Expr; s: number }[]; s: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; s: number }
  | { k: 'cond'; test: Expr; then: Expr; else?: Expr; s: number }
  | { k: 'test'; x: Expr; name: string; negate: boolean; args: Expr[]; kwargs: Kwargs; s: number }
  | { k: 'filter'; x: Expr; name: string; args: Expr[]; kwargs: Kwargs; s: number };

/** Keyword arguments as written: `map(attribute='name')`. */
export type Kwargs = [string, Expr][];

const NO_KWARGS: Kwargs = [];

/**
 * The parser; template statements (`{% for x in xs if x %}`) drive it piece by
 * piece through its public methods.
 */
export class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(n = 0): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }
  next(): Token {
    return this.tokens[this.i++]!;
  }
  isOp(v: string, n = 0): boolean {
    const t = this.peek(n);
    return t.type === 'op' && t.value === v;
  }
  isWord(v: string, n = 0): boolean {
    const t = this.peek(n);
    return t.type === 'name' && t.value === v;
  }
  atEnd(): boolean {
    return this.peek().type === 'eof';
  }
  expectOp(v: string): Token {
    if (!this.isOp(v)) throw this.fail(`expected '${v}'`);
    return this.next();
  }
  expectWord(v: string): Token {
    if (!this.isWord(v)) throw this.fail(`expected '${v}'`);
    return this.next();
  }
  /** A variable name to assign (`for x in`, `set x =`). */
  expectName(): string {
    const t = this.peek();
    if (t.type !== 'name' || KEYWORDS.has(String(t.value)) || Object.hasOwn(LITERAL_NAMES, String(t.value))) throw this.fail('expected a variable name');
    this.next();
    return String(t.value);
  }
  fail(what: string, hint?: string): ParseFail {
    const t = this.peek();
    const got = t.type === 'eof' ? 'end of expression' : t.type === 'str' ? `string ${JSON.stringify(t.value)}` : `'${t.value}'`;
    return new ParseFail(`${what}, got ${got}`, t.start, hint);
  }

  parseAll(): Expr {
    if (this.peek().type === 'eof') throw this.fail('expected an expression');
    const tree = this.expr();
    if (this.peek().type !== 'eof') {
      const t = this.peek();
      if (t.type === 'op' && t.value === '=') throw new ParseFail(`unexpected '='`, t.start, "compare with '=='");
      const hint = t.type === 'name' && !KEYWORDS.has(String(t.value)) ? "join conditions with 'and'/'or'" : undefined;
      throw this.fail('expected the end of the expression', hint);
    }
    return tree;
  }

  expr(): Expr {
    const value = this.or();
    // Jinja's inline conditional: a if cond else b
    if (this.isWord('if')) {
      const s = this.next().start;
      const test = this.or();
      let other: Expr | undefined;
      if (this.isWord('else')) {
        this.next();
        other = this.expr();
      }
      return { k: 'cond', test, then: value, else: other, s };
    }
    return value;
  }

  /** An expression without the inline `if` (a for loop's iterable: its `if` filters). */
  or(): Expr {
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
    const base = this.postfix(this.primary());
    if (this.isOp('**')) {
      const t = this.next();
      return { k: 'bin', op: '**', a: base, b: this.unary(), s: t.start };
    }
    return base;
  }

  private postfix(operand: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.type === 'name') operand = { k: 'attr', obj: operand, key: String(t.value), s: operand.s };
        else if (t.type === 'num' && Number.isInteger(t.value)) operand = { k: 'attr', obj: operand, key: Number(t.value), s: operand.s };
        else {
          this.i--;
          throw this.fail("expected a name after '.'");
        }
        if (this.isOp('(') && operand.k === 'attr' && typeof operand.key === 'string') {
          this.next();
          operand = { k: 'call', obj: operand.obj, method: operand.key, ...this.args(')'), s: operand.s };
        }
      } else if (this.isOp('[')) {
        this.next();
        const index = this.isOp(':') ? undefined : this.expr();
        if (this.isOp(':')) {
          this.next();
          const stop = this.isOp(':') || this.isOp(']') ? undefined : this.expr();
          let step: Expr | undefined;
          if (this.isOp(':')) {
            this.next();
            step = this.isOp(']') ? undefined : this.expr();
          }
          this.expectOp(']');
          operand = { k: 'slice', obj: operand, ...(index ? { start: index } : {}), ...(stop ? { stop } : {}), ...(step ? { step } : {}), s: operand.s };
        } else {
          this.expectOp(']');
          operand = { k: 'index', obj: operand, index: index!, s: operand.s };
        }
      } else if (this.isOp('|')) {
        this.next();
        const t = this.next();
        if (t.type !== 'name') {
          this.i--;
          throw this.fail("expected a filter name after '|'");
        }
        const name = String(t.value);
        if (!(name in FILTERS)) throw new ParseFail(`unknown filter '${name}'`, t.start, `known filters: ${Object.keys(FILTERS).join(', ')}`);
        let args: { args: Expr[]; kwargs: Kwargs } = { args: [], kwargs: NO_KWARGS };
        if (this.isOp('(')) {
          this.next();
          args = this.args(')');
        }
        operand = { k: 'filter', x: operand, name, ...args, s: t.start };
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
        let args: { args: Expr[]; kwargs: Kwargs } = { args: [], kwargs: NO_KWARGS };
        if (this.isOp('(')) {
          this.next();
          args = this.args(')');
        } else if (TESTS[name]!.takesArg && this.startsValue()) {
          // Jinja allows `x is sameas false`, `x is divisibleby 3`
          args = { args: [this.primary()], kwargs: NO_KWARGS };
        }
        operand = { k: 'test', x: operand, name, negate, ...args, s: t.start };
      } else {
        return operand;
      }
    }
  }

  private startsValue(): boolean {
    const t = this.peek();
    return t.type === 'num' || t.type === 'str' || (t.type === 'name' && !KEYWORDS.has(String(t.value))) || this.isOp('(') || this.isOp('[');
  }

  private args(close: string): { args: Expr[]; kwargs: Kwargs } {
    const args: Expr[] = [];
    const kwargs: Kwargs = [];
    while (!this.isOp(close)) {
      if (this.peek().type === 'name' && this.isOp('=', 1)) {
        const name = String(this.next().value);
        this.next();
        kwargs.push([name, this.expr()]);
      } else {
        if (kwargs.length) throw this.fail('a positional argument after a keyword argument');
        args.push(this.expr());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(close);
    return { args, kwargs: kwargs.length ? kwargs : NO_KWARGS };
  }

  /** `[a, b]` items: expressions only. */
  private items(close: string): Expr[] {
    const out: Expr[] = [];
    while (!this.isOp(close)) {
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
      if (this.isOp('(')) {
        this.next();
        return { k: 'fcall', name, ...this.args(')'), s: t.start };
      }
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
      return { k: 'list', items: this.items(']'), s: t.start };
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

/** Where in the file an offset of the expression text is, given where the text starts. */
export function positionOf(source: string, base: SourcePos | undefined, offset: number): SourcePos | undefined {
  const { line, col } = lineColOf(source, offset);
  return posAt(base, line, col);
}
