import type { RoleScope, Vars } from '../playbook/types.js';
import { renderDeep } from '../template/index.js';
import { InputError } from '../util/errors.js';

/**
 * Variable precedence, lowest first (the README's table says the same):
 *  1. role defaults            (roles/x/defaults/main.yaml)
 *  2. inventory vars           (all < parent group < child group < host, host_vars/ and group_vars/ included)
 *  3. gathered facts           (ansible_*, ansible_facts)
 *  4. play vars                (vars:)
 *  5. play vars_files          (vars_files:)
 *  6. role vars                (roles/x/vars/main.yaml)
 *  7. role params              (roles: [{role: x, k: v}])
 *  8. block vars, then task vars (outer to inner)
 *  9. host facts set at run time: include_vars, set_fact, register
 * 10. extra vars               (-e)
 * Magic variables (the list: playbook/magic-vars.ts) cannot be overridden.
 */
export interface VarLayers {
  roleDefaults?: Vars;
  inventory: Vars;
  facts: Vars;
  playVars: Vars;
  varsFiles: Vars;
  roleVars?: Vars;
  roleParams?: Vars;
  scopeVars: Vars[];
  runtime: Vars;
  extra: Vars;
  magic: Vars;
  /** Magic values computed on first read (most tasks never read `groups` or `ansible_play_hosts`). */
  lazyMagic?: Record<string, () => unknown>;
}

export function mergeVars(l: VarLayers): Vars {
  const merged = Object.assign(
    {},
    l.roleDefaults,
    l.inventory,
    l.facts,
    l.playVars,
    l.varsFiles,
    l.roleVars,
    l.roleParams,
    ...l.scopeVars,
    l.runtime,
    l.extra,
  );
  // Magic values are set last, plain: they are never templates and hostvars must stay a lazy proxy.
  const out = lazyTemplated(merged, EMPTY);
  for (const [k, v] of Object.entries(l.magic)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const [k, f] of Object.entries(l.lazyMagic ?? {})) {
    Object.defineProperty(out, k, {
      enumerable: true,
      configurable: true,
      get(this: Vars) {
        const value = f();
        Object.defineProperty(this, k, { value, enumerable: true, writable: true, configurable: true });
        return value;
      },
      set(this: Vars, value: unknown) {
        Object.defineProperty(this, k, { value, enumerable: true, writable: true, configurable: true });
      },
    });
  }
  return out;
}

const EMPTY: ReadonlySet<string> = new Set();

export function roleLayers(role: RoleScope | undefined): Pick<VarLayers, 'roleDefaults' | 'roleVars' | 'roleParams'> {
  if (!role) return {};
  return { roleDefaults: role.defaults, roleVars: role.vars, roleParams: role.params };
}

/**
 * Ansible templates variables lazily: `web_root: "{{workdir}}/app"` in role
 * defaults is rendered when a task reads it, against that task's variables.
 * Templated values become getters that render on first read (memoised per
 * scope object); an undefined reference fails where the value is used, not
 * where it is defined.
 */
export function lazyTemplated(vars: Vars, skip: ReadonlySet<string>): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(vars)) {
    if (!skip.has(k) && containsTemplate(v)) defineLazy(out, k, v);
    else out[k] = v;
  }
  return out;
}

/** A new scope: `base` plus `extra`, keeping base's lazy getters lazy (spreading would run them all). */
export function extendVars(base: Vars, extra: Vars): Vars {
  const o = Object.defineProperties({}, Object.getOwnPropertyDescriptors(base)) as Vars;
  for (const [k, v] of Object.entries(extra)) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const memo = new WeakMap<object, Map<string, unknown>>();
const resolving = new WeakMap<object, Set<string>>();

function defineLazy(o: Vars, key: string, raw: unknown): void {
  Object.defineProperty(o, key, {
    enumerable: true,
    configurable: true,
    get(this: Vars) {
      let m = memo.get(this);
      if (m?.has(key)) return m.get(key);
      let active = resolving.get(this);
      if (!active) resolving.set(this, (active = new Set()));
      if (active.has(key)) throw new InputError(`variable '${key}' refers to itself (${String(raw).slice(0, 80)})`);
      active.add(key);
      try {
        const value = renderDeep(raw, this);
        if (!m) memo.set(this, (m = new Map()));
        m.set(key, value);
        return value;
      } finally {
        active.delete(key);
      }
    },
    set(this: Vars, value: unknown) {
      Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
    },
  });
}

const templatedObjects = new WeakMap<object, boolean>();

export function containsTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (!v || typeof v !== 'object') return false;
  const known = templatedObjects.get(v);
  if (known !== undefined) return known;
  const r = Array.isArray(v) ? v.some(containsTemplate) : Object.values(v).some(containsTemplate);
  templatedObjects.set(v, r);
  return r;
}
