import path from 'node:path';
import { getModule } from '../modules/registry.js';
import { InputError, InputErrors } from '../util/errors.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { collect, fail, Fields, keywordPos, setNodeSource, isPlainObject, newPlayBuild, typeName, type LoadContext, type TaskScope } from './context.js';
import { addHandlers, expandRoleRef, parseRoleRef } from './roles.js';
import { parseTaskList } from './tasks.js';
import type { Node, Play, Playbook } from './types.js';
import { didYouMean } from '../util/did-you-mean.js';
import { loadYamlFile, parseYaml } from '../util/yaml.js';
import { mergePositioned, posOf } from '../util/source-positions.js';

/**
 * Load a playbook: plays, roles, imported playbooks and task files, module
 * arguments checked against their schemas. Synchronous. Every problem found
 * is reported at once (InputErrors), each with file:line:col.
 *
 * The module registry must be filled before calling (import src/modules/index.js).
 */
export function loadPlaybook(file: string, opts: { rolesPath?: string[]; text?: string } = {}): Playbook {
  const { playbook, errors } = loadPlaybookCollecting(file, opts);
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new InputErrors(errors);
  return playbook;
}

/**
 * The same, but the problems are returned beside what did load (a task whose
 * arguments are wrong is left out), so a checker can go on and report the
 * problems the rest holds too.
 */
export function loadPlaybookCollecting(file: string, opts: { rolesPath?: string[]; text?: string } = {}): { playbook: Playbook; errors: InputError[] } {
  const ctx: LoadContext = { rolesPath: (opts.rolesPath ?? []).map((p) => path.resolve(p)), errors: [] };
  const abs = path.resolve(file);
  const plays = loadPlays(abs, undefined, ctx, [], undefined, opts.text);
  return { playbook: { path: abs, dir: path.dirname(abs), plays }, errors: dedupe(ctx.errors) };
}

function dedupe(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
}

const PLAY_KEYS = [
  'hosts',
  'name',
  'become',
  'become_user',
  'vars',
  'vars_files',
  'roles',
  'tasks',
  'pre_tasks',
  'post_tasks',
  'handlers',
  'gather_facts',
  'serial',
  'any_errors_fatal',
  'max_fail_percentage',
  'tags',
  'environment',
  'ignore_unreachable',
];
const IMPORT_PLAYBOOK_KEYS = ['import_playbook', 'name', 'vars', 'tags'];

interface Inherited {
  vars: Record<string, unknown>;
  tags: string[];
}

function loadPlays(abs: string, from: SourcePos | undefined, ctx: LoadContext, stack: string[], inherited: Inherited | undefined, text?: string): Play[] {
  const src = collect(ctx, () => (text !== undefined ? parseYaml(text, abs) : loadYamlFile(abs, from)));
  if (!src) return [];
  if (src.value === null || (Array.isArray(src.value) && src.value.length === 0)) {
    fail(ctx, 'empty playbook, nothing to do', src.pos, 'a playbook is a list of plays ("- hosts: …")');
    return [];
  }
  if (!Array.isArray(src.value)) {
    fail(ctx, `a playbook must be a list of plays, got ${typeName(src.value)}`, src.pos, 'start each play with "- hosts: …"');
    return [];
  }
  const list = src.value;
  const plays: Play[] = [];
  list.forEach((raw, i) => {
    const pos = posOf(list, i) ?? src.pos;
    if (!isPlainObject(raw)) {
      fail(ctx, `a play must be a mapping (hosts, tasks, …), got ${typeName(raw)}`, pos);
      return;
    }
    const f = new Fields(raw, ctx, 'play keyword', pos);
    if (f.has('import_playbook')) {
      for (const k of Object.keys(raw)) {
        if (!IMPORT_PLAYBOOK_KEYS.includes(k)) fail(ctx, `unknown keyword '${k}' in import_playbook`, f.keyPos(k));
      }
      const target = f.string('import_playbook');
      if (!target) return;
      const file = path.resolve(path.dirname(abs), target);
      if (stack.includes(file) || file === abs) {
        fail(ctx, `import_playbook cycle: ${[...stack, abs, file].map(displayPath).join(' -> ')}`, f.pos('import_playbook'));
        return;
      }
      const inh: Inherited = {
        vars: mergePositioned(inherited?.vars, f.vars()),
        tags: [...(inherited?.tags ?? []), ...(f.tags('tags') ?? [])],
      };
      plays.push(...loadPlays(file, f.pos('import_playbook'), ctx, [...stack, abs], inh));
      return;
    }
    const play = collect(ctx, () => parsePlay(f, abs, ctx, inherited));
    if (play) plays.push(play);
  });
  return plays;
}

function parsePlay(f: Fields, file: string, ctx: LoadContext, inherited: Inherited | undefined): Play | undefined {
  const raw = f.obj;
  const baseDir = path.dirname(file);
  for (const k of Object.keys(raw)) {
    if (PLAY_KEYS.includes(k)) continue;
    const dym = didYouMean(k, PLAY_KEYS);
    const looksLikeTask = !!getModule(k);
    fail(
      ctx,
      `unknown play keyword '${k}'${dym ? ` (did you mean '${dym}'?)` : ''}`,
      f.keyPos(k),
      looksLikeTask ? 'this looks like a task: put it under "tasks:"' : undefined,
    );
  }
  let hosts: string | undefined;
  if (!f.has('hosts')) {
    fail(ctx, `a play needs 'hosts' (a host pattern such as all, a group or a host name)`, f.self);
  } else {
    const h = raw.hosts;
    if (typeof h === 'string' && h.trim()) hosts = h.trim();
    else if (Array.isArray(h) && h.length && h.every((x) => typeof x === 'string')) hosts = (h as string[]).join(':');
    else fail(ctx, `'hosts' must be a host pattern or a list of them, got ${typeName(h)}`, f.pos('hosts'));
  }

  const build = newPlayBuild(baseDir);
  const scope: TaskScope = { file, baseDir, importStack: [file] };
  const tasks = (k: string): Node[] => {
    const l = f.list(k);
    return l ? parseTaskList(l, ctx, scope, build) : [];
  };

  const serial: Array<number | string> = [];
  if (f.has('serial')) {
    const s = raw.serial;
    const items = Array.isArray(s) ? s : [s];
    items.forEach((x, i) => {
      if ((typeof x === 'number' && x > 0) || (typeof x === 'string' && /^(\d+%?|\{\{.*\}\})$/.test(x.trim()))) serial.push(x);
      else fail(ctx, `'serial' must be a positive number or a percentage like "30%", got ${JSON.stringify(x)}`, Array.isArray(s) ? (posOf(s, i) ?? f.pos('serial')) : f.pos('serial'));
    });
  }

  const play: Play = {
    name: f.string('name') ?? hosts ?? '',
    pos: f.self,
    hosts: hosts ?? '',
    gatherFacts: f.bool('gather_facts') ?? true,
    serial,
    vars: mergePositioned(inherited?.vars, f.vars()),
    varsFiles: [],
    preTasks: [],
    roleTasks: [],
    tasks: [],
    postTasks: [],
    handlers: [],
    anyErrorsFatal: f.bool('any_errors_fatal') ?? false,
    tags: [...(inherited?.tags ?? []), ...(f.tags('tags') ?? [])],
    roles: [],
    verifyTasks: [],
    baseDir,
  };
  setNodeSource(play, raw);
  const become = f.bool('become');
  if (become !== undefined) play.become = become;
  const bu = f.string('become_user');
  if (bu !== undefined) play.becomeUser = bu;
  const mfp = f.number('max_fail_percentage');
  if (mfp !== undefined) play.maxFailPercentage = mfp;
  const env = f.map('environment');
  if (env) play.environment = env;
  const iu = f.bool('ignore_unreachable');
  if (iu !== undefined) play.ignoreUnreachable = iu;
  if (f.has('vars_files')) {
    const vf = raw.vars_files;
    const list = typeof vf === 'string' ? [vf] : Array.isArray(vf) ? vf : null;
    if (!list || !list.every((x) => typeof x === 'string')) fail(ctx, `'vars_files' must be a list of file names`, f.pos('vars_files'));
    else play.varsFiles = list as string[];
  }

  // Order matters for handler definition order: play handlers first, as Ansible lists them.
  const handlerList = f.list('handlers');
  if (handlerList) addHandlers(build, parseTaskList(handlerList, ctx, { ...scope, handlers: true }, build), 'play', ctx);

  play.preTasks = tasks('pre_tasks');
  const roleList = f.list('roles') ?? [];
  roleList.forEach((r, i) => {
    const ref = collect(ctx, () => parseRoleRef(r, posOf(roleList, i) ?? f.pos('roles'), ctx, baseDir));
    if (ref) play.roleTasks.push(...expandRoleRef(ref, ctx, build, [], { dedupe: true }));
  });
  play.tasks = tasks('tasks');
  play.postTasks = tasks('post_tasks');
  play.handlers = build.handlers;
  play.roles = build.roles;
  play.verifyTasks = build.verifyTasks;
  checkNotify(play, ctx);
  return play;
}

/** Every node of a list, blocks and pre-resolved includes flattened. */
export function* walkNodes(nodes: Node[]): Generator<Node> {
  for (const n of nodes) {
    yield n;
    if (n.kind === 'block') {
      yield* walkNodes(n.block);
      yield* walkNodes(n.rescue);
      yield* walkNodes(n.always);
    } else if ((n.kind === 'include_tasks' || n.kind === 'include_role') && n.resolved) {
      yield* walkNodes(n.resolved);
    }
  }
}

/** A notified handler must exist: by name, by `listen` topic, or as "role : name". */
function checkNotify(play: Play, ctx: LoadContext): void {
  const answers = new Set<string>();
  for (const h of play.handlers) {
    for (const l of h.listen ?? []) answers.add(l);
    if (h.name && h.role) answers.add(`${h.role.name} : ${h.name}`);
  }
  const all = [...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks, ...play.handlers];
  for (const n of walkNodes(all)) {
    if (n.kind !== 'task') continue;
    for (const name of n.notify) {
      if (answers.has(name) || name.includes('{{')) continue;
      const dym = didYouMean(name, answers);
      fail(
        ctx,
        `notify: no handler named '${name}' in this play${dym ? ` (did you mean '${dym}'?)` : ''}`,
        keywordPos(n, 'notify', n.notify.indexOf(name)),
      );
    }
  }
}

/** Count module tasks (blocks and resolved includes walked), for `drover check`'s summary. */
export function countTasks(play: Play): number {
  let n = 0;
  for (const node of walkNodes([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks, ...play.handlers])) if (node.kind === 'task') n++;
  return n;
}
