import { existsSync } from 'node:fs';
import path from 'node:path';
import { getModule, moduleNames } from '../modules/registry.js';
import { InputError } from '../util/errors.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { collect, fail, Fields, setNodeSource, isPlainObject, typeName, type LoadContext, type PlayBuild, type TaskScope } from './context.js';
import type { BlockNode, IncludeNode, LoopSpec, MetaNode, Node, TaskKeywords, TaskNode, Vars } from './types.js';
import { containerPos, keyPosOf, mergePositioned, posOf } from '../util/source-positions.js';
import { didYouMean, editDistance } from '../util/did-you-mean.js';
import { isTemplated } from '../template/index.js';
import { loadYamlFile } from '../util/yaml.js';
import { moduleArgs, validateArgs } from './module-args.js';
import { isVarName } from '../util/var-names.js';

/**
 * Task parsing: one YAML mapping -> one AST node. Modules are looked up in the
 * registry and their arguments checked against the module's zod schema here,
 * at load time, so a typo fails before any host is contacted.
 */

/** Keywords every node kind shares. */
const COMMON = ['name', 'when', 'tags', 'become', 'become_user', 'vars', 'environment', 'ignore_errors', 'no_log', 'delegate_to', 'run_once'];
const LOOP = ['loop', 'with_items', 'with_list', 'loop_control'];
export const TASK_KEYWORDS = [
  ...COMMON,
  ...LOOP,
  'register',
  'notify',
  'changed_when',
  'failed_when',
  'until',
  'retries',
  'delay',
  'timeout',
  'args',
  'listen',
  'check_mode',
];
const BLOCK_KEYS = [...COMMON, 'block', 'rescue', 'always'];
const INCLUDE_KEYS = [...COMMON, ...LOOP];
const IMPORT_KEYS = [...COMMON];
const META_KEYS = ['name', 'when', 'tags'];
const META_ACTIONS: MetaNode['action'][] = ['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_facts', 'refresh_inventory'];
const SPECIAL = ['block', 'include_tasks', 'import_tasks', 'include_role', 'import_role', 'meta'];

const SPECIAL_ALIASES: Record<string, string> = Object.fromEntries(SPECIAL.map((k) => [`ansible.builtin.${k}`, k]));

/** Where each include was written, so run-time includes resolve like load-time ones. */
export interface IncludeOrigin {
  scope: TaskScope;
  rolesPath: string[];
}
const includeOrigins = new WeakMap<IncludeNode, IncludeOrigin>();

export function includeOrigin(node: IncludeNode): IncludeOrigin | undefined {
  return includeOrigins.get(node);
}

/** A role named by a literal import_role/include_role, to expand while loading. */
export interface RoleInclude {
  name: string;
  vars: Vars;
  tasksFrom: string | undefined;
  pos: SourcePos;
  /** Directory of the task file that names the role. */
  fromDir: string;
}
export type RoleExpander = (include: RoleInclude, ctx: LoadContext, build: PlayBuild) => Node[];

/**
 * Roles are made of task files and a task file may import a role, so the two
 * loaders recurse into each other. The role loader (roles.ts, which imports
 * this file) hands its expander over here when it is loaded; this file does
 * not import it back, and the modules form no cycle.
 */
let roleExpander: RoleExpander | undefined;
export function setRoleExpander(expand: RoleExpander): void {
  roleExpander = expand;
}

/** Load a task file (a YAML list of tasks). */
export function loadTaskFile(file: string, from: SourcePos | undefined, ctx: LoadContext, scope: Omit<TaskScope, 'file'>, build: PlayBuild): Node[] {
  const src = loadYamlFile(file, from);
  if (src.value === null) return [];
  if (!Array.isArray(src.value)) {
    fail(ctx, `a task file must be a list of tasks, got ${typeName(src.value)}`, src.pos);
    return [];
  }
  return parseTaskList(src.value, ctx, { ...scope, file: src.path }, build);
}

/** Parse a YAML list of tasks. Errors are collected in ctx; bad tasks are dropped. */
export function parseTaskList(list: unknown[], ctx: LoadContext, scope: TaskScope, build: PlayBuild): Node[] {
  const out: Node[] = [];
  list.forEach((raw, i) => {
    const pos = posOf(list, i) ?? containerPos(list) ?? { file: displayPath(scope.file), line: 1, col: 1 };
    const node = collect(ctx, () => parseTask(raw, pos, ctx, scope, build));
    if (node) {
      setNodeSource(node, raw as Record<string, unknown>);
      out.push(node);
    }
  });
  return out;
}

/** Parse the keys of a node that is not a module call into the common keywords. */
function keywords(f: Fields, scope: TaskScope): TaskKeywords {
  const kw: TaskKeywords = {
    pos: f.self,
    when: f.conditions('when') ?? [],
    tags: f.tags('tags') ?? [],
    vars: f.vars() ?? {},
    baseDir: scope.baseDir,
  };
  const name = f.string('name');
  if (name !== undefined) kw.name = name;
  const become = f.bool('become');
  if (become !== undefined) kw.become = become;
  const becomeUser = f.string('become_user');
  if (becomeUser !== undefined) kw.becomeUser = becomeUser;
  if (f.has('environment')) {
    const env = f.obj.environment;
    if (typeof env === 'string' || isPlainObject(env)) kw.environment = env;
    else fail(f.ctx, `'environment' must be a mapping or a template, got ${typeName(env)}`, f.pos('environment'));
  }
  const ie = f.boolOrTemplate('ignore_errors');
  if (ie !== undefined) kw.ignoreErrors = ie;
  const nl = f.boolOrTemplate('no_log');
  if (nl !== undefined) kw.noLog = nl;
  const dt = f.string('delegate_to');
  if (dt !== undefined) kw.delegateTo = dt;
  const ro = f.bool('run_once');
  if (ro !== undefined) kw.runOnce = ro;
  if (scope.role) kw.role = scope.role;
  return kw;
}

function loopSpec(f: Fields): LoopSpec | undefined {
  const keys = ['loop', 'with_items', 'with_list'].filter((k) => f.has(k));
  if (keys.length === 0) {
    if (f.has('loop_control')) fail(f.ctx, `'loop_control' without 'loop'`, f.keyPos('loop_control'));
    return undefined;
  }
  if (keys.length > 1) fail(f.ctx, `a task may have only one of ${keys.map((k) => `'${k}'`).join(', ')}`, f.keyPos(keys[1]!));
  const key = keys[0]!;
  let items = f.obj[key];
  if (!(typeof items === 'string' || Array.isArray(items))) {
    fail(f.ctx, `'${key}' must be a list or a template that renders to a list, got ${typeName(items)}`, f.pos(key));
    items = [];
  }
  // A literal string is no list: Ansible fails `loop` on it at run time; with_items/with_list make it the one item.
  if (typeof items === 'string' && !isTemplated(items)) {
    if (key === 'loop') {
      fail(f.ctx, `'loop' must be a list or a template that renders to a list, got the string ${JSON.stringify(items)}`, f.pos(key), 'write loop: [a, b] or loop: "{{ a_list }}"');
      items = [];
    } else items = [items];
  }
  // with_items flattens one level (Ansible semantics); done here for literal lists.
  if (key === 'with_items' && Array.isArray(items)) items = items.flatMap((x) => (Array.isArray(x) ? x : [x]));
  const spec: LoopSpec = { items, loopVar: 'item' };
  const lc = f.map('loop_control');
  if (lc) {
    const lf = new Fields(lc, f.ctx, 'loop_control', f.pos('loop_control'));
    for (const k of Object.keys(lc)) {
      if (!['label', 'loop_var', 'index_var', 'pause', 'extended'].includes(k)) {
        const dym = didYouMean(k, ['label', 'loop_var', 'index_var']);
        fail(f.ctx, `unknown loop_control key '${k}'${dym ? ` (did you mean '${dym}'?)` : ''}`, lf.keyPos(k));
      }
    }
    const label = lf.string('label');
    if (label !== undefined) spec.label = label;
    const lv = lf.string('loop_var');
    if (lv !== undefined) {
      if (!isVarName(lv)) fail(f.ctx, `loop_var '${lv}' is not a valid variable name`, lf.pos('loop_var'));
      spec.loopVar = lv;
    }
    const iv = lf.string('index_var');
    if (iv !== undefined) spec.indexVar = iv;
  }
  return spec;
}

function checkKeys(f: Fields, allowed: string[], what: string): void {
  for (const k of Object.keys(f.obj)) {
    if (allowed.includes(k)) continue;
    const dym = didYouMean(k, allowed);
    fail(f.ctx, `unknown keyword '${k}' in ${what}${dym ? ` (did you mean '${dym}'?)` : ''}`, f.keyPos(k));
  }
}

function parseTask(raw: unknown, pos: SourcePos, ctx: LoadContext, scope: TaskScope, build: PlayBuild): Node | undefined {
  if (!isPlainObject(raw)) {
    throw new InputError(`a task must be a mapping (module: args), got ${typeName(raw)}`, pos);
  }
  const f = new Fields(raw, ctx, 'task keyword', pos);
  const keys = Object.keys(raw).map((k) => SPECIAL_ALIASES[k] ?? k);
  const norm = (k: string) => Object.keys(raw).find((rk) => (SPECIAL_ALIASES[rk] ?? rk) === k)!;

  if (keys.includes('block')) return parseBlock(f, ctx, scope, build);
  for (const special of ['include_tasks', 'import_tasks', 'include_role', 'import_role', 'meta'] as const) {
    if (!keys.includes(special)) continue;
    const other = keys.find((k) => k !== special && (SPECIAL.includes(k) || getModule(k)));
    if (other) throw new InputError(`a task has two actions: '${special}' and '${other}'`, f.keyPos(norm(other)));
    const rawKey = norm(special);
    if (special === 'meta') return parseMeta(f, rawKey, scope);
    if (special === 'include_tasks' || special === 'import_tasks') return parseTaskInclude(f, rawKey, special, ctx, scope, build);
    return parseRoleInclude(f, rawKey, special, ctx, scope, build);
  }
  return parseModuleTask(f, ctx, scope);
}

function parseBlock(f: Fields, ctx: LoadContext, scope: TaskScope, build: PlayBuild): BlockNode {
  for (const k of Object.keys(f.obj)) {
    if (BLOCK_KEYS.includes(k)) continue;
    if (getModule(k) || SPECIAL.includes(SPECIAL_ALIASES[k] ?? k)) {
      fail(ctx, `a block cannot have a module ('${k}'); put the task inside 'block:'`, f.keyPos(k));
    } else {
      const dym = didYouMean(k, BLOCK_KEYS);
      fail(ctx, `unknown keyword '${k}' in block${dym ? ` (did you mean '${dym}'?)` : ''}`, f.keyPos(k));
    }
  }
  const sub = (k: string): Node[] => {
    const l = f.list(k);
    return l ? parseTaskList(l, ctx, scope, build) : [];
  };
  return { kind: 'block', ...keywords(f, scope), block: sub('block'), rescue: sub('rescue'), always: sub('always') };
}

function parseMeta(f: Fields, key: string, scope: TaskScope): MetaNode {
  checkKeys(f, [...META_KEYS, key], "a 'meta' task");
  const action = f.obj[key];
  if (typeof action !== 'string' || !META_ACTIONS.includes(action as MetaNode['action'])) {
    const dym = typeof action === 'string' ? didYouMean(action, META_ACTIONS) : undefined;
    throw new InputError(
      `unknown meta action ${JSON.stringify(action)}${dym ? ` (did you mean '${dym}'?)` : ''}`,
      f.pos(key),
      `one of ${META_ACTIONS.join(', ')}`,
    );
  }
  return { kind: 'meta', ...keywords(f, scope), action: action as MetaNode['action'] };
}

/** Where a task file named in include_tasks/import_tasks lives. */
export function resolveTaskFile(target: string, scope: TaskScope): string[] {
  const candidates: string[] = [];
  if (path.isAbsolute(target)) return [target];
  if (scope.role) candidates.push(path.join(scope.role.path, 'tasks', target));
  candidates.push(path.join(path.dirname(scope.file), target));
  candidates.push(path.join(scope.baseDir, target));
  return [...new Set(candidates)];
}

function parseTaskInclude(
  f: Fields,
  key: string,
  kind: 'include_tasks' | 'import_tasks',
  ctx: LoadContext,
  scope: TaskScope,
  build: PlayBuild,
): Node | undefined {
  let target: string | undefined;
  let targetPos = f.pos(key);
  const v = f.obj[key];
  if (typeof v === 'string') target = v;
  else if (isPlainObject(v) && typeof v.file === 'string') {
    target = v.file;
    targetPos = posOf(v, 'file') ?? targetPos;
    for (const k of Object.keys(v)) if (k !== 'file' && k !== 'apply') fail(ctx, `unknown ${kind} option '${k}'`, keyPosOf(v, k) ?? targetPos);
  } else {
    throw new InputError(`'${kind}' needs a file name, got ${typeName(v)}`, targetPos);
  }
  checkKeys(f, [...(kind === 'include_tasks' ? INCLUDE_KEYS : IMPORT_KEYS), key], `'${kind}'`);
  const kw = keywords(f, scope);
  const literal = !isTemplated(target);
  if (kind === 'import_tasks' && !literal) throw new InputError(`import_tasks is static: its file name cannot be a template (use include_tasks)`, targetPos);

  let resolved: Node[] | undefined;
  if (literal) {
    const candidates = resolveTaskFile(target, scope);
    const file = candidates.find((c) => existsSync(c));
    if (!file) {
      throw new InputError(`${kind}: file not found: ${target}`, targetPos, `looked in ${candidates.map(displayPath).join(', ')}`);
    }
    if (scope.importStack.includes(file)) {
      if (kind === 'import_tasks') {
        throw new InputError(`import_tasks cycle: ${[...scope.importStack, file].map(displayPath).join(' -> ')}`, targetPos);
      }
      // A recursive include is legal (it may stop on a condition); it is resolved at run time.
    } else {
      resolved = loadTaskFile(file, targetPos, ctx, { ...scope, importStack: [...scope.importStack, file] }, build);
    }
  }
  if (kind === 'import_tasks') {
    // Static import: the file's tasks, with the import's keywords applied to each (a block does exactly that).
    return { kind: 'block', ...kw, block: resolved ?? [], rescue: [], always: [] };
  }
  const node: IncludeNode = { kind: 'include_tasks', ...kw, target };
  includeOrigins.set(node, { scope, rolesPath: ctx.rolesPath });
  const loop = loopSpec(f);
  if (loop) node.loop = loop;
  if (resolved) node.resolved = resolved;
  return node;
}

function parseRoleInclude(
  f: Fields,
  key: string,
  kind: 'include_role' | 'import_role',
  ctx: LoadContext,
  scope: TaskScope,
  build: PlayBuild,
): Node | undefined {
  checkKeys(f, [...(kind === 'include_role' ? INCLUDE_KEYS : IMPORT_KEYS), key], `'${kind}'`);
  const v = f.obj[key];
  if (!isPlainObject(v)) throw new InputError(`'${kind}' needs a mapping with 'name' (and optional 'tasks_from', 'vars')`, f.pos(key));
  const rf = new Fields(v, ctx, `${kind} option`, f.pos(key));
  checkKeys(rf, ['name', 'tasks_from', 'vars', 'apply', 'public', 'allow_duplicates', 'defaults_from', 'vars_from', 'handlers_from'], `'${kind}'`);
  const name = rf.string('name');
  if (!name) throw new InputError(`'${kind}' needs 'name'`, rf.self);
  const tasksFrom = rf.string('tasks_from');
  const kw = keywords(f, scope);
  if (isTemplated(name)) {
    if (kind === 'import_role') throw new InputError(`import_role is static: its name cannot be a template (use include_role)`, rf.pos('name'));
    // The role is known only at run time: its `vars:` become the include's vars.
    const node: IncludeNode = { kind: 'include_role', ...kw, vars: mergePositioned(kw.vars, rf.map('vars')), target: name };
    includeOrigins.set(node, { scope, rolesPath: ctx.rolesPath });
    if (tasksFrom) node.tasksFrom = tasksFrom;
    const loop = loopSpec(f);
    if (loop) node.loop = loop;
    return node;
  }
  if (!roleExpander) throw new Error('internal: playbook/roles.ts is not loaded, so import_role/include_role cannot expand a role');
  const nodes = roleExpander({ name, vars: rf.map('vars') ?? {}, tasksFrom, pos: rf.pos('name'), fromDir: path.dirname(scope.file) }, ctx, build);
  if (kind === 'import_role') return { kind: 'block', ...kw, block: nodes, rescue: [], always: [] };
  const node: IncludeNode = { kind: 'include_role', ...kw, target: name, resolved: nodes };
  includeOrigins.set(node, { scope, rolesPath: ctx.rolesPath });
  if (tasksFrom) node.tasksFrom = tasksFrom;
  const loop = loopSpec(f);
  if (loop) node.loop = loop;
  return node;
}

function parseModuleTask(f: Fields, ctx: LoadContext, scope: TaskScope): TaskNode | undefined {
  const allowedKw = scope.handlers ? TASK_KEYWORDS : TASK_KEYWORDS.filter((k) => k !== 'listen');
  const rest = Object.keys(f.obj).filter((k) => !allowedKw.includes(k));
  const modKeys = rest.filter((k) => getModule(k));
  const unknown = rest.filter((k) => !getModule(k));
  if (modKeys.length > 1) {
    throw new InputError(`a task has two modules: '${modKeys[0]}' and '${modKeys[1]}'`, f.keyPos(modKeys[1]!), 'one module per task');
  }
  const candidatesKw = allowedKw;
  // Only a task with an unknown key needs the list (for "did you mean").
  const modules = unknown.length ? moduleNames() : [];
  let bad = false;
  for (const k of unknown) {
    const dk = didYouMean(k, candidatesKw);
    const dm = didYouMean(k, modules);
    const kwIsCloser = dk !== undefined && (dm === undefined || distanceLess(k, dk, dm));
    if (k === 'listen') {
      fail(ctx, `'listen' is only allowed on handlers`, f.keyPos(k));
    } else if (modKeys.length === 1 || kwIsCloser) {
      fail(ctx, `unknown task keyword '${k}'${(dk ?? dm) ? ` (did you mean '${kwIsCloser || !dm ? dk : dm}'?)` : ''}`, f.keyPos(k));
    } else {
      fail(ctx, `unknown module '${k}'${dm ? ` (did you mean '${dm}'?)` : ''}`, f.keyPos(k));
    }
    bad = true;
  }
  if (modKeys.length === 0) {
    if (!bad) throw new InputError(`a task has no module`, f.self, `keys: ${Object.keys(f.obj).join(', ') || 'none'}`);
    return undefined;
  }
  const modKey = modKeys[0]!;
  const mod = getModule(modKey)!;
  const kw = keywords(f, scope);
  const args = moduleArgs(f, modKey, mod, ctx);
  if (args) validateArgs(mod, args, f.keyPos(modKey), ctx);

  const node: TaskNode = { kind: 'task', ...kw, module: mod.name, args: args ?? {}, notify: f.stringList('notify') ?? [] };
  const loop = loopSpec(f);
  if (loop) node.loop = loop;
  const register = f.string('register');
  if (register !== undefined) {
    if (!isVarName(register)) fail(ctx, `register name '${register}' is not a valid variable name`, f.pos('register'));
    node.register = register;
  }
  for (const [k, prop] of [
    ['changed_when', 'changedWhen'],
    ['failed_when', 'failedWhen'],
  ] as const) {
    if (!f.has(k)) continue;
    const v = f.obj[k];
    if (typeof v === 'boolean') node[prop] = v;
    else {
      const c = f.conditions(k);
      if (c) node[prop] = c;
    }
  }
  const until = f.conditions('until');
  if (until) node.until = until;
  const retries = f.number('retries');
  if (retries !== undefined) node.retries = retries;
  const delay = f.number('delay');
  if (delay !== undefined) node.delay = delay;
  const timeout = f.number('timeout');
  if (timeout !== undefined) node.timeout = timeout;
  const checkMode = f.bool('check_mode');
  if (checkMode !== undefined) node.checkMode = checkMode;
  if (scope.handlers) {
    if (!kw.name) fail(ctx, `a handler needs a 'name'`, f.self);
    node.listen = [...(kw.name ? [kw.name] : []), ...(f.stringList('listen') ?? [])];
  }
  return node;
}

/** Prefer the keyword on ties: "regster" is a typo of register, not of a module. */
function distanceLess(word: string, kw: string, mod: string): boolean {
  return editDistance(word, kw) <= editDistance(word, mod);
}
