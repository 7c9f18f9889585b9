import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { collect, fail, Fields, isPlainObject, typeName, type LoadContext, type PlayBuild } from './context.js';
import { loadTaskFile, setRoleExpander, type RoleInclude } from './tasks.js';
import type { BlockNode, Node, RoleScope, TaskNode, Vars } from './types.js';
import { copyPosition, mergePositioned, posOf } from '../util/source-positions.js';
import { didYouMean } from '../util/did-you-mean.js';
import { loadVarsFile, loadYamlFile } from '../util/yaml.js';

/**
 * Roles: found in `roles/` beside the playbook, then in each rolesPath entry.
 * A role expands to its dependencies' tasks then its own; listed twice with
 * the same params it runs once per play (Ansible semantics).
 */

export interface RoleRef {
  name: string;
  pos: SourcePos;
  params: Vars;
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  environment?: Record<string, unknown> | string;
  tasksFrom?: string | undefined;
}

/** Keys of a `roles:` entry that are keywords; any other key is a role parameter (as in Ansible). */
const ROLE_ENTRY_KEYWORDS = ['role', 'name', 'vars', 'tags', 'when', 'become', 'become_user', 'environment'];

/** Read one entry of `roles:` or of meta `dependencies:`. */
export function parseRoleRef(raw: unknown, pos: SourcePos, ctx: LoadContext, _baseDir: string): RoleRef {
  if (typeof raw === 'string') {
    if (!raw.trim()) throw new InputError(`empty role name`, pos);
    return { name: raw, pos, params: {}, when: [], tags: [] };
  }
  if (!isPlainObject(raw)) throw new InputError(`a role entry must be a role name or a mapping with 'role', got ${typeName(raw)}`, pos);
  const f = new Fields(raw, ctx, 'role option', pos);
  const nameKey = f.has('role') ? 'role' : f.has('name') ? 'name' : undefined;
  if (!nameKey) throw new InputError(`a role entry needs 'role: NAME'`, f.self);
  const name = f.string(nameKey);
  if (!name) throw new InputError(`a role entry needs 'role: NAME'`, f.pos(nameKey));
  const direct: Vars = {};
  for (const [k, v] of Object.entries(raw)) if (!ROLE_ENTRY_KEYWORDS.includes(k)) direct[k] = v;
  const params = mergePositioned(f.map('vars'), direct);
  for (const k of Object.keys(direct)) copyPosition(raw, k, params, k, f.pos(k));
  const ref: RoleRef = { name, pos: f.pos(nameKey), params, when: f.conditions('when') ?? [], tags: f.tags('tags') ?? [] };
  const become = f.bool('become');
  if (become !== undefined) ref.become = become;
  const bu = f.string('become_user');
  if (bu !== undefined) ref.becomeUser = bu;
  if (f.has('environment')) {
    const env = raw.environment;
    if (typeof env === 'string' || isPlainObject(env)) ref.environment = env;
  }
  return ref;
}

/** The directory of role `name`, or an InputError naming where it looked. */
export function findRole(name: string, pos: SourcePos, ctx: LoadContext, baseDir: string): string {
  const candidates: string[] = [];
  if (name.includes('/') || name.startsWith('.')) candidates.push(path.resolve(baseDir, name));
  else {
    candidates.push(path.join(baseDir, 'roles', name));
    for (const rp of ctx.rolesPath) candidates.push(path.join(rp, name));
  }
  for (const c of candidates) if (isDir(c)) return c;
  const known = new Set<string>();
  for (const dir of [path.join(baseDir, 'roles'), ...ctx.rolesPath]) {
    try {
      for (const e of readdirSync(dir)) if (isDir(path.join(dir, e))) known.add(e);
    } catch {
      // a roles directory that does not exist has no roles
    }
  }
  const dym = didYouMean(name, known);
  throw new InputError(
    `role '${name}' not found${dym ? ` (did you mean '${dym}'?)` : ''}`,
    pos,
    `looked in ${[...new Set(candidates.map((c) => displayPath(path.dirname(c))))].join(', ')}`,
  );
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `<dir>/<sub>/<base>.yaml` or `.yml`, if either exists. */
export function roleFile(dir: string, sub: string, base = 'main'): string | undefined {
  for (const ext of ['.yaml', '.yml', '']) {
    const p = path.join(dir, sub, base + ext);
    if (existsSync(p) && !isDir(p)) return p;
  }
  return undefined;
}

function loadRoleVars(file: string | undefined, ctx: LoadContext): Vars {
  if (!file) return {};
  return collect(ctx, () => loadVarsFile(file)) ?? {};
}

interface RoleMeta {
  deps: RoleRef[];
  allowDuplicates: boolean;
}

function loadMeta(dir: string, ctx: LoadContext, baseDir: string): RoleMeta {
  const file = roleFile(dir, 'meta');
  if (!file) return { deps: [], allowDuplicates: false };
  const src = collect(ctx, () => loadYamlFile(file));
  if (!src || src.value === null) return { deps: [], allowDuplicates: false };
  if (!isPlainObject(src.value)) {
    fail(ctx, `meta/main must be a mapping, got ${typeName(src.value)}`, src.pos);
    return { deps: [], allowDuplicates: false };
  }
  const f = new Fields(src.value, ctx, 'meta key', src.pos);
  const list = f.list('dependencies') ?? [];
  const deps: RoleRef[] = [];
  list.forEach((d, i) => {
    const ref = collect(ctx, () => parseRoleRef(d, posOf(list, i) ?? src.pos, ctx, baseDir));
    if (ref) deps.push(ref);
  });
  return { deps, allowDuplicates: f.bool('allow_duplicates') ?? false };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * Add handlers to the play. Two handlers with one name in the same list (the
 * play's, or one role's handlers file) are an error; a role may define a
 * handler with the same name as another role (both answer the notification).
 */
export function addHandlers(build: PlayBuild, nodes: Node[], scopeKey: string, ctx: LoadContext): void {
  let names = build.handlerScopes.get(scopeKey);
  if (!names) build.handlerScopes.set(scopeKey, (names = new Map()));
  for (const n of nodes) {
    if (n.kind !== 'task') {
      fail(ctx, `handlers must be plain module tasks, not ${n.kind === 'block' ? 'blocks' : n.kind}`, n.pos);
      continue;
    }
    if (n.name !== undefined) {
      const first = names.get(n.name);
      if (first) {
        fail(ctx, `duplicate handler name '${n.name}' (first defined at ${first.file}:${first.line}:${first.col})`, n.pos);
        continue;
      }
      names.set(n.name, n.pos);
    }
    build.handlers.push(n as TaskNode);
  }
}

export interface ExpandOptions {
  /** Roles listed in `roles:` and dependencies run once per play; include_role always runs. */
  dedupe: boolean;
  /** Directory the reference was written in (for relative role paths). */
  fromDir?: string;
}

/**
 * Expand one role reference into nodes: its dependencies first, then its
 * tasks, wrapped in a block carrying the entry's when/tags/become.
 */
export function expandRoleRef(ref: RoleRef, ctx: LoadContext, build: PlayBuild, stack: Array<{ dir: string; name: string }>, opts: ExpandOptions): Node[] {
  const dir = collect(ctx, () => findRole(ref.name, ref.pos, ctx, build.baseDir));
  if (!dir) return [];
  const cycleAt = stack.findIndex((s) => s.dir === dir);
  if (cycleAt >= 0) {
    const names = [...stack.slice(cycleAt).map((s) => s.name), ref.name];
    fail(ctx, `role dependency cycle: ${names.join(' -> ')}`, ref.pos);
    return [];
  }
  const name = path.basename(dir);
  const meta = loadMeta(dir, ctx, build.baseDir);
  const key = `${dir}\0${stableJson(ref.params)}\0${ref.tasksFrom ?? ''}`;
  if (opts.dedupe && !meta.allowDuplicates && build.seenRoles.has(key)) return [];

  const scope: RoleScope = {
    name,
    path: dir,
    defaults: loadRoleVars(roleFile(dir, 'defaults'), ctx),
    vars: loadRoleVars(roleFile(dir, 'vars'), ctx),
    params: ref.params,
  };

  const depNodes: Node[] = [];
  for (const dep of meta.deps) {
    depNodes.push(...expandRoleRef(dep, ctx, build, [...stack, { dir, name: ref.name }], { dedupe: true }));
  }
  if (opts.dedupe) build.seenRoles.add(key);
  build.roles.push(scope);

  const taskScope = { baseDir: build.baseDir, role: scope, importStack: [] as string[] };
  let tasks: Node[] = [];
  const tasksFile = roleFile(dir, 'tasks', ref.tasksFrom ?? 'main');
  if (tasksFile) {
    tasks = collect(ctx, () => loadTaskFile(tasksFile, ref.pos, ctx, { ...taskScope, importStack: [tasksFile] }, build)) ?? [];
  } else if (ref.tasksFrom) {
    fail(ctx, `role '${name}' has no tasks file '${ref.tasksFrom}'`, ref.pos, `looked for ${displayPath(path.join(dir, 'tasks', ref.tasksFrom))}.yaml`);
  }

  if (!build.loadedRoleFiles.has(dir)) {
    build.loadedRoleFiles.add(dir);
    const hf = roleFile(dir, 'handlers');
    if (hf) {
      const handlers = collect(ctx, () => loadTaskFile(hf, ref.pos, ctx, { ...taskScope, handlers: true, importStack: [hf] }, build)) ?? [];
      addHandlers(build, handlers, `role:${dir}`, ctx);
    }
    const vf = roleFile(dir, 'verify');
    if (vf) build.verifyTasks.push(...(collect(ctx, () => loadTaskFile(vf, ref.pos, ctx, { ...taskScope, importStack: [vf] }, build)) ?? []));
  }

  const block: BlockNode = {
    kind: 'block',
    name: `role ${name}`,
    pos: ref.pos,
    when: ref.when,
    tags: ref.tags,
    vars: {},
    baseDir: build.baseDir,
    role: scope,
    block: [...depNodes, ...tasks],
    rescue: [],
    always: [],
  };
  if (ref.become !== undefined) block.become = ref.become;
  if (ref.becomeUser !== undefined) block.becomeUser = ref.becomeUser;
  if (ref.environment !== undefined) block.environment = ref.environment;
  return [block];
}

/** A literal import_role/include_role: an explicitly included role always runs (no once-per-play dedup), as in Ansible. */
function expandIncludedRole(inc: RoleInclude, ctx: LoadContext, build: PlayBuild): Node[] {
  const ref = parseRoleRef({ role: inc.name, vars: inc.vars }, inc.pos, ctx, build.baseDir);
  return expandRoleRef({ ...ref, tasksFrom: inc.tasksFrom }, ctx, build, [], { dedupe: false, fromDir: inc.fromDir });
}
setRoleExpander(expandIncludedRole);
