/**
 * Handlebars rendering for `.hbs` template files (render.ts chooses the
 * language; playbook strings and other templates are Jinja2).
 *
 * One isolated environment (Handlebars.create()), noEscape (config files are
 * not HTML), compat lookups (names inside {{#each}} fall back to outer scopes,
 * like Jinja). Strictness is added by an AST pass before compiling, not by
 * Handlebars' `strict` option, so that messages name the whole path
 * (`hostvars.controller.mgmt_ip`) and so `{{default port 5000}}` can work:
 *
 *   {{x}}                -> {{__v x "x" line col}}          (undefined: error)
 *   {{h a b}}            -> {{__v (h (__req a "a" …) (__req b "b" …)) "" …}}
 *   {{default a b 5}}    -> a and b are left bare: only the fallback must exist
 *   {{#if x}} {{#each x}} -> x wrapped in __req as well
 *   {{#x}}…{{/x}}        -> {{#__section (__req x "x" …)}}…{{/__section}}
 *
 * Unknown helpers are rejected when compiling, partials and decorators too.
 * Compiled templates are cached by text, so each distinct string compiles once
 * per process.
 */
import Handlebars from 'handlebars';
import type { SourcePos } from '../util/source.js';
import { InputError } from '../util/errors.js';
import { TemplateSyntaxError, posAt } from './errors.js';
import { CONTEXT_BLOCK_HELPERS, USER_HELPER_NAMES, installHelpers, type RenderState } from './helpers.js';
import type { VarRef } from './types.js';

const env = Handlebars.create();
installHelpers(env);

const COMPILE_OPTIONS = { noEscape: true, compat: true, strict: false, data: true } as const;

/* ---- Handlebars AST, as much of it as this file touches ---- */
interface Loc {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
interface HNode {
  type: string;
  loc?: Loc;
  [k: string]: any;
}
interface PathExpr extends HNode {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface Call extends HNode {
  path: HNode;
  params: HNode[];
  hash?: { type: 'Hash'; pairs: { type: 'HashPair'; key: string; value: HNode; loc?: Loc }[]; loc?: Loc };
}
interface Program extends HNode {
  type: 'Program';
  body: HNode[];
  blockParams?: string[];
}


/* ---- parsing ---- */

function parse(text: string, base: SourcePos | undefined): Program {
  try {
    return env.parseWithoutProcessing(text) as unknown as Program;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // The jison lexer keeps the location of the offending token after it throws.
    const yl = (env as unknown as { Parser?: { lexer?: { yylloc?: { first_line: number; first_column: number } } } }).Parser?.lexer?.yylloc;
    const hb = e as { lineNumber?: number; column?: number };
    const line = hb.lineNumber ?? yl?.first_line ?? 1;
    const col = (hb.column ?? yl?.first_column ?? 0) + 1;
    throw new TemplateSyntaxError(`template syntax error: ${firstLines(msg)}`, posAt(base, line, col) ?? undefined, syntaxHint(text));
  }
}

/** Handlebars' parser messages carry an ASCII excerpt; keep the informative part. */
function firstLines(msg: string): string {
  const lines = msg.replace(/ - \d+:\d+$/, '').split('\n');
  const expecting = lines.find((l) => l.startsWith('Expecting '));
  if (expecting) {
    const got = /got '([^']+)'$/.exec(expecting)?.[1];
    return `unexpected ${got === 'EOF' ? 'end of template (unclosed block?)' : `'${got}'`}`;
  }
  return lines[0]!;
}

/** Point Ansible users at the Handlebars spelling of Jinja constructs. */
function syntaxHint(text: string): string | undefined {
  if (/\{%/.test(text)) return 'Jinja statements ({% … %}) are not supported: use {{#if x}}…{{/if}} and {{#each xs}}…{{/each}}';
  if (/\{\{[^}]*\|/.test(text)) return 'Jinja filters are not supported: write {{default x 5}}, {{join xs ","}}, {{lower s}} … (see src/template/helpers.ts)';
  if (/\{\{[^}]*\[\s*['"]/.test(text)) return "index with a dot, e.g. {{hostvars.controller.mgmt_ip}}, or {{hostvar host 'var'}}";
  return undefined;
}

function startOf(node: HNode): { line: number; col: number } {
  return node.loc ? { line: node.loc.start.line, col: node.loc.start.column + 1 } : { line: 1, col: 1 };
}

/* ---- the strictness pass ---- */

function pathExpr(name: string, loc?: Loc): PathExpr {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}
function str(value: string, loc?: Loc): HNode {
  return { type: 'StringLiteral', value, original: value, loc };
}
function num(value: number, loc?: Loc): HNode {
  return { type: 'NumberLiteral', value, original: value, loc };
}

/** A path as the user wrote it, for messages: `a.b`, `@root.x`, `../y`, `this`. */
function pathString(p: PathExpr): string {
  return p.original || (p.data ? '@' : '') + p.parts.join('.');
}

function isLiteral(n: HNode): boolean {
  return /Literal$/.test(n.type);
}

/** The helper a call/block names, or undefined for a plain `{{path}}`. */
function simpleName(path: HNode): string | undefined {
  if (path.type !== 'PathExpression') return undefined;
  const p = path as PathExpr;
  return !p.data && p.depth === 0 && p.parts.length === 1 && !/^(this|\.)[./]/.test(p.original) ? p.parts[0] : undefined;
}

function isCall(n: Call): boolean {
  return n.params.length > 0 || (n.hash?.pairs.length ?? 0) > 0;
}

function helperOf(n: Call): string {
  const name = simpleName(n.path);
  if (name === undefined || !USER_HELPER_NAMES.has(name)) {
    const shown = n.path.type === 'PathExpression' ? pathString(n.path as PathExpr) : String(n.path.value ?? n.path.type);
    throw new TemplateSyntaxError(`unknown helper '${shown}'`, posFromState(n), 'see src/template/helpers.ts for the helpers drover provides');
  }
  return name;
}

// Position base for errors raised while transforming (set per compile).
let transformBase: SourcePos | undefined;
function posFromState(n: HNode): SourcePos | undefined {
  const { line, col } = startOf(n);
  return posAt(transformBase, line, col);
}

/** `x` -> `(__req x "x" line col)` */
function required(value: HNode): HNode {
  if (value.type === 'SubExpression') {
    wrapArgs(value as Call);
    return value;
  }
  if (value.type !== 'PathExpression') return value;
  const { line, col } = startOf(value);
  return {
    type: 'SubExpression',
    path: pathExpr('__req', value.loc),
    params: [value, str(pathString(value as PathExpr)), num(line), num(col)],
    loc: value.loc,
  };
}

/** Wrap a helper call's arguments so undefined ones raise. */
function wrapArgs(call: Call): void {
  const name = helperOf(call);
  const n = call.params.length;
  const firstParam = call.params[0];
  call.params = call.params.map((p, i) => (name === 'default' && i < n - 1 && p.type === 'PathExpression' ? p : required(p)));
  if (call.hash) for (const pair of call.hash.pairs) pair.value = required(pair.value);
  if (name === 'lookup' && firstParam?.type === 'PathExpression') {
    // Give the strict lookup helper the map's path for its message.
    call.hash ??= { type: 'Hash', pairs: [], loc: call.loc };
    call.hash.pairs.push({ type: 'HashPair', key: '__path', value: str(pathString(firstParam as PathExpr)) });
  }
}

function transformMustache(m: Call, wrapper: '__v' | '__capture'): void {
  const { line, col } = startOf(isCall(m) ? m : m.path);
  let inner: HNode;
  let path = '';
  if (isCall(m)) {
    wrapArgs(m);
    inner = { type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc: m.loc };
  } else {
    // No arguments: always a variable, even if a helper has the same name.
    inner = isLiteral(m.path) ? pathExpr(String(m.path.value), m.path.loc) : m.path;
    path = pathString(inner as PathExpr);
  }
  m.path = pathExpr(wrapper, m.loc);
  m.params = [inner, str(path), num(line), num(col)];
  m.hash = undefined;
}

function transformBlock(b: Call & { program?: Program; inverse?: Program }): void {
  if (isCall(b) || (simpleName(b.path) !== undefined && USER_HELPER_NAMES.has(simpleName(b.path)!))) {
    if (isCall(b)) wrapArgs(b);
    else helperOf(b);
  } else {
    b.params = [required(isLiteral(b.path) ? pathExpr(String(b.path.value), b.path.loc) : b.path)];
    b.path = pathExpr('__section', b.loc);
  }
  if (b.program) transformProgram(b.program);
  if (b.inverse) transformProgram(b.inverse);
}

function transformProgram(p: Program): void {
  for (const node of p.body) {
    switch (node.type) {
      case 'MustacheStatement':
        transformMustache(node as Call, '__v');
        break;
      case 'BlockStatement':
        transformBlock(node as Call);
        break;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new TemplateSyntaxError('partials ({{> name}}) are not supported', posFromState(node), 'render a second template with the template module instead');
      case 'Decorator':
      case 'DecoratorBlock':
        throw new TemplateSyntaxError('decorators ({{* …}}) are not supported', posFromState(node));
      default:
        break; // content, comments
    }
  }
}

/* ---- compile cache ---- */

interface Compiled {
  fn: (context: unknown, options: { data: { __drover: RenderState } }) => string;
  /** The whole text is one mustache: renderString returns its raw value. */
  raw: boolean;
}

const CACHE_LIMIT = 10_000;
const cache = new Map<string, Compiled>();

function compile(text: string, mode: 'value' | 'text', base: SourcePos | undefined): Compiled {
  const key = mode + '\0' + text;
  const hit = cache.get(key);
  if (hit) return hit;
  const ast = parse(text, base);
  transformBase = base;
  let raw = false;
  try {
    if (mode === 'value' && ast.body.length === 1 && ast.body[0]!.type === 'MustacheStatement') {
      raw = true;
      transformMustache(ast.body[0] as Call, '__capture');
    } else {
      transformProgram(ast);
    }
  } finally {
    transformBase = undefined;
  }
  const fn = env.compile(ast, COMPILE_OPTIONS) as unknown as Compiled['fn'];
  const compiled = { fn, raw };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/**
 * Handlebars reads own properties only; a scope layered with Object.create is
 * flattened (top level only) so templates see what `when:` sees.
 */
function plainVars(vars: Record<string, unknown>): Record<string, unknown> {
  const proto = Object.getPrototypeOf(vars);
  if (proto === Object.prototype || proto === null) return vars;
  const flat: Record<string, unknown> = {};
  for (const k in vars) flat[k] = vars[k];
  return flat;
}

function run(c: Compiled, vars: Record<string, unknown>, state: RenderState): string {
  try {
    return c.fn(plainVars(vars), { data: { __drover: state } });
  } catch (e) {
    if (e instanceof InputError) throw e;
    const hb = e as { lineNumber?: number; column?: number; message?: string };
    const pos = hb.lineNumber ? posAt(state.base, hb.lineNumber, (hb.column ?? 0) + 1) : state.base;
    throw new InputError(`template error: ${firstLines(String(hb.message ?? e))}`, pos);
  }
}

/* ---- public API ---- */

/**
 * Render a playbook string. A string that is exactly one mustache
 * (`"{{ groups.compute_nodes }}"`, `"{{default port 5000}}"`) yields the raw
 * value (list, mapping, number, boolean); anything else yields a string.
 * Strings without `{{` are returned as they are. `pos` is the position of the
 * string's first character; errors point inside it.
 */
export function renderHandlebarsString(text: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  if (typeof text !== 'string' || !text.includes('{{')) return text;
  const c = compile(text, 'value', pos);
  const state: RenderState = { base: pos, capture: { value: undefined } };
  const out = run(c, vars, state);
  return c.raw ? state.capture!.value : out;
}


/** Render a template file's text; always a string. Errors name file:line:col inside the template. */
export function renderHandlebarsText(text: string, vars: Record<string, unknown>, file: string): string {
  const base = { file, line: 1, col: 1 };
  return run(compile(text, 'text', base), vars, { base });
}

/** Parse and check a template without rendering it (syntax, unknown helpers, partials). */
export function checkHandlebars(text: string, pos?: SourcePos): void {
  if (text.includes('{{')) compile(text, 'text', pos);
}

/* ---- static analysis ---- */

/**
 * The variables a template reads, for `drover check`. A ref is `optional` when
 * it may legitimately be undefined: a non-final argument of `default`, the
 * path given to `defined`, or a bare name inside {{#each}}/{{#with}} (it may
 * be a field of the item). Names of block params, `this` and `@index`-style
 * data are not variables and are left out; `@root.x` is reported as `x`.
 */
export function handlebarsRefs(text: string, pos?: SourcePos): VarRef[] {
  if (typeof text !== 'string' || !text.includes('{{')) return [];
  const refs: VarRef[] = [];
  const at = (n: HNode) => {
    const { line, col } = startOf(n);
    return posAt(pos, line, col);
  };

  function ref(p: PathExpr, depth: number, blockParams: string[], optional: boolean): void {
    let parts = p.parts;
    if (p.data) {
      if (parts[0] !== 'root' || parts.length < 2) return;
      parts = parts.slice(1);
    } else {
      if (parts.length === 0) return; // this
      if (p.depth === 0 && blockParams.includes(parts[0]!)) return;
      if (/^(this|\.)\//.test(p.original) && depth > 0) return; // explicitly the item
      const level = depth - p.depth;
      if (level < 0) return;
      if (level > 0 && p.depth > 0) return; // ../x inside nested loops: an outer item
      if (depth > 0 && p.depth === 0) optional = true; // item field or outer variable
    }
    refs.push({ root: parts[0]!, path: parts.join('.'), pos: at(p), ...(optional ? { optional: true } : {}) });
  }

  function value(n: HNode, depth: number, bp: string[], optional: boolean): void {
    if (n.type === 'PathExpression') ref(n as PathExpr, depth, bp, optional);
    else if (n.type === 'SubExpression') call(n as Call, depth, bp);
  }

  function call(c: Call, depth: number, bp: string[]): void {
    const name = simpleName(c.path);
    c.params.forEach((p, i) => value(p, depth, bp, name === 'default' && i < c.params.length - 1));
    for (const pair of c.hash?.pairs ?? []) value(pair.value, depth, bp, false);
    if (name === 'defined' && c.params[0]?.type === 'StringLiteral') {
      const path = String(c.params[0].value);
      refs.push({ root: path.split(/[.[]/)[0]!, path, pos: at(c.params[0]), optional: true });
    }
    if (name === 'hostvar') refs.push({ root: 'hostvars', path: 'hostvars', pos: at(c) });
  }

  function program(p: Program | undefined, depth: number, bp: string[]): void {
    if (!p) return;
    const inner = p.blockParams?.length ? [...bp, ...p.blockParams] : bp;
    for (const node of p.body) {
      if (node.type === 'MustacheStatement') {
        const m = node as Call;
        if (isCall(m)) call(m, depth, inner);
        else if (m.path.type === 'PathExpression') ref(m.path as PathExpr, depth, inner, false);
      } else if (node.type === 'BlockStatement') {
        const b = node as Call & { program?: Program; inverse?: Program };
        const name = simpleName(b.path);
        const isHelper = isCall(b) || (name !== undefined && USER_HELPER_NAMES.has(name));
        if (isHelper) call(b, depth, inner);
        else if (b.path.type === 'PathExpression') ref(b.path as PathExpr, depth, inner, false);
        const changesContext = !isHelper || CONTEXT_BLOCK_HELPERS.has(name ?? '');
        program(b.program, changesContext ? depth + 1 : depth, inner);
        program(b.inverse, depth, inner);
      }
    }
  }

  program(parse(text, pos), 0, []);
  return refs;
}
