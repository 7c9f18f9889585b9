import PQueue from 'p-queue';
import type { BlockNode, IncludeNode, MetaNode, Node, Play, RoleScope, TaskKeywords, TaskNode, Vars } from '../playbook/types.js';
import { loadIncludedTasks } from '../playbook/index.js';
import { keywordPos } from '../playbook/context.js';
import { loadPlayVarsFile } from '../playbook/local-files.js';
import type { EngineEvent } from '../report/events.js';
import { itemResultEvent, taskResultEvent, taskTitle } from '../report/task-event.js';
import { countResult } from '../report/tally.js';
import { gatherFacts } from '../facts/gather.js';
import { evaluateCondition, isTemplated, renderDeep, renderString, toText } from '../template/index.js';
import { InputError, UnreachableError } from '../util/errors.js';
import { formatPos } from '../util/source.js';
import type { Redactor } from '../util/redact.js';
import type { Inventory } from '../inventory/types.js';
import type { ConnectionPool } from './connections.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';
import { Handlers, handlerNames } from './handlers.js';
import { applyOutcome, failLimitReached } from './outcome.js';
import { markSecretVars } from './secret-vars.js';
import { tagsSelected } from './tags.js';
import { runTask, type TaskOutcome } from './task-runner.js';
import { predictReads, type PredictedRead } from './read-ahead.js';
import { extendVars, mergeVars, roleLayers, type VarLayers } from './vars.js';
import { magicValues } from '../playbook/magic-vars.js';
import type { ChangedTask } from './api.js';

/** Run-wide things every play needs. */
export interface RunEnv {
  inventory: Inventory;
  hosts: Map<string, HostState>;
  pool: ConnectionPool;
  redactor: Redactor;
  runState?: RunState;
  extraVars: Vars;
  playbookDir: string;
  check: boolean;
  diff: boolean;
  forks: number;
  /** The configured default of plays that set no become / become_user. */
  become?: { become?: boolean; becomeUser?: string };
  tags?: string[];
  skipTags?: string[];
  /** --limit as given (ansible_limit). */
  limit?: string | undefined;
  timeoutMs: number;
  verbose: number;
  mode: 'converge' | 'verify';
  emit: (e: EngineEvent) => void;
  /** --start-at-task: name still to be reached (cleared once found). */
  startAt?: string;
  step?: (task: string) => Promise<'yes' | 'no' | 'continue'>;
  changed: ChangedTask[];
  unknown: ChangedTask[];
  /** Check mode: a task predicted a change (or could not predict) on the controller (a local connection); shared by the run's plays. */
  controller: { changesPredicted: boolean };
  inventoryVars: (host: string) => Vars;
  hostvars: Record<string, Vars>;
  /** Ctrl-C: finish the task in flight, then stop. */
  interrupted: () => boolean;
}

/** Keyword values inherited from play and enclosing blocks. */
interface Inherited {
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  scopeVars: Vars[];
  environment?: Record<string, unknown> | string;
  ignoreErrors?: boolean | string;
  noLog?: boolean | string;
  delegateTo?: string;
  runOnce?: boolean;
}

/** Thrown inside a play to stop it for every host (any_errors_fatal, max_fail_percentage, end_play). */
class EndPlay extends Error {}

/**
 * The linear strategy: each task runs on every active host of the batch
 * (bounded by --forks) before the next starts. A host that fails or becomes
 * unreachable leaves the play; the others go on. What a result means for its
 * host is in outcome.ts, handler bookkeeping in handlers.ts, the event a
 * result becomes in report/task-event.ts.
 */
export class PlayRunner {
  private varsFiles = new Map<string, Vars>();
  private handlers: Handlers;
  private batch: HostState[] = [];
  /** Every host of the play (ansible_play_hosts_all). */
  private playHosts: HostState[] = [];
  private queue: PQueue;

  constructor(
    private env: RunEnv,
    private play: Play,
  ) {
    this.queue = new PQueue({ concurrency: Math.max(1, env.forks) });
    this.handlers = new Handlers(play.handlers, { check: env.check, runState: env.runState, restorePending: env.mode === 'converge' });
    this.markSecrets(play.vars);
    for (const r of play.roles) for (const v of [r.defaults, r.vars, r.params]) this.markSecrets(v);
  }

  async run(hostNames: string[]): Promise<void> {
    const { env, play } = this;
    env.emit({ type: 'play_start', play: play.name, hosts: hostNames });
    const hosts = hostNames.map((h) => env.hosts.get(h)!).filter((h) => !h.failed && !h.unreachable);
    for (const h of hosts) h.ended = false;
    this.playHosts = hostNames.map((h) => env.hosts.get(h)!);
    const batches = [...this.batches(hosts)];
    for (const [i, batch] of batches.entries()) {
      this.batch = batch;
      if (play.serial.length) env.emit({ type: 'batch_start', play: play.name, batch: i + 1, batches: batches.length, hosts: batch.map((h) => h.name) });
      try {
        await this.startBatch(batch);
        const base = this.playKeywords();
        if (env.mode === 'verify') {
          await this.runNodes(play.verifyTasks, batch, base);
        } else {
          await this.runNodes(play.preTasks, batch, base);
          await this.flushHandlers(batch);
          await this.runNodes(play.roleTasks, batch, base);
          await this.runNodes(play.tasks, batch, base);
          this.handlers.notifyRestored();
          await this.flushHandlers(batch);
          await this.runNodes(play.postTasks, batch, base);
          await this.flushHandlers(batch);
        }
      } catch (e) {
        if (!(e instanceof EndPlay)) throw e;
        // any_errors_fatal, max_fail_percentage, end_play and Ctrl-C end the whole play, not just this batch.
        break;
      }
    }
  }

  /** The keyword values a play gives its tasks before any block adds its own. */
  private playKeywords(): Inherited {
    const { play } = this;
    const d = this.env.become;
    return { when: [], tags: play.tags, become: play.become ?? d?.become, becomeUser: play.becomeUser ?? d?.becomeUser, scopeVars: [], environment: play.environment };
  }

  private *batches(hosts: HostState[]): Generator<HostState[]> {
    const sizes = this.play.serial.length ? this.play.serial : [hosts.length || 1];
    let i = 0;
    let k = 0;
    while (i < hosts.length) {
      const spec = sizes[Math.min(k++, sizes.length - 1)]!;
      let n = typeof spec === 'number' ? spec : Math.ceil((parseFloat(spec) / 100) * hosts.length);
      if (!Number.isFinite(n) || n < 1) n = 1;
      yield hosts.slice(i, i + n);
      i += n;
    }
  }

  /** vars_files, facts, and handlers still pending from an earlier run. */
  private async startBatch(batch: HostState[]): Promise<void> {
    const { env, play } = this;
    for (const h of batch) {
      try {
        this.varsFiles.set(h.name, this.loadVarsFiles(h));
      } catch (e) {
        this.emitResult(h, this.syntheticTask('vars_files', play.pos), {
          status: 'failed',
          changes: [],
          result: {},
          msg: this.errMsg(e),
          inputError: e instanceof InputError,
        });
        h.failed = true;
      }
      this.handlers.restorePending(h);
    }
    if (play.gatherFacts) {
      const active = batch.filter((h) => h.active && !h.factsGathered);
      if (active.length) {
        const node = this.syntheticTask('Gathering Facts', play.pos);
        env.emit({ type: 'task_start', play: play.name, task: 'Gathering Facts', where: formatPos(play.pos), hosts: active.map((h) => h.name) });
        await Promise.all(
          active.map((h) =>
            this.queue.add(async () => {
              const started = Date.now();
              try {
                const conn = await env.pool.get(h.name);
                h.facts = await gatherFacts((cmd) => conn.exec(cmd, { timeoutMs: env.timeoutMs }));
                h.factsGathered = true;
                this.emitResult(h, node, { status: 'ok', changes: [], result: {} }, started);
              } catch (e) {
                const unreachable = e instanceof UnreachableError;
                this.emitResult(h, node, { status: unreachable ? 'unreachable' : 'failed', changes: [], result: {}, msg: this.errMsg(e) }, started);
                if (unreachable) h.unreachable = true;
                else h.failed = true;
              }
            }),
          ),
        );
      }
    }
  }

  private loadVarsFiles(h: HostState): Vars {
    const out: Vars = {};
    this.play.varsFiles.forEach((f, i) => {
      const pos = keywordPos(this.play, 'vars_files', i);
      const data = loadPlayVarsFile(this.play.baseDir, String(renderString(f, this.baseVars(h), pos)), pos);
      this.markSecrets(data);
      Object.assign(out, data);
    });
    return out;
  }

  private markSecrets(vars: Vars): void {
    markSecretVars(this.env.redactor, vars);
  }

  /** Vars without task/block scope: what vars_files and delegate names render with. */
  private baseVars(h: HostState): Vars {
    return this.varsFor(h, undefined, []);
  }

  varsFor(h: HostState, node: TaskKeywords | undefined, scopeVars: Vars[]): Vars {
    const { env, play } = this;
    const role = node?.role;
    return mergeVars({
      ...roleLayers(role),
      inventory: env.inventoryVars(h.name),
      facts: h.facts,
      playVars: play.vars,
      varsFiles: this.varsFiles.get(h.name) ?? {},
      scopeVars,
      runtime: h.runtimeVars,
      extra: env.extraVars,
      ...this.magic(h, role),
    });
  }

  /** The magic variables (playbook/magic-vars.ts, the list the validator uses too). */
  private magic(h: HostState, role: RoleScope | undefined): Pick<VarLayers, 'magic' | 'lazyMagic'> {
    const { env, play } = this;
    const { plain, lazy } = magicValues({
      host: env.inventory.hosts.get(h.name) ?? { name: h.name, vars: {}, groups: [] },
      inventory: env.inventory,
      play,
      role,
      playbookDir: env.playbookDir,
      hostvars: env.hostvars,
      check: env.check,
      diff: env.diff,
      verbosity: env.verbose,
      tags: env.tags,
      skipTags: env.skipTags,
      limit: env.limit,
      playHosts: () => this.playHosts.map((x) => x.name),
      batch: () => this.batch.map((x) => x.name),
      removed: (name) => !(env.hosts.get(name)?.active ?? false),
    });
    return { magic: plain, lazyMagic: lazy };
  }

  private async runNodes(nodes: Node[], hosts: HostState[], inherited: Inherited): Promise<void> {
    for (const [i, node] of nodes.entries()) {
      if (this.env.interrupted()) throw new EndPlay();
      const active = hosts.filter((h) => h.active);
      if (active.length === 0) return;
      switch (node.kind) {
        case 'task':
          await this.runTaskNode(node, active, inherited, false, nodes.slice(i + 1));
          break;
        case 'block':
          await this.runBlock(node, active, inherited);
          break;
        case 'include_tasks':
        case 'include_role':
          await this.runInclude(node, active, inherited);
          break;
        case 'meta':
          await this.runMeta(node, active, inherited);
          break;
      }
    }
  }

  /** A node's own keywords over what it inherits: `when` and `tags` add up, the others override. */
  private inherit(inherited: Inherited, node: TaskKeywords): Inherited {
    return {
      when: [...inherited.when, ...node.when],
      tags: [...inherited.tags, ...node.tags],
      become: node.become ?? inherited.become,
      becomeUser: node.becomeUser ?? inherited.becomeUser,
      scopeVars: Object.keys(node.vars).length ? [...inherited.scopeVars, node.vars] : inherited.scopeVars,
      environment: node.environment ?? inherited.environment,
      ignoreErrors: node.ignoreErrors ?? inherited.ignoreErrors,
      noLog: node.noLog ?? inherited.noLog,
      delegateTo: node.delegateTo ?? inherited.delegateTo,
      runOnce: node.runOnce ?? inherited.runOnce,
    };
  }

  /** block / rescue / always, per host: a host that fails in block runs rescue; everyone runs always. */
  private async runBlock(node: BlockNode, hosts: HostState[], inherited: Inherited): Promise<void> {
    const blockInherited = this.inherit(inherited, node);
    // A block's own `when` is applied per task inside it (as Ansible does).
    await this.runNodes(node.block, hosts, blockInherited);
    const failedInBlock = hosts.filter((h) => h.failed && !h.unreachable);
    if (node.rescue.length && failedInBlock.length) {
      for (const h of failedInBlock) {
        h.failed = false;
        h.tally.rescued++;
        // The failure is rescued: it no longer counts as a failed task in the recap.
        h.tally.failed = Math.max(0, h.tally.failed - 1);
        h.runtimeVars.ansible_failed_result = h.runtimeVars.__last_failed ?? {};
        h.runtimeVars.ansible_failed_task = h.runtimeVars.__last_failed_task ?? {};
      }
      await this.runNodes(node.rescue, failedInBlock, blockInherited);
    }
    if (node.always.length) {
      const stillFailed = hosts.filter((h) => h.failed && !h.unreachable);
      for (const h of stillFailed) h.failed = false;
      await this.runNodes(node.always, hosts.filter((h) => !h.unreachable), blockInherited);
      for (const h of stillFailed) h.failed = true;
    }
  }

  private async runInclude(node: IncludeNode, hosts: HostState[], inherited: Inherited): Promise<void> {
    const includeInherited = this.inherit(inherited, node);
    if (!this.tagsOk(includeInherited.tags)) return;
    // Group hosts by (resolved file, item) so each group runs the included tasks linearly.
    const groups = new Map<string, { nodes: Node[]; hosts: HostState[]; vars: Vars }[]>();
    for (const h of hosts) {
      const vars = this.varsFor(h, node, includeInherited.scopeVars);
      let items: unknown[] = [undefined];
      if (node.loop) {
        const l = typeof node.loop.items === 'string' ? renderString(node.loop.items, vars, node.pos) : renderDeep(node.loop.items, vars, node.pos);
        if (!Array.isArray(l)) throw new InputError('loop must be a list', node.pos);
        items = l;
      }
      for (let i = 0; i < items.length; i++) {
        const itemVars: Vars = node.loop ? { [node.loop.loopVar]: items[i] } : {};
        const full = extendVars(vars, itemVars);
        if (!includeInherited.when.every((c) => evaluateCondition(c, full, node.pos))) continue;
        let nodes: Node[];
        try {
          nodes = node.resolved ?? (await loadIncludedTasks(node, String(renderString(node.target, full, node.pos))));
        } catch (e) {
          this.emitResult(h, this.syntheticTask(`include ${node.target}`, node.pos), { status: 'failed', changes: [], result: {}, msg: this.errMsg(e), inputError: e instanceof InputError });
          h.failed = true;
          continue;
        }
        const key = `${i}`;
        const list = groups.get(key) ?? [];
        let g = list.find((x) => x.nodes === nodes);
        if (!g) list.push((g = { nodes, hosts: [], vars: itemVars }));
        g.hosts.push(h);
        groups.set(key, list);
      }
    }
    const childInherited: Inherited = { ...includeInherited, when: [] };
    for (const list of groups.values()) {
      for (const g of list) {
        await this.runNodes(g.nodes, g.hosts, { ...childInherited, scopeVars: [...childInherited.scopeVars, g.vars] });
      }
    }
  }

  private async runMeta(node: MetaNode, hosts: HostState[], inherited: Inherited): Promise<void> {
    const metaInherited = this.inherit(inherited, node);
    const applies = hosts.filter((h) => metaInherited.when.every((c) => evaluateCondition(c, this.varsFor(h, node, metaInherited.scopeVars), node.pos)));
    switch (node.action) {
      case 'flush_handlers':
        await this.flushHandlers(this.batch);
        break;
      case 'end_play':
        if (applies.length) throw new EndPlay();
        break;
      case 'end_host':
        for (const h of applies) h.ended = true;
        break;
      case 'clear_facts':
        for (const h of applies) {
          h.facts = {};
          h.factsGathered = false;
        }
        break;
      case 'noop':
      case 'refresh_inventory':
        break;
    }
  }

  private tagsOk(tags: string[]): boolean {
    return tagsSelected(tags, this.env.tags, this.env.skipTags);
  }

  /** `following`: the nodes after it in its list (their file reads may be read ahead, read-ahead.ts). */
  private async runTaskNode(node: TaskNode, hosts: HostState[], inherited: Inherited, handler = false, following: readonly Node[] = []): Promise<void> {
    const { env, play } = this;
    const taskInherited = this.inherit(inherited, node);
    if (!handler && !this.tagsOk(taskInherited.tags)) return;
    const title = taskTitle(node);
    if (env.startAt !== undefined && !handler) {
      if (node.name !== env.startAt && title !== env.startAt) return;
      env.startAt = undefined;
    }
    if (env.step && !handler) {
      const answer = await env.step(title);
      if (answer === 'no') return;
      if (answer === 'continue') env.step = undefined;
    }
    const where = formatPos(node.pos);
    const targets = taskInherited.runOnce ? hosts.slice(0, 1) : hosts;
    env.emit({ type: 'task_start', play: play.name, task: this.shownTitle(node, targets[0], taskInherited), where, hosts: targets.map((h) => h.name), handler });
    const outcomes = new Map<HostState, TaskOutcome>();
    await Promise.all(
      targets.map((h) =>
        this.queue.add(async () => {
          env.emit({ type: 'host_task_start', host: h.name, task: title });
          const started = Date.now();
          const outcome = this.handlerCertainty(handler, node, h, await this.runOnHost(node, h, taskInherited, inherited, following));
          outcomes.set(h, outcome);
          this.emitResult(h, node, outcome, started, title, Boolean(this.keywordIsTrue(taskInherited.noLog, h, node, taskInherited)));
        }),
      ),
    );
    // run_once: the one result stands for every host of the batch (registered everywhere).
    if (taskInherited.runOnce && targets.length) {
      const outcome = outcomes.get(targets[0]!)!;
      for (const h of hosts.slice(1)) {
        this.applyOutcome(node, h, outcome, taskInherited, handler, true);
      }
    }
    for (const [h, outcome] of outcomes) this.applyOutcome(node, h, outcome, taskInherited, handler);
    if (failLimitReached(play, hosts, this.batch)) {
      for (const h of this.batch) if (h.active) h.ended = true;
      throw new EndPlay();
    }
  }

  /** A keyword that is a boolean or a condition (ignore_errors, no_log), for this host. */
  private keywordIsTrue(value: boolean | string | undefined, h: HostState, node: TaskKeywords, inherited: Inherited): boolean {
    if (value === undefined) return false;
    if (typeof value === 'boolean') return value;
    return evaluateCondition(value, this.varsFor(h, node, inherited.scopeVars), node.pos);
  }

  /**
   * The TASK line's name as Ansible shows it: the name templated with the
   * first host's variables, or as written when that fails (Ansible templates
   * it with fail_on_undefined=False). Results, --start-at-task and listings
   * keep the name as written, as Ansible's do.
   */
  private shownTitle(node: TaskNode, first: HostState | undefined, inherited: Inherited): string {
    if (node.name === undefined || first === undefined || !isTemplated(node.name)) return taskTitle(node);
    try {
      const name = toText(renderString(node.name, this.varsFor(first, node, inherited.scopeVars), node.pos));
      return taskTitle({ ...node, name });
    } catch {
      return taskTitle(node);
    }
  }

  private async runOnHost(node: TaskNode, h: HostState, inherited: Inherited, listInherited: Inherited, following: readonly Node[]): Promise<TaskOutcome> {
    const { env, play } = this;
    h.readAhead.begin(node);
    // Asked once, by the task's first file read: the later tasks' args rendered with this host's vars now.
    // Not with --step: the user may act on the host while a prompt waits between tasks.
    let predicted: PredictedRead[] | undefined;
    const predict = () =>
      (predicted ??= env.step ? [] : predictReads(following, inherited, {
        keywords: (next) => this.inherit(listInherited, next),
        vars: (next) => this.varsFor(h, next, this.inherit(listInherited, next).scopeVars),
        diff: env.diff,
      }));
    try {
      const vars = this.varsFor(h, node, inherited.scopeVars);
      const ignoreErrors = this.keywordIsTrue(inherited.ignoreErrors, h, node, inherited);
      const noLog = this.keywordIsTrue(inherited.noLog, h, node, inherited);
      const title = taskTitle(node);
      const where = formatPos(node.pos);
      return await runTask({
        host: h,
        node,
        vars,
        when: inherited.when,
        become: Boolean(inherited.become),
        becomeUser: inherited.becomeUser ?? 'root',
        environment: inherited.environment,
        ignoreErrors,
        noLog,
        delegateTo: inherited.delegateTo,
        predictReads: predict,
        check: env.check,
        controllerChangesPredicted: env.controller.changesPredicted,
        diff: env.diff,
        timeoutMs: env.timeoutMs,
        redactor: env.redactor,
        connect: (host) => env.pool.get(host),
        log: (message, verbosity) => env.emit({ type: 'log', host: h.name, message, ...(verbosity !== undefined ? { verbosity } : {}) }),
        onItem: (outcome, label, durationMs) =>
          env.emit(itemResultEvent(outcome, { play: play.name, task: title, where, host: h.name, check: env.check, durationMs, noLog }, label)),
      });
    } catch (e) {
      if (e instanceof UnreachableError) {
        return { status: 'unreachable', changes: [], result: { unreachable: true }, msg: e.message };
      }
      return { status: 'failed', changes: [], result: { failed: true, msg: this.errMsg(e) }, msg: this.errMsg(e) };
    }
  }

  private errMsg(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
  }

  private applyOutcome(node: TaskNode, h: HostState, outcome: TaskOutcome, inherited: Inherited, handler: boolean, runOnceCopy = false): void {
    const noLog = () => this.keywordIsTrue(inherited.noLog, h, node, inherited);
    const changed = applyOutcome(this.env, this.handlers, node, h, outcome, { noLog, handler, runOnceCopy });
    if (this.env.check && changed && !this.env.controller.changesPredicted && this.ranOnController(node, h, inherited)) this.env.controller.changesPredicted = true;
  }

  /** Check mode: a handler that only tasks check mode could not predict notified may not run in the real run at all. */
  private handlerCertainty(handler: boolean, node: TaskNode, h: HostState, outcome: TaskOutcome): TaskOutcome {
    if (!handler || !this.env.check || outcome.status !== 'changed') return outcome;
    if (handlerNames(node).some((n) => h.notifiedSurely.has(n))) return outcome;
    return { ...outcome, status: 'unknown', msg: 'notified only by tasks check mode could not predict: whether it runs is known only then', unknownResult: true };
  }

  /** Did the task run on the controller (its host, or its delegate, is reached with the local connection)? */
  private ranOnController(node: TaskNode, h: HostState, inherited: Inherited): boolean {
    try {
      const target = inherited.delegateTo !== undefined ? String(renderString(inherited.delegateTo, this.varsFor(h, node, inherited.scopeVars), node.pos)) : h.name;
      return this.env.pool.spec(target).kind === 'local';
    } catch {
      return false; // a delegate that does not render: not known to be the controller
    }
  }

  /** Run notified handlers, each on the hosts that notified it (handlers.ts). */
  private async flushHandlers(batch: HostState[]): Promise<void> {
    await this.handlers.flush(batch, (handler, hosts) => this.runTaskNode(handler, hosts, { ...this.playKeywords(), tags: [] }, true));
  }

  /** A step of the play that is reported like a task (vars_files, fact gathering, an include): it runs no module. */
  private syntheticTask(name: string, pos: TaskNode['pos']): TaskNode {
    return { kind: 'task', name, module: '', args: {}, pos, when: [], tags: [], vars: {}, notify: [], baseDir: this.play.baseDir };
  }

  private emitResult(h: HostState, node: TaskNode, outcome: TaskOutcome, started = Date.now(), title = taskTitle(node), noLog = false): void {
    const { env, play } = this;
    countResult(h.tally, outcome.status, outcome.ignored);
    const context = { play: play.name, task: title, where: formatPos(node.pos), host: h.name, check: env.check, durationMs: Date.now() - started, noLog };
    env.emit(taskResultEvent(outcome, context));
  }
}
