/**
 * Value semantics shared by templates and `when` expressions. They follow
 * Python/Jinja (what Ansible users know), not JavaScript: `[]`, `{}`, `""`, 0
 * and None are false; `1 == True`; comparing a string with a number is an
 * error, not a coercion.
 */

/** Python truthiness. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The type name used in error messages (Ansible/YAML vocabulary). */
export function typeName(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/** Python `==`: numbers and booleans compare numerically, lists and mappings deeply, the rest strictly. */
export function equals(a: unknown, b: unknown): boolean {
  const numA = typeof a === 'number' || typeof a === 'boolean';
  const numB = typeof b === 'number' || typeof b === 'boolean';
  if (numA && numB) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equals(a[k], b[k]));
  }
  return a === b;
}

/** Raised by `compare` for operands Python would refuse to order. */
export class CompareError extends Error {}

/** Python ordering: numbers with numbers, strings with strings, lists element-wise. */
export function compare(a: unknown, b: unknown): number {
  const numA = typeof a === 'number' || typeof a === 'boolean';
  const numB = typeof b === 'number' || typeof b === 'boolean';
  if (numA && numB) return Math.sign(Number(a) - Number(b));
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return Math.sign(a.length - b.length);
  }
  throw new CompareError(`cannot order ${typeName(a)} ${show(a)} and ${typeName(b)} ${show(b)}`);
}

/** Python `in`: substring, list membership or mapping key. */
export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new CompareError(`'in <string>' needs a string on the left, got ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (isMapping(container)) return typeof item === 'string' || typeof item === 'number' ? hasOwnVar(container, String(item)) : false;
  throw new CompareError(`'in' needs a string, list or mapping on the right, got ${typeName(container)}`);
}

/**
 * Own-property lookup that also sees properties inherited through a chain of
 * plain objects (layered variable scopes built with Object.create), but never
 * Object.prototype members such as `constructor` or `__proto__`.
 */
export function hasOwnVar(obj: object, key: string): boolean {
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return true;
  }
  return false;
}

/** Sentinel for "no such member". */
export const MISSING: unique symbol = Symbol('missing');

/** `obj.key` / `obj[key]` with Python-like rules: list and string indexes (negative too), mapping keys. */
export function member(obj: unknown, key: unknown): unknown {
  if (Array.isArray(obj) || typeof obj === 'string') {
    const n = typeof key === 'number' ? key : typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(n)) return MISSING;
    const i = n < 0 ? obj.length + n : n;
    return i >= 0 && i < obj.length ? obj[i] : MISSING;
  }
  if (isMapping(obj) && (typeof key === 'string' || typeof key === 'number')) {
    const k = String(key);
    return hasOwnVar(obj, k) ? (obj as Record<string, unknown>)[k] : MISSING;
  }
  return MISSING;
}

/** Resolve a dotted path (`a.b.0.c`) from `root`; MISSING if any link is absent. */
export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of splitPath(path)) {
    cur = member(cur, part);
    if (cur === MISSING) return MISSING;
  }
  return cur;
}

/** `a.b[0]['x y']` -> ['a', 'b', '0', 'x y'] */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  const re = /([^.[\]]+)|\[(?:'([^']*)'|"([^"]*)"|([^\]]*))\]/g;
  for (const m of path.matchAll(re)) parts.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
  return parts;
}

/** Append a member to a path for messages: `a.b`, `a[0]`, `a['x y']`. */
export function joinPath(base: string, key: unknown): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = String(key);
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) return base ? `${base}.${k}` : k;
  return `${base}[${JSON.stringify(k)}]`;
}

/** A short rendering of a value for messages. */
export function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** How a value appears when interpolated into text, as Ansible renders it: Python's str() (True, ['a', 'b'], {'k': 1}), None as empty. */
export function toText(v: unknown): string {
  return v === undefined || v === null ? '' : pythonStr(v);
}

/** Python's str(): text as it is (a Handlebars SafeString too), everything else as repr. */
export function pythonStr(v: unknown): string {
  if (v && typeof v === 'object' && typeof (v as { toHTML?: unknown }).toHTML === 'function') return String(v);
  return typeof v === 'string' ? v : pythonRepr(v);
}

/** Python's repr() of a YAML/JSON value: True/False/None, 'quoted' text, [lists] and {'mappings': …}. */
export function pythonRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof Callable) return `<function ${v.name}>`;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : pythonFloatRepr(v);
  if (typeof v === 'string') return quotePython(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${quotePython(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  return String(v);
}

/**
 * Python's repr() of a float: the shortest digits that read back the same (as
 * JavaScript's), but in exponent form below 1e-4 and from 1e16 (JavaScript:
 * 1e-7, 1e21) with at least two exponent digits, and a `.0` on whole numbers.
 */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  // Fixed notation from the same shortest digits, moved by the exponent (toFixed would round the exact binary value instead).
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/[-.]/g, '');
  const point = exp + 1;
  const whole = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0');
  const fraction = point <= 0 ? '0'.repeat(-point) + digits : digits.slice(point);
  return `${negative ? '-' : ''}${whole}.${fraction || '0'}`;
}

/** A Python string literal as repr() writes it: single quotes unless the text has ' and no ". */
function quotePython(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/[\\\n\r\t]|[\x00-\x1f\x7f]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return q + (q === "'" ? body.replaceAll("'", "\\'") : body) + q;
}

/**
 * A function a template can call: a global (`range`, `lookup`), a macro, or
 * `loop.cycle`. Never a JavaScript function found in variables: only values
 * made as Callables are called.
 */
export class Callable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Record<string, unknown>, vars: Record<string, unknown>) => unknown,
  ) {}
}
