/**
 * Handlebars helpers for roles and templates. Every helper is listed in
 * HELPER_DOCS (one line each, also shown by tooling). Ansible-to-drover
 * spelling, for readers coming from the blog's playbooks:
 *
 *   {{ port | default(5000) }}            {{default port 5000}}
 *   {{ hosts | join(',') }}               {{join hosts ","}}
 *   {{ hostvars[db_node].mgmt_ip }}       {{hostvar db_node "mgmt_ip"}}
 *   {% if a == b %}…{% endif %}           {{#if (eq a b)}}…{{/if}}
 *   {% for h in groups.compute %}…        {{#each groups.compute}}{{this}}{{/each}}
 *
 * Strictness (see render.ts): every variable a template reads must exist,
 * including `{{#if x}}` and `{{#each x}}` — a typo must not silently turn a
 * feature off. The escape hatches are `default` (all but its last argument may
 * be undefined) and `defined` (takes the path as a string). `{{#if}}` and
 * `{{#unless}}` use Python truthiness like `when:` (an empty list or mapping is
 * false), not Handlebars' (where `{}` is true).
 *
 * Inside `{{#each}}`/`{{#with}}` a bare name is looked up on the item first and
 * then on the enclosing scopes (Handlebars' compat mode), so
 * `{{#each hosts}}{{name}}.{{domain}}{{/each}}` works as it would in Jinja.
 * A variable that has the same name as a helper is read with `{{name}}` (no
 * arguments: always a variable) or `this.name` inside calls.
 */
import type { SourcePos } from '../util/source.js';
import { InputError } from '../util/errors.js';
import { UndefinedVariableError, posAt } from './errors.js';
import * as F from './functions.js';
import { MISSING, compare, contains, equals, getPath, joinPath, member, show, toText, truthy, typeName } from './values.js';

/** Per-render state, passed to helpers as `@__drover` data. */
export interface RenderState {
  /** Position of the template text's first character. */
  base?: SourcePos;
  /** Receives the raw value when a whole string is one mustache. */
  capture?: { value: unknown };
}

/** What Handlebars passes as the last argument (loc is present in 4.7 though untyped). */
export interface HelperOptions {
  fn?: (context: unknown, opts?: unknown) => string;
  inverse?: (context: unknown, opts?: unknown) => string;
  hash: Record<string, unknown>;
  data?: { __drover?: RenderState; root?: unknown; [k: string]: unknown };
  loc?: { start: { line: number; column: number } };
  name?: string;
}

type Helper = (this: unknown, args: unknown[], options: HelperOptions) => unknown;

export const HELPER_DOCS: Record<string, string> = {
  default: '{{default a b … fallback}} — the first argument that is neither undefined nor null, else the last; only its last argument must be defined',
  defined: "{{#if (defined 'a.b.c')}} — whether a variable path exists (item first, then the top-level vars)",
  hostvar: "{{hostvar host 'var.path'}} — hostvars[host][var]; an error naming hostvars.<host>.<var> if missing",
  lookup: "{{lookup map key}} — map[key]; an error if missing (Handlebars' own lookup returns nothing)",
  join: '{{join list sep}} — items as text joined by sep (default "")',
  json: '{{json value [indent]}} — JSON text',
  to_json: '{{to_json value [indent]}} — same as json',
  to_nice_json: '{{to_nice_json value [indent=4]}} — indented JSON with sorted keys',
  to_yaml: '{{to_yaml value}} — compact (flow style) YAML, no trailing newline',
  to_nice_yaml: '{{to_nice_yaml value [indent=2]}} — block style YAML, no trailing newline',
  eq: '{{#if (eq a b)}} — Python ==: 1 == 1.0 == true, lists/mappings deeply',
  ne: '{{#if (ne a b)}} — not eq',
  lt: '{{#if (lt a b)}} — a < b (numbers with numbers, strings with strings; else an error)',
  gt: '{{#if (gt a b)}} — a > b',
  le: '{{#if (le a b)}} — a <= b',
  ge: '{{#if (ge a b)}} — a >= b',
  and: '{{#if (and a b …)}} — all truthy (Python truthiness)',
  or: '{{#if (or a b …)}} — any truthy',
  not: '{{#if (not a)}} — not truthy',
  contains: "{{#if (contains list item)}} — Python `item in list` (substring for strings, key for mappings)",
  if: '{{#if x}}…{{else}}…{{/if}} (Python truthiness); inline {{if x "yes" "no"}}',
  unless: '{{#unless x}}…{{/unless}} — inverse of if',
  ternary: '{{ternary cond a b}} — a if cond is truthy else b (Ansible ternary)',
  each: '{{#each list}}{{this}} {{@index}}{{/each}}, {{#each map}}{{@key}}={{this}}{{/each}} (Handlebars built-in)',
  with: '{{#with obj}}{{field}}{{/with}} (Handlebars built-in)',
  raw: '{{{{raw}}}}{{not rendered}}{{{{/raw}}}} — emit mustaches literally',
  lower: '{{lower s}}',
  upper: '{{upper s}}',
  trim: '{{trim s}} — strip surrounding whitespace',
  replace: '{{replace s old new}} — every occurrence, literally',
  split: '{{split s [sep]}} — list; without sep, on runs of whitespace',
  first: '{{first list}} — first item (or character)',
  last: '{{last list}} — last item (or character)',
  length: '{{length x}} — items of a list, keys of a mapping, characters of a string',
  basename: '{{basename path}}',
  dirname: '{{dirname path}}',
  b64encode: '{{b64encode s}} — UTF-8 then base64',
  b64decode: '{{b64decode s}} — base64 to UTF-8 text',
  quote: '{{quote s}} — POSIX shell quoting (safe words stay bare)',
  int: "{{int x [default=0]}} — Jinja int: '42' -> 42, '4.7' -> 4, unparsable -> default",
  float: '{{float x [default=0]}}',
  bool: '{{bool x}} — Ansible bool: yes/on/true/1 (any case) -> true, anything else false',
  string: '{{string x}} — Python str(): True/False/None, lists and mappings as JSON',
  regex_replace: "{{regex_replace s 'pattern' 'repl' [ignorecase=true] [multiline=true]}} — Python re.sub syntax (\\1, \\g<name>)",
  regex_search: "{{regex_search s 'pattern'}} — first match (or its first group); none if no match",
  indent: '{{indent s [width=4] [first=false]}} — Jinja indent: all lines but the first (blank lines untouched)',
};

/** Position of the helper call, for error messages. */
export function callPos(options: HelperOptions): SourcePos | undefined {
  const base = options.data?.__drover?.base;
  const loc = options.loc?.start;
  return loc ? posAt(base, loc.line, loc.column + 1) : base;
}

function rootVars(options: HelperOptions): unknown {
  return options.data?.root;
}

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new F.ValueError(`${name} takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
  }
}

function unary(name: string, fn: (v: unknown) => unknown): Helper {
  return (args) => {
    arity(name, args, 1);
    return fn(args[0]);
  };
}

function comparison(name: string, test: (c: number) => boolean): Helper {
  return (args) => {
    arity(name, args, 2);
    return test(compare(args[0], args[1]));
  };
}

/** The user-facing helpers (names documented in HELPER_DOCS). */
const HELPERS: Record<string, Helper> = {
  default: (args) => {
    arity('default', args, 2, Infinity);
    for (const a of args) if (a !== undefined && a !== null) return a;
    return args[args.length - 1];
  },
  defined(args, options) {
    arity('defined', args, 1);
    if (typeof args[0] !== 'string') throw new F.ValueError(`defined takes the path as a string: (defined 'a.b'), got ${typeName(args[0])}`);
    return getPath(this, args[0]) !== MISSING || getPath(rootVars(options), args[0]) !== MISSING;
  },
  hostvar: (args, options) => {
    arity('hostvar', args, 2);
    const [host, name] = args;
    if (typeof host !== 'string' || typeof name !== 'string') throw new F.ValueError(`hostvar takes a host name and a variable name, got ${show(host)} and ${show(name)}`);
    const v = getPath(getPath(rootVars(options), 'hostvars'), host);
    const path = joinPath(joinPath('hostvars', host), name);
    if (v === MISSING) throw new UndefinedVariableError(joinPath('hostvars', host), callPos(options), 'no such host in the inventory');
    const value = getPath(v, name);
    if (value === MISSING) throw new UndefinedVariableError(path, callPos(options));
    return value;
  },
  lookup: (args, options) => {
    arity('lookup', args, 2);
    if (args[0] === undefined || args[0] === null) throw new F.ValueError(`lookup on ${typeName(args[0])}`);
    const value = member(args[0], args[1]);
    if (value === MISSING) {
      const base = typeof options.hash.__path === 'string' ? options.hash.__path : '(lookup)';
      throw new UndefinedVariableError(joinPath(base, args[1]), callPos(options));
    }
    return value;
  },
  join: (args) => {
    arity('join', args, 1, 2);
    return F.join(args[0], args[1]);
  },
  json: (args) => {
    arity('json', args, 1, 2);
    return F.toJson(args[0], args[1]);
  },
  to_nice_json: (args) => {
    arity('to_nice_json', args, 1, 2);
    return F.toNiceJson(args[0], args[1]);
  },
  to_yaml: unary('to_yaml', F.toYamlFlow),
  to_nice_yaml: (args) => {
    arity('to_nice_yaml', args, 1, 2);
    return F.toNiceYaml(args[0], args[1]);
  },
  eq: (args) => {
    arity('eq', args, 2);
    return equals(args[0], args[1]);
  },
  ne: (args) => {
    arity('ne', args, 2);
    return !equals(args[0], args[1]);
  },
  lt: comparison('lt', (c) => c < 0),
  gt: comparison('gt', (c) => c > 0),
  le: comparison('le', (c) => c <= 0),
  ge: comparison('ge', (c) => c >= 0),
  and: (args) => {
    arity('and', args, 1, Infinity);
    return args.every(truthy);
  },
  or: (args) => {
    arity('or', args, 1, Infinity);
    return args.some(truthy);
  },
  not: unary('not', (v) => !truthy(v)),
  contains: (args) => {
    arity('contains', args, 2);
    return contains(args[0], args[1]);
  },
  if(args, options) {
    if (options.fn) {
      arity('#if', args, 1);
      return truthy(args[0]) ? options.fn(this) : options.inverse!(this);
    }
    arity('if', args, 2, 3);
    return truthy(args[0]) ? args[1] : (args[2] ?? '');
  },
  unless(args, options) {
    arity('#unless', args, 1);
    if (!options.fn) throw new F.ValueError('unless is a block helper: {{#unless x}}…{{/unless}}');
    return truthy(args[0]) ? options.inverse!(this) : options.fn(this);
  },
  ternary: (args) => {
    arity('ternary', args, 3);
    return truthy(args[0]) ? args[1] : args[2];
  },
  raw(args, options) {
    arity('raw', args, 0);
    return options.fn ? options.fn(this) : '';
  },
  lower: unary('lower', F.lower),
  upper: unary('upper', F.upper),
  trim: unary('trim', F.trim),
  replace: (args) => {
    arity('replace', args, 3);
    return F.replace(args[0], args[1], args[2]);
  },
  split: (args) => {
    arity('split', args, 1, 2);
    return F.split(args[0], args[1]);
  },
  first: unary('first', F.first),
  last: unary('last', F.last),
  length: unary('length', F.length),
  basename: unary('basename', F.basename),
  dirname: unary('dirname', F.dirname),
  b64encode: unary('b64encode', F.b64encode),
  b64decode: unary('b64decode', F.b64decode),
  quote: unary('quote', F.quote),
  int: (args) => {
    arity('int', args, 1, 2);
    return F.toInt(args[0], args.length > 1 ? F.toInt(args[1]) : 0);
  },
  float: (args) => {
    arity('float', args, 1, 2);
    return F.toFloat(args[0], args.length > 1 ? F.toFloat(args[1]) : 0);
  },
  bool: unary('bool', F.toBool),
  string: unary('string', F.pyStr),
  regex_replace: (args, options) => {
    arity('regex_replace', args, 2, 3);
    return F.regexReplace(args[0], args[1], args[2] ?? '', {
      ignorecase: truthy(options.hash.ignorecase),
      multiline: truthy(options.hash.multiline),
    });
  },
  regex_search: (args) => {
    arity('regex_search', args, 2);
    return F.regexSearch(args[0], args[1]);
  },
  indent: (args) => {
    arity('indent', args, 1, 3);
    return F.indent(args[0], args[1] ?? 4, args[2] ?? false);
  },
};
HELPERS.to_json = HELPERS.json!;

/**
 * Helpers the AST pass in render.ts inserts; never written by users.
 *  __req v 'path' line col   — v, or UndefinedVariableError(path) if undefined
 *  __v v 'path' line col     — same, then formatted as text (lists/mappings as JSON)
 *  __capture v 'path' line col — same, and hands the raw value to renderString
 *  __section v               — mustache-style `{{#x}}…{{/x}}` with a checked x
 */
const INTERNAL: Record<string, Helper> = {
  __req(args, options) {
    return required(this, args, options);
  },
  __v(args, options) {
    return toText(required(this, args, options));
  },
  __capture(args, options) {
    const v = required(this, args, options);
    const box = options.data?.__drover?.capture;
    if (box) box.value = v;
    return toText(v);
  },
  __section(args, options) {
    const v = args[0];
    if (!truthy(v)) return options.inverse!(this);
    if (Array.isArray(v)) return v.map((item) => options.fn!(item)).join('');
    return options.fn!(v === true ? this : v);
  },
};

function required(context: unknown, args: unknown[], options: HelperOptions): unknown {
  const [value, path, line, col] = args;
  if (value === undefined && typeof path === 'string' && path !== '') {
    // Compat lookups report a null first segment as undefined; a null that
    // exists on the item or at the top level is a value, not a missing name.
    const found = explicitNull(context, rootVars(options), path);
    if (found !== MISSING) return found;
    const base = options.data?.__drover?.base;
    throw new UndefinedVariableError(path, posAt(base, Number(line), Number(col)));
  }
  return value;
}

function explicitNull(context: unknown, root: unknown, path: string): unknown {
  let v: unknown = MISSING;
  if (path.startsWith('@root.')) v = getPath(root, path.slice(6));
  else if (/^(this|\.)\//.test(path) || path.startsWith('this.')) v = getPath(context, path.replace(/^(this|\.)[./]/, ''));
  else if (!path.startsWith('@') && !path.startsWith('../')) {
    v = getPath(context, path);
    if (v === MISSING) v = getPath(root, path);
  }
  return v === null ? null : MISSING;
}

/** Names a user may call (drives the "unknown helper" check). */
export const USER_HELPER_NAMES: ReadonlySet<string> = new Set([...Object.keys(HELPERS), 'each', 'with', 'log']);

/** Helpers that change `this` for their block (each, with): relevant to static variable analysis. */
export const CONTEXT_BLOCK_HELPERS: ReadonlySet<string> = new Set(['each', 'with']);

interface HelperRegistry {
  registerHelper(name: string, fn: (...args: any[]) => unknown): void;
  unregisterHelper(name: string): void;
}

/** Install the helpers into an isolated Handlebars environment. */
export function installHelpers(env: HelperRegistry): void {
  // `lookup`, `if`, `unless` replace the built-ins (strict / Python truthiness).
  for (const [name, fn] of Object.entries({ ...HELPERS, ...INTERNAL })) {
    env.registerHelper(name, function (this: unknown, ...raw: unknown[]) {
      const options = raw.pop() as HelperOptions;
      try {
        return fn.call(this, raw, options);
      } catch (e) {
        if (e instanceof InputError) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        throw new InputError(name.startsWith('__') ? msg : `helper '${name}': ${msg}`, callPos(options));
      }
    });
  }
}
