import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { connectionSpecFromVars, connectionSpecProblem, type ConnectionDefaults } from '../inventory/connection-spec.js';
import { checkTemplate, conditionGuards, conditionRefs, isGuarded, isTemplated, renderString, templateLanguage, templateRefs, type TemplateLanguage } from '../template/index.js';
import { UndefinedVariableError } from '../template/errors.js';
import { InputError, InputErrors } from '../util/errors.js';
import { displayPath, formatPos, type SourcePos } from '../util/source.js';
import { getModule } from '../modules/registry.js';
import type { LocalFileArg, LocalFileKind } from '../modules/types.js';
import { isPlainObject, keywordPos, nodeSource } from './context.js';
import type { BlockNode, IncludeNode, Node, Play, Playbook, RoleScope, TaskNode, Vars } from './types.js';
import { containerPos, posOf } from '../util/source-positions.js';
import { didYouMean } from '../util/did-you-mean.js';
import { decryptVaultFile, isVaultFile, readTextFile } from '../util/text-input.js';
import { loadVarsFile } from '../util/yaml.js';
import { loadPlayVarsFile, searchLocalFile } from './local-files.js';
import { playHosts } from './play-hosts.js';
import { HOST_MAGIC, MAGIC_NAMES, ROLE_MAGIC_NAMES, UNSUPPORTED_MAGIC, loopMagic, magicDefined, mayBeFact, RESCUE_MAGIC_NAMES } from './magic-vars.js';
import { TEMPLATE_VAR_NAMES } from '../modules/template.js';

/** Variables the template module itself gives a template file. */
const TEMPLATE_VARS: ReadonlySet<string> = new Set(TEMPLATE_VAR_NAMES);

/**
 * Static validation, per play and per targeted host, without contacting any
 * host: every variable a template or condition reads must be defined at that
 * point (inventory, play vars, vars_files, role defaults/vars/params, extra
 * vars, magic vars, facts when gathered, names registered or set_fact'ed by
 * earlier tasks), and every template file a task names must exist and parse.
 */

export interface ValidateOptions {
  limit?: string | undefined;
  /** verify: the roles' verify tasks are what runs. */
  mode?: 'converge' | 'verify';
  /** The run's connection settings from the configuration (a missing private_key_file is found here too). */
  connection?: ConnectionDefaults;
}

/** How a missing controller-side file is named in messages. */
const LOCAL_FILE_NOUN: Record<LocalFileKind, string> = { templates: 'template', files: 'file', vars: 'vars file', tasks: 'tasks file' };

export function validatePlaybook(pb: Playbook, inventory: Inventory, extraVars: Record<string, unknown>, opts: ValidateOptions = {}): InputError[] {
  const v = new Validator(pb, inventory, extraVars, opts);
  v.run();
  return v.errors();
}

interface Binding {
  value: unknown;
  /** Where the value was written (for checking the templates inside it). */
  container?: object;
  key?: string | number;
  /** The value is only known at run time (registered results, facts, magic values). */
  opaque?: boolean;
}

class Scope {
  private vars = new Map<string, Binding>();
  constructor(private parent?: Scope) {}

  child(): Scope {
    return new Scope(this);
  }

  set(name: string, b: Binding): void {
    this.vars.set(name, b);
  }

  opaque(name: string): void {
    this.vars.set(name, { value: undefined, opaque: true });
  }

  defineAll(vars: Vars | undefined): void {
    if (!vars) return;
    for (const [k, value] of Object.entries(vars)) this.vars.set(k, { value, container: vars, key: k });
  }

  lookup(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

interface Ref {
  root: string;
  path: string[];
  pos: SourcePos | undefined;
}

/** Steps of a written path: `a.b[0]['c']` -> a, b, 0, c (the root included). */
function pathSteps(p: string): string[] {
  const steps: string[] = [];
  const re = /([A-Za-z0-9_$@][\w$-]*)|\[\s*(\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p))) steps.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  return steps;
}

function normRefs(refs: Array<{ root: string; path?: unknown; pos?: SourcePos; optional?: boolean }>): Ref[] {
  const out: Ref[] = [];
  for (const r of refs) {
    if (r.optional) continue; // guarded by `is defined`, `default` …: may be missing by design
    const p = r.path;
    let list: string[] = [];
    if (Array.isArray(p)) list = p.map(String);
    else if (typeof p === 'string' && p) list = pathSteps(p);
    if (list[0] === r.root) list = list.slice(1);
    out.push({ root: r.root, path: list, pos: r.pos });
  }
  return out;
}

/** Per-host state that outlives a play: names registered or set by tasks. */
interface HostRun {
  host: string;
  registered: Map<string, Binding>;
  /** Set after a dynamic include we cannot see into: later names may come from it. */
  blind: boolean;
  /** include_vars of a file we cannot read now (templated path): its names live on in later plays too. */
  varsBlind?: boolean;
  facts: boolean;
  /** Bindings whose templates were already checked for this host. */
  checked: WeakSet<Binding>;
}

class Validator {
  private errs = new Map<string, InputError>();
  private refCache = new Map<string, Ref[] | InputError>();
  private fileCache = new Map<string, { text: string } | InputError>();
  private hostRuns = new Map<string, HostRun>();
  /** Names registered/set anywhere, for hostvars.<other host>.<name>. */
  private anyRegistered = new Set<string>();
  private play!: Play;
  private hostVarsCache = new Map<string, Vars>();
  /** vars_files already read, by playbook dir and rendered name (every host reads the same ones). */
  private varsFileCache = new Map<string, Vars>();
  private groups?: Record<string, string[]>;

  private hostVars(host: string): Vars {
    let v = this.hostVarsCache.get(host);
    if (!v) this.hostVarsCache.set(host, (v = this.inv.hostVars(host)));
    return v;
  }

  constructor(
    private pb: Playbook,
    private inv: Inventory,
    private extraVars: Vars,
    private opts: ValidateOptions,
  ) {}

  errors(): InputError[] {
    return [...this.errs.values()];
  }

  private add(e: InputError): void {
    const key = `${formatPos(e.pos)}|${e.detail}`;
    if (!this.errs.has(key)) this.errs.set(key, e);
  }

  private addAll(e: unknown): void {
    if (e instanceof InputErrors) e.errors.forEach((x) => this.add(x));
    else if (e instanceof InputError) this.add(e);
    else throw e;
  }

  run(): void {
    for (const play of this.pb.plays) {
      // A play without hosts was reported while loading; it has nothing more to say.
      if (play.hosts === '') continue;
      this.play = play;
      let hosts: string[];
      try {
        hosts = playHosts(play, this.inv, this.opts.limit, this.extraVars);
      } catch (e) {
        this.addAll(e);
        continue;
      }
      for (const host of hosts) {
        this.checkConnection(host);
        this.checkPlayForHost(play, host);
      }
    }
  }

  private connChecked = new Set<string>();

  /** Connection settings (address, port, key file) are input too: wrong ones fail here, before any host is contacted. */
  private checkConnection(host: string): void {
    if (this.connChecked.has(host)) return;
    this.connChecked.add(host);
    const vars = { ...this.hostVars(host), ...this.extraVars };
    // Templated settings are only known at run time.
    if (Object.entries(vars).some(([k, v]) => k.startsWith('ansible_') && typeof v === 'string' && isTemplated(v))) return;
    const pos = this.inv.hosts.get(host)?.pos;
    try {
      const spec = connectionSpecFromVars(host, vars, path.dirname(path.resolve(this.inv.sources[0] ?? '.')), this.opts.connection);
      const problem = connectionSpecProblem(spec);
      if (problem) this.add(new InputError(problem, pos));
    } catch (e) {
      if (e instanceof InputError) this.add(new InputError(e.detail, e.pos ?? pos, e.hint));
      else throw e;
    }
  }

  private hostRun(host: string): HostRun {
    let r = this.hostRuns.get(host);
    if (!r) this.hostRuns.set(host, (r = { host, registered: new Map(), blind: false, facts: false, checked: new WeakSet() }));
    return r;
  }

  private checkPlayForHost(play: Play, host: string): void {
    const run = this.hostRun(host);
    run.blind = run.varsBlind === true;
    run.facts ||= play.gatherFacts;
    const hostVars = this.hostVars(host);

    // Lowest to highest precedence; a lookup finds the innermost scope first.
    const base = new Scope();
    for (const m of MAGIC_NAMES) if (magicDefined(m, { inRole: false, limit: this.opts.limit })) base.opaque(m);
    base.set('groups', { value: (this.groups ??= this.inv.groupMap()) });
    base.set('inventory_hostname', { value: host });
    base.set('playbook_dir', { value: this.pb.dir });
    if (run.facts) base.opaque('ansible_facts');
    const invScope = base.child();
    invScope.defineAll(hostVars);
    const playScope = invScope.child();
    playScope.defineAll(play.vars);
    play.varsFiles.forEach((vf, i) => this.loadVarsFile(play, vf, i, playScope, hostVars));
    const regScope = new RegisteredScope(playScope, run);
    const top = regScope.child();
    top.defineAll(this.extraVars);

    const ctx: WalkCtx = { run, scope: top };
    const lists = this.opts.mode === 'verify' ? [play.verifyTasks] : [play.preTasks, play.roleTasks, play.tasks, play.postTasks, play.verifyTasks];
    for (const l of lists) this.walk(l, ctx);
    // Handlers run after the tasks that notify them: everything registered so far is visible.
    if (this.opts.mode !== 'verify') for (const h of play.handlers) this.walk([h], ctx);
  }

  private loadVarsFile(play: Play, vf: string, i: number, scope: Scope, hostVars: Vars): void {
    const pos = keywordPos(play, 'vars_files', i);
    let name = vf;
    if (isTemplated(vf)) {
      try {
        name = String(renderString(vf, { ...hostVars, ...play.vars, ...this.extraVars }, pos));
      } catch (e) {
        this.addAll(e);
        return;
      }
    }
    try {
      const key = `${play.baseDir}\0${name}`;
      let vars = this.varsFileCache.get(key);
      if (!vars) this.varsFileCache.set(key, (vars = loadPlayVarsFile(play.baseDir, name, pos)));
      scope.defineAll(vars);
    } catch (e) {
      this.addAll(e);
    }
  }

  // --- walking the nodes -------------------------------------------------

  private walk(nodes: Node[], ctx: WalkCtx): void {
    for (const n of nodes) {
      const scope = this.nodeScope(n, ctx);
      const nctx: WalkCtx = { ...ctx, scope, role: n.role ?? ctx.role };
      // A name is not checked: the TASK line shows it templated when it can be, as written when not (Ansible's fail_on_undefined=False).
      if (n.kind === 'task') this.checkTask(n, nctx);
      else if (n.kind === 'block') this.checkBlock(n, nctx);
      else if (n.kind === 'meta') this.checkConds(n, 'when', n.when, nctx);
      else this.checkInclude(n, nctx);
    }
  }

  /** The scope a node's own fields see: its role's vars, then its `vars:`. */
  private nodeScope(n: Node, ctx: WalkCtx): Scope {
    let s = ctx.scope;
    if (n.role && n.role !== ctx.role) s = roleScope(s, n.role);
    if (Object.keys(n.vars).length) {
      s = s.child();
      s.defineAll(n.vars);
    }
    return s;
  }

  private withLoop(n: TaskNode | IncludeNode, ctx: WalkCtx): WalkCtx {
    if (!n.loop) return ctx;
    const loopKey = ['loop', 'with_items', 'with_list'].find((k) => nodeSource(n)?.[k] !== undefined) ?? 'loop';
    const items = n.loop.items;
    if (typeof items === 'string') this.checkText(items, keywordPos(n, loopKey), ctx);
    else this.checkDeep(items, ctx, nodeSource(n), loopKey);
    const s = ctx.scope.child();
    s.set(n.loop.loopVar, { value: undefined, opaque: true });
    if (n.loop.indexVar) s.opaque(n.loop.indexVar);
    for (const m of Object.keys(loopMagic(n.loop, 0, 1))) s.opaque(m);
    const lctx = { ...ctx, scope: s };
    if (n.loop.label !== undefined) {
      const lc = nodeSource(n)?.loop_control;
      this.checkText(n.loop.label, posOf(lc, 'label') ?? n.pos, lctx);
    }
    return lctx;
  }

  private checkCommon(n: Node, ctx: WalkCtx): void {
    if (n.becomeUser !== undefined) this.checkText(n.becomeUser, keywordPos(n, 'become_user'), ctx);
    if (n.delegateTo !== undefined) this.checkText(n.delegateTo, keywordPos(n, 'delegate_to'), ctx);
    if (typeof n.environment === 'string') this.checkText(n.environment, keywordPos(n, 'environment'), ctx);
    else if (n.environment) this.checkDeep(n.environment, ctx, nodeSource(n), 'environment');
    if (typeof n.ignoreErrors === 'string') this.checkCond(n.ignoreErrors, keywordPos(n, 'ignore_errors'), ctx);
  }

  private checkTask(n: TaskNode, outer: WalkCtx): void {
    const ctx = this.guardedBy(n, this.withLoop(n, this.loopGuarded(n, outer)));
    this.checkCommon(n, ctx);
    this.checkArgs(n, ctx);

    // changed_when/failed_when/until see the task's own registered result.
    const after = ctx.scope.child();
    if (n.register) after.opaque(n.register);
    const actx = { ...ctx, scope: after };
    if (Array.isArray(n.changedWhen)) this.checkConds(n, 'changed_when', n.changedWhen, actx);
    if (Array.isArray(n.failedWhen)) this.checkConds(n, 'failed_when', n.failedWhen, actx);
    if (n.until) this.checkConds(n, 'until', n.until, actx);

    if (n.register) this.register(outer.run, n.register);
    const mod = getModule(n.module);
    const defined = mod?.definesVars?.(n.args, { varsIn: (arg) => this.varsIn(n, arg) });
    if (defined === 'unknown') {
      outer.run.blind = true;
      outer.run.varsBlind = true;
    } else for (const k of defined ?? []) this.register(outer.run, k);
    if (mod?.gathersFacts) outer.run.facts = true;
  }

  private register(run: HostRun, name: string): void {
    run.registered.set(name, { value: undefined, opaque: true });
    this.anyRegistered.add(name);
  }

  /** The variables in the vars file that argument `arg` names (nothing when it cannot be read: that error is reported by the localFiles check). */
  private varsIn(n: TaskNode, arg: string): Record<string, unknown> {
    const file = n.args[arg];
    if (typeof file !== 'string') return {};
    const { found } = searchLocalFile(n, 'vars', file);
    if (!found) return {};
    try {
      return loadVarsFile(found);
    } catch {
      return {};
    }
  }

  private checkArgs(n: TaskNode, ctx: WalkCtx): void {
    const args = n.args;
    const mod = getModule(n.module);
    for (const [k, v] of Object.entries(args)) {
      if (mod?.undefinedAllowedArgs?.includes(k)) continue;
      if (mod?.expressionArgs?.includes(k)) {
        // `when`-style expressions (assert's `that`), not templates.
        const list = Array.isArray(v) ? v : [v];
        list.forEach((c, i) => {
          if (typeof c === 'string') this.checkCond(c, (Array.isArray(v) ? posOf(v, i) : posOf(args, k)) ?? n.pos, ctx);
        });
        continue;
      }
      this.checkDeep(v, ctx, args, k);
    }
    for (const lf of mod?.localFiles ?? []) {
      const name = args[lf.arg];
      if (typeof name !== 'string' || isTemplated(name) || (lf.unlessArg && args[lf.unlessArg])) continue;
      this.checkLocalFile(n, lf, name, posOf(args, lf.arg) ?? n.pos, ctx, args.decrypt !== false);
    }
  }

  /**
   * A vault-encrypted controller file (copy src) that the run would copy
   * decrypted: it must decrypt now, or exit 4 here. A directory (copy's tree):
   * each file in it, as the run reads them.
   */
  private vaultFileProblem(found: string, name: string, pos: SourcePos): boolean {
    if (statSync(found).isDirectory()) {
      let problem = false;
      for (const rel of (readdirSync(found, { recursive: true }) as string[]).sort()) {
        const file = path.join(found, rel);
        if (isVaultFile(file) && statSync(file).isFile()) problem = this.vaultFileProblem(file, path.join(name, rel), pos) || problem;
      }
      return problem;
    }
    if (!isVaultFile(found)) return false;
    try {
      decryptVaultFile(readFileSync(found), displayPath(found));
      return false;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.add(new InputError(`${name}: ${e.detail}`, pos));
      return true;
    }
  }

  private checkLocalFile(n: TaskNode, lf: LocalFileArg, name: string, pos: SourcePos, ctx: WalkCtx, decrypt = true): void {
    const { found, candidates } = searchLocalFile(n, lf.kind, name);
    if (!found) {
      this.add(new InputError(`${LOCAL_FILE_NOUN[lf.kind]} not found: ${name}`, pos, `looked in ${candidates.map(displayPath).join(', ')}`));
      return;
    }
    if (lf.content === undefined && decrypt && this.vaultFileProblem(found, name, pos)) return;
    if (lf.content === 'vars') {
      try {
        loadVarsFile(found);
      } catch (e) {
        this.addAll(e);
      }
      return;
    }
    if (lf.content !== 'template' || statSync(found).isDirectory()) return;
    let entry = this.fileCache.get(found);
    if (!entry) {
      try {
        entry = { text: readTextFile(found, displayPath(found), 'template', pos) };
      } catch (e) {
        entry = new InputError(`cannot read template ${displayPath(found)}: ${(e as Error).message}`, pos);
      }
      this.fileCache.set(found, entry);
    }
    if (entry instanceof InputError) return this.add(entry);
    // Template files are rendered with the task's variables (and the loop item), in the language their name says.
    const at = { file: displayPath(found), line: 1, col: 1 };
    let language: TemplateLanguage;
    try {
      language = templateLanguage(found, entry.text, at);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return this.add(e);
    }
    this.checkText(entry.text, at, ctx, true, language, TEMPLATE_VARS);
  }

  /**
   * What a task's `when` proves for its loop expression: Ansible evaluates the
   * condition before it gives up on a loop that does not render, so a guard
   * that does not name the loop variable covers the loop too.
   */
  private loopGuarded(n: TaskNode, ctx: WalkCtx): WalkCtx {
    if (!n.loop) return ctx;
    const loopVar = n.loop.loopVar;
    const proven = n.when.flatMap((c) => conditionGuards(c)).filter((g) => g.split(/[.[]/)[0] !== loopVar);
    return proven.length ? { ...ctx, guarded: [...(ctx.guarded ?? []), ...proven] } : ctx;
  }

  /** Check a node's `when`, and return the context its other fields are checked in (what the condition proves defined). */
  private guardedBy(n: Node, ctx: WalkCtx): WalkCtx {
    this.checkConds(n, 'when', n.when, ctx);
    const proven = n.when.flatMap((c) => conditionGuards(c));
    return proven.length ? { ...ctx, guarded: [...(ctx.guarded ?? []), ...proven] } : ctx;
  }

  private checkBlock(n: BlockNode, outer: WalkCtx): void {
    const ctx = this.guardedBy(n, outer);
    this.checkCommon(n, ctx);
    this.walk(n.block, ctx);
    if (n.rescue.length) {
      const s = ctx.scope.child();
      for (const m of RESCUE_MAGIC_NAMES) s.opaque(m);
      this.walk(n.rescue, { ...ctx, scope: s });
    }
    this.walk(n.always, ctx);
  }

  private checkInclude(n: IncludeNode, outer: WalkCtx): void {
    const ctx = this.withLoop(n, outer);
    this.checkConds(n, 'when', n.when, ctx);
    this.checkCommon(n, ctx);
    const key = n.kind;
    const raw = nodeSource(n)?.[key];
    const targetPos = (isPlainObject(raw) ? (posOf(raw, key === 'include_role' ? 'name' : 'file') ?? posOf(nodeSource(n), key)) : posOf(nodeSource(n), key)) ?? n.pos;
    if (isTemplated(n.target)) this.checkText(n.target, targetPos, ctx);
    if (n.resolved) this.walk(n.resolved, ctx);
    // Its tasks are known only at run time; what they define cannot be seen from here.
    else outer.run.blind = true;
  }

  // --- references ----------------------------------------------------------

  private checkConds(n: Node, key: string, conds: string[], ctx: WalkCtx): void {
    conds.forEach((c, i) => this.checkCond(c, keywordPos(n, key, i), ctx));
  }

  private checkCond(expr: string, pos: SourcePos, ctx: WalkCtx): void {
    const refs = this.refs(`c\0${expr}`, pos, () => conditionRefs(expr, pos));
    for (const r of refs) this.checkRef(r, ctx);
  }

  private checkText(text: string, pos: SourcePos, ctx: WalkCtx, always = false, language: TemplateLanguage = 'jinja', provided?: ReadonlySet<string>): void {
    if (!always && !isTemplated(text)) return;
    const refs = this.refs(`t${language}\0${text}`, pos, () => {
      checkTemplate(text, pos, language); // syntax, unknown filters, tests, helpers
      return templateRefs(text, pos, language);
    });
    for (const r of refs) if (!provided?.has(r.root)) this.checkRef(r, ctx);
  }

  private refs(key: string, pos: SourcePos, get: () => Array<{ root: string; path?: unknown; pos?: SourcePos; optional?: boolean }>): Ref[] {
    const k = `${formatPos(pos)}\0${key}`;
    let r = this.refCache.get(k);
    if (!r) {
      try {
        r = normRefs(get());
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        r = e;
      }
      this.refCache.set(k, r);
    }
    if (r instanceof InputError) {
      this.add(r);
      return [];
    }
    return r;
  }

  /** Every templated string inside a value (args, loop lists, environment). */
  private checkDeep(v: unknown, ctx: WalkCtx, container: unknown, key: string | number): void {
    if (typeof v === 'string') {
      if (isTemplated(v)) this.checkText(v, posOf(container, key) ?? containerPos(container) ?? this.play.pos, ctx);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.checkDeep(x, ctx, v, i));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) this.checkDeep(x, ctx, v, k);
  }

  private checkRef(r: Ref, ctx: WalkCtx): void {
    const { run } = ctx;
    if (ctx.guarded && isGuarded([r.root, ...r.path].join('.'), ctx.guarded)) return;
    const b = ctx.scope.lookup(r.root);
    if (!b) {
      if (run.blind) return;
      if (run.facts && mayBeFact(r.root)) return;
      if (ctx.role && magicDefined(r.root, { inRole: true, limit: this.opts.limit })) return;
      this.undefined(r.root, r, ctx);
      return;
    }
    // A variable whose value is a template: what it reads must be defined here too.
    if (!b.opaque && b.container && !run.checked.has(b)) {
      run.checked.add(b);
      this.checkDeep(b.value, ctx, b.container, b.key!);
    }
    if (r.root === 'hostvars') return this.checkHostvars(r, ctx);
    if (r.root === 'groups' && r.path.length) {
      const groups = b.value as Record<string, unknown>;
      const g = r.path[0]!;
      if (!(g in groups)) {
        const dym = didYouMean(g, Object.keys(groups));
        this.add(new UndefinedVariableError(`groups.${g}`, r.pos, `no group '${g}' in the inventory${dym ? `; did you mean '${dym}'?` : ''}`));
      }
      return;
    }
    if (!b.opaque) this.checkPath(b.value, r, ctx);
  }

  /** Walk a dotted path into a value known now (inventory/play vars); a missing key is undefined. */
  private checkPath(value: unknown, r: Ref, ctx: WalkCtx): void {
    let cur = value;
    const walked = [r.root];
    for (const step of r.path) {
      if (!isPlainObject(cur)) return; // lists, templated strings, scalars: known only at run time
      if (!(step in cur)) {
        const dym = didYouMean(step, Object.keys(cur));
        this.add(new UndefinedVariableError([...walked, step].join('.'), r.pos, `'${walked.join('.')}' has no key '${step}'${dym ? `; did you mean '${dym}'?` : ''} (host ${ctx.run.host})`));
        return;
      }
      cur = cur[step];
      walked.push(step);
    }
  }

  private checkHostvars(r: Ref, ctx: WalkCtx): void {
    const [host, name, ...rest] = r.path;
    if (host === undefined) return;
    if (!this.inv.hosts.has(host)) {
      const dym = didYouMean(host, this.inv.hosts.keys());
      this.add(new UndefinedVariableError(`hostvars.${host}`, r.pos, `no host '${host}' in the inventory${dym ? `; did you mean '${dym}'?` : ''}`));
      return;
    }
    if (name === undefined || ctx.run.blind) return;
    const hv = this.hostVars(host);
    if (name in hv) return this.checkPath(hv[name], { root: `hostvars.${host}.${name}`, path: rest, pos: r.pos }, ctx);
    const known = name in this.play.vars || name in this.extraVars || name in HOST_MAGIC || this.anyRegistered.has(name) || (mayBeFact(name) && ctx.run.facts);
    if (!known) {
      const dym = didYouMean(name, Object.keys(hv));
      this.add(new UndefinedVariableError(`hostvars.${host}.${name}`, r.pos, `host '${host}' has no variable '${name}'${dym ? `; did you mean '${dym}'?` : ''}`));
    }
  }

  private undefined(name: string, r: Ref, ctx: WalkCtx): void {
    const full = [r.root, ...r.path].join('.');
    const unsupported = UNSUPPORTED_MAGIC[name];
    if (unsupported) return this.add(new UndefinedVariableError(full, r.pos, unsupported));
    const dym = didYouMean(name, this.visibleNames(ctx));
    this.add(new UndefinedVariableError(full, r.pos, `not defined for host ${ctx.run.host}${dym ? `; did you mean '${dym}'?` : ''}`));
  }

  private visibleNames(ctx: WalkCtx): string[] {
    const names = new Set<string>([...Object.keys(this.hostVars(ctx.run.host)), ...Object.keys(this.play.vars), ...Object.keys(this.extraVars), ...ctx.run.registered.keys()]);
    if (ctx.role) for (const o of [ctx.role.defaults, ctx.role.vars, ctx.role.params]) Object.keys(o).forEach((k) => names.add(k));
    return [...names];
  }
}

interface WalkCtx {
  run: HostRun;
  scope: Scope;
  role?: RoleScope | undefined;
  /** Paths the `when` of this task (and its blocks) proves defined: its other fields are rendered only then. */
  guarded?: readonly string[];
}

/** A scope whose names are the host's registered/set_fact results (they change as tasks run). */
class RegisteredScope extends Scope {
  constructor(
    parent: Scope,
    private run: HostRun,
  ) {
    super(parent);
  }

  override lookup(name: string): Binding | undefined {
    return this.run.registered.get(name) ?? super.lookup(name);
  }
}

/** Role defaults are the lowest precedence, but for "is it defined" any layer will do. */
function roleScope(parent: Scope, role: RoleScope): Scope {
  const s = parent.child();
  s.defineAll(role.defaults);
  const s2 = s.child();
  s2.defineAll(role.vars);
  s2.defineAll(role.params);
  for (const m of ROLE_MAGIC_NAMES) s2.opaque(m);
  s2.set('role_path', { value: role.path });
  s2.set('role_name', { value: role.name });
  return s2;
}
