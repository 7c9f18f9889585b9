import { InputError, InputErrors } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import type { Node, RoleScope, TaskNode } from './types.js';
import { containerPos, keyPosOf, posOf } from '../util/source-positions.js';
import { isVarName } from '../util/var-names.js';

/** State shared while one playbook is loaded: options and every error found so far. */
export interface LoadContext {
  /** Absolute directories searched for roles after `<playbook dir>/roles`. */
  rolesPath: string[];
  errors: InputError[];
}

/** State of the play being assembled (roles run once, handlers collected). */
export interface PlayBuild {
  /** Directory of the playbook file that defines the play. */
  baseDir: string;
  handlers: TaskNode[];
  /** Handler name -> where it was first defined, per definition scope (play, or role dir). */
  handlerScopes: Map<string, Map<string, SourcePos>>;
  roles: RoleScope[];
  /** role dir + params: roles already expanded in this play (Ansible runs them once). */
  seenRoles: Set<string>;
  /** Role dirs whose handlers/verify tasks are already loaded. */
  loadedRoleFiles: Set<string>;
  verifyTasks: Node[];
}

export function newPlayBuild(baseDir: string): PlayBuild {
  return { baseDir, handlers: [], handlerScopes: new Map(), roles: [], seenRoles: new Set(), loadedRoleFiles: new Set(), verifyTasks: [] };
}

/** Where tasks being parsed live. */
export interface TaskScope {
  /** Absolute path of the file being parsed (include_tasks resolve relative to it). */
  file: string;
  baseDir: string;
  role?: RoleScope;
  /** Parsing a handlers list (allows `listen`). */
  handlers?: boolean;
  /** Absolute paths of task files being imported, for cycle detection. */
  importStack: string[];
}

/**
 * The YAML mapping each node was parsed from, so validation can point at the
 * exact value of a keyword (`when`, `loop`, `notify` …) without the AST
 * carrying positions for every field.
 */
const nodeSources = new WeakMap<object, Record<string, unknown>>();

export function setNodeSource(node: object, raw: Record<string, unknown>): void {
  nodeSources.set(node, raw);
}

export function nodeSource(node: object): Record<string, unknown> | undefined {
  return nodeSources.get(node);
}

/** Position of keyword `key` of a node (item `index` when its value is a list), else the node's. */
export function keywordPos(node: { pos: SourcePos }, key: string, index?: number): SourcePos {
  const raw = nodeSources.get(node);
  if (!raw) return node.pos;
  const v = raw[key];
  if (index !== undefined && Array.isArray(v)) return posOf(v, index) ?? posOf(raw, key) ?? node.pos;
  return posOf(raw, key) ?? node.pos;
}

/** Run `f`, turning a thrown InputError into a collected one. */
export function collect<T>(ctx: LoadContext, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) ctx.errors.push(e);
    else if (e instanceof InputErrors) ctx.errors.push(...e.errors);
    else throw e;
    return undefined;
  }
}

export function fail(ctx: LoadContext, detail: string, pos: SourcePos | undefined, hint?: string): void {
  ctx.errors.push(new InputError(detail, pos, hint));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/**
 * Typed access to the keys of one YAML mapping, reporting wrong types at the
 * value's position. Each getter returns undefined when the key is absent or wrong.
 */
export class Fields {
  constructor(
    readonly obj: Record<string, unknown>,
    readonly ctx: LoadContext,
    readonly what: string,
    readonly fallback: SourcePos,
  ) {}

  has(k: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, k);
  }

  pos(k: string): SourcePos {
    return posOf(this.obj, k) ?? this.fallback;
  }

  keyPos(k: string): SourcePos {
    return keyPosOf(this.obj, k) ?? this.fallback;
  }

  get self(): SourcePos {
    return containerPos(this.obj) ?? this.fallback;
  }

  private bad(k: string, expected: string): undefined {
    fail(this.ctx, `${this.what} '${k}' must be ${expected}, got ${typeName(this.obj[k])}`, this.pos(k));
    return undefined;
  }

  string(k: string): string | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    return this.bad(k, 'a string');
  }

  bool(k: string): boolean | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (typeof v === 'boolean') return v;
    return this.bad(k, 'true or false');
  }

  /** A boolean, or a template/expression string decided at run time. */
  boolOrTemplate(k: string): boolean | string | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (typeof v === 'boolean' || typeof v === 'string') return v;
    return this.bad(k, 'true, false or a template');
  }

  number(k: string): number | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
    return this.bad(k, 'a number');
  }

  map(k: string): Record<string, unknown> | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (v === null) return {};
    if (isPlainObject(v)) return v;
    return this.bad(k, 'a mapping');
  }

  /** A `vars:` mapping; each name must be a valid variable name (as Ansible checks). */
  vars(k = 'vars'): Record<string, unknown> | undefined {
    const v = this.map(k);
    for (const name of Object.keys(v ?? {})) {
      if (!isVarName(name)) fail(this.ctx, `'${name}' is not a valid variable name`, keyPosOf(v, name) ?? this.pos(k), 'letters, digits and _, not starting with a digit, and not a Python keyword');
    }
    return v;
  }

  list(k: string): unknown[] | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (v === null) return [];
    if (Array.isArray(v)) return v;
    return this.bad(k, 'a list');
  }

  /** A string or a list of strings (`notify`, `until`). */
  stringList(k: string): string[] | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    return this.bad(k, 'a string or a list of strings');
  }

  /** `when`-like: a string, a boolean, or a list of them; each becomes one expression. */
  conditions(k: string): string[] | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (v === null) return [];
    const one = (x: unknown) => typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number';
    if (one(v)) return [String(v)];
    if (Array.isArray(v) && v.every(one)) return v.map(String);
    return this.bad(k, 'a condition or a list of conditions');
  }

  /** Tags: a list, or a comma-separated string. */
  tags(k: string): string[] | undefined {
    if (!this.has(k)) return undefined;
    const v = this.obj[k];
    if (v === null) return [];
    if (typeof v === 'string' || typeof v === 'number') return String(v).split(',').map((s) => s.trim()).filter(Boolean);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    return this.bad(k, 'a tag or a list of tags');
  }
}
