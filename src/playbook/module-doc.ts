import { z, type ZodType } from 'zod';
import type { Module } from '../modules/types.js';
import { objectShape } from './module-args.js';

/**
 * A module's arguments as `drover doc` shows them, read from its zod schema
 * (the same schema that validates tasks), so the documentation cannot drift
 * from what drover accepts: type, default, choices, required, description,
 * aliases. Argument aliases are written in the main argument's description
 * as "(aliases: a, b)"; the alias keys are folded into it.
 */
export interface ArgDoc {
  name: string;
  /** Ansible's words: str, int, number, bool, list, dict, raw; alternatives joined with " or ". */
  type: string;
  /** The type of a list's elements. */
  elements?: string;
  required: boolean;
  /** The value used when the argument is not given (absent: none). */
  default?: unknown;
  choices?: unknown[];
  description?: string;
  aliases: string[];
}

type JSONSchema = Record<string, unknown>;

/** JSON Schema of a module's arguments (what a task may write), without the $schema line. */
export function moduleArgsJsonSchema(m: Module): JSONSchema {
  let s: JSONSchema;
  try {
    s = z.toJSONSchema(m.schema, { io: 'input', unrepresentable: 'any' }) as JSONSchema;
  } catch {
    s = { type: 'object' };
  }
  delete s.$schema;
  return s;
}

const TYPE_WORDS: Record<string, string> = { string: 'str', integer: 'int', number: 'number', boolean: 'bool', array: 'list', object: 'dict', null: 'null' };

function typeWords(p: JSONSchema | undefined): string[] {
  if (!p) return ['raw'];
  const out: string[] = [];
  const t = p.type;
  if (typeof t === 'string') out.push(TYPE_WORDS[t] ?? t);
  else if (Array.isArray(t)) for (const x of t) out.push(TYPE_WORDS[String(x)] ?? String(x));
  else if (Array.isArray(p.enum)) out.push(...new Set(p.enum.map((v) => (typeof v === 'string' ? 'str' : typeof v === 'number' ? 'int' : typeof v === 'boolean' ? 'bool' : 'raw'))));
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = p[k];
    if (Array.isArray(alts)) for (const a of alts) out.push(...typeWords(a as JSONSchema));
  }
  if (Array.isArray(p.allOf)) for (const a of p.allOf) out.push(...typeWords(a as JSONSchema));
  const words = [...new Set(out.filter((w) => w !== 'null'))];
  return words.length ? words : ['raw'];
}

function choicesOf(p: JSONSchema | undefined): unknown[] | undefined {
  if (!p) return undefined;
  if (Array.isArray(p.enum)) return p.enum;
  if (p.const !== undefined) return [p.const];
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = p[k];
    if (!Array.isArray(alts)) continue;
    const all: unknown[] = [];
    for (const a of alts) {
      const c = choicesOf(a as JSONSchema);
      if (c) all.push(...c);
    }
    if (all.length) return [...new Set(all)];
  }
  return undefined;
}

/** The argument keys, also behind a preprocess step (openssl_csr renames Ansible's aliases first). */
function argShape(schema: ZodType): Record<string, ZodType> | undefined {
  const direct = objectShape(schema);
  if (direct) return direct;
  const def = (schema as unknown as { _zod?: { def?: { type?: string; out?: ZodType } } })._zod?.def;
  return def?.type === 'pipe' && def.out ? objectShape(def.out) : undefined;
}

const ALIASES = /\s*\(alias(?:es)?: ([^)]*)\)/;

/** The arguments of a module, sorted by name, aliases folded into their main argument. */
export function moduleArgDocs(m: Module): ArgDoc[] {
  const shape = argShape(m.schema) ?? {};
  const props = (moduleArgsJsonSchema(m).properties ?? {}) as Record<string, JSONSchema>;
  const docs = new Map<string, ArgDoc>();
  const aliasOf = new Set<string>();
  for (const name of Object.keys(shape)) {
    const field = shape[name] as ZodType;
    const p = props[name];
    const empty = field.safeParse(undefined);
    let description = typeof p?.description === 'string' ? p.description : field.description;
    let aliases: string[] = [];
    const m2 = description ? ALIASES.exec(description) : null;
    if (m2 && description) {
      aliases = m2[1]!.split(',').map((s) => s.trim()).filter((a) => a in shape);
      description = (description.slice(0, m2.index) + description.slice(m2.index + m2[0].length)).trim();
      for (const a of aliases) aliasOf.add(a);
    }
    const doc: ArgDoc = { name, type: typeWords(p).join(' or '), required: !empty.success, aliases };
    if (empty.success && empty.data !== undefined) doc.default = empty.data;
    if (description) doc.description = description;
    const choices = choicesOf(p);
    if (choices) doc.choices = choices;
    if (p?.type === 'array' && p.items) doc.elements = typeWords(p.items as JSONSchema).join(' or ');
    docs.set(name, doc);
  }
  for (const a of aliasOf) docs.delete(a);
  return [...docs.values()].sort((a, b) => a.name.localeCompare(b.name));
}
