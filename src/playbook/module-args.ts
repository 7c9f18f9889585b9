import type { ZodType } from 'zod';
import type { Module } from '../modules/types.js';
import { isTemplated } from '../template/index.js';
import { didYouMean } from '../util/did-you-mean.js';
import { kvWords } from '../util/shell-words.js';
import { keyPosOf, posAtPath, posOf, setPositions } from '../util/source-positions.js';
import type { SourcePos } from '../util/source.js';
import { fail, Fields, isPlainObject, typeName, type LoadContext } from './context.js';

/**
 * A task's module arguments: built from the task (a mapping, a free-form
 * string, `k=v` words, plus `args:`) and checked against the module's schema
 * at load time, so a typo fails before any host is contacted. The task's
 * keywords are parsed in tasks.ts.
 */

/** Build the module's argument object: mapping, free-form string, `k=v` string, plus `args:`. */
export function moduleArgs(f: Fields, key: string, mod: Module, ctx: LoadContext): Record<string, unknown> | undefined {
  const v = f.obj[key];
  const vPos = f.pos(key);
  const args: Record<string, unknown> = {};
  const slots: Array<[string, { keyPos?: SourcePos; valuePos: SourcePos }]> = [];
  const extra = f.has('args') ? f.map('args') : undefined;
  if (extra) {
    for (const [k, x] of Object.entries(extra)) {
      args[k] = x;
      slots.push([k, { keyPos: keyPosOf(extra, k) ?? vPos, valuePos: posOf(extra, k) ?? vPos }]);
    }
  }
  if (isPlainObject(v)) {
    if (!extra) return v; // keep the YAML object itself: it carries positions of nested values
    for (const [k, x] of Object.entries(v)) {
      args[k] = x;
      slots.push([k, { keyPos: keyPosOf(v, k) ?? vPos, valuePos: posOf(v, k) ?? vPos }]);
    }
  } else if (typeof v === 'string' || typeof v === 'number') {
    const text = String(v);
    const shape = objectShape(mod.schema);
    if (mod.freeForm) {
      // The module reads inline options (`chdir=/tmp ls -l`) itself; the whole text is its free-form argument.
      args[mod.freeForm] = text;
      slots.push([mod.freeForm, { valuePos: vPos }]);
    } else {
      // Ansible's parse_kv: split_args words (quotes kept), the value after '=' unquoted.
      for (const { raw: tok } of kvWords(text)) {
        const eq = tok.indexOf('=');
        if (eq <= 0) {
          fail(ctx, `module '${mod.name}' takes key=value arguments or a mapping; cannot read '${tok}'`, vPos);
          return undefined;
        }
        const k = tok.slice(0, eq);
        args[k] = coerceKv(shape?.[k], unquote(tok.slice(eq + 1)));
        slots.push([k, { valuePos: vPos }]);
      }
    }
  } else if (v !== null && v !== undefined) {
    fail(ctx, `arguments of module '${mod.name}' must be a mapping${mod.freeForm ? ' or a string' : ''}, got ${typeName(v)}`, vPos);
    return undefined;
  }
  setPositions(args, vPos, slots);
  return args;
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) return s.slice(1, -1);
  return s;
}

/** A `k=v` value is text; turn it into the boolean or number the schema wants, if it wants one. */
function coerceKv(field: ZodType | undefined, raw: string): unknown {
  if (!field) return raw;
  const candidates: unknown[] = [raw];
  if (/^(yes|true|on)$/i.test(raw)) candidates.push(true);
  if (/^(no|false|off)$/i.test(raw)) candidates.push(false);
  if (/^-?\d+(\.\d+)?$/.test(raw)) candidates.push(Number(raw));
  for (const c of candidates) if (field.safeParse(c).success) return c;
  return raw;
}

type Def = { type?: string; shape?: Record<string, ZodType>; in?: ZodType; innerType?: ZodType; options?: ZodType[]; left?: ZodType; right?: ZodType; schema?: ZodType };

/** The keys an argument schema knows, through wrappers (pipe, optional, union, intersection). */
export function objectShape(schema: ZodType | undefined, depth = 0): Record<string, ZodType> | undefined {
  if (!schema || depth > 10) return undefined;
  const def = (schema as unknown as { _zod?: { def?: Def } })._zod?.def;
  if (!def) return undefined;
  if (def.type === 'object' && def.shape) return def.shape;
  if (def.type === 'pipe') return objectShape(def.in, depth + 1);
  if (def.innerType) return objectShape(def.innerType, depth + 1);
  if (def.type === 'union' && def.options) {
    const all: Record<string, ZodType> = {};
    for (const o of def.options) Object.assign(all, objectShape(o, depth + 1) ?? {});
    return all;
  }
  if (def.type === 'intersection') return { ...(objectShape(def.left, depth + 1) ?? {}), ...(objectShape(def.right, depth + 1) ?? {}) };
  return undefined;
}

function valueAt(root: unknown, p: ReadonlyArray<PropertyKey>): { value: unknown; templatedOnPath: boolean } {
  let cur: unknown = root;
  for (const k of p) {
    if (typeof cur === 'string' && isTemplated(cur)) return { value: cur, templatedOnPath: true };
    if (!cur || typeof cur !== 'object') return { value: undefined, templatedOnPath: false };
    cur = (cur as Record<string, unknown>)[k as string];
  }
  return { value: cur, templatedOnPath: typeof cur === 'string' && isTemplated(cur) };
}

function containsTemplate(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v);
  if (Array.isArray(v)) return v.some(containsTemplate);
  if (isPlainObject(v)) return Object.values(v).some(containsTemplate);
  return false;
}

/**
 * Check literal argument values against the module schema. Templated strings
 * are only known per host at run time, so issues on them are skipped.
 */
export function validateArgs(mod: Module, args: Record<string, unknown>, modPos: SourcePos, ctx: LoadContext): void {
  const r = mod.schema.safeParse(args);
  if (r.success) return;
  const shape = objectShape(mod.schema);
  for (const issue of r.error.issues) {
    const { value, templatedOnPath } = valueAt(args, issue.path);
    if (templatedOnPath) continue;
    if ((issue.code === 'invalid_union' || issue.code === 'custom') && issue.path.length > 0 && containsTemplate(value)) continue;
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const parent = valueAt(args, issue.path).value;
      const known = issue.path.length === 0 ? Object.keys(shape ?? {}) : [];
      for (const k of issue.keys) {
        const dym = didYouMean(k, known);
        fail(
          ctx,
          `module '${mod.name}' has no argument '${[...issue.path.map(String), k].join('.')}'${dym ? ` (did you mean '${dym}'?)` : ''}`,
          keyPosOf(parent, k) ?? posAtPath(args, issue.path, modPos),
        );
      }
      continue;
    }
    if (value === undefined && issue.code === 'invalid_type') {
      fail(ctx, `module '${mod.name}': missing required argument '${where}'`, issue.path.length > 1 ? posAtPath(args, issue.path, modPos) : modPos);
      continue;
    }
    const pos = issue.path.length ? posAtPath(args, issue.path, modPos) : modPos;
    let message = issue.message;
    if (issue.code === 'invalid_union') {
      // zod says only "Invalid input" for a union; name what each branch wanted.
      const expected = new Set<string>();
      for (const branch of issue.errors) for (const sub of branch) if (sub.code === 'invalid_type' && sub.path.length === 0) expected.add(sub.expected);
      if (expected.size) message = `expected ${[...expected].join(' or ')}, got ${typeName(value)}`;
    }
    fail(ctx, `module '${mod.name}'${where ? ` argument '${where}'` : ''}: ${message}`, pos);
  }
}
