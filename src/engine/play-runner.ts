import PQueue from 'p-queue';
import type { BlockNode, IncludeNode, MetaNode, Node, Play, RoleScope, TaskKeywords, TaskNode, Vars } from '../playbook/types.js';
import { loadIncludedTasks } from '../playbook/index.js';
import { keywordPos } from '../playbook/context.js';
import { loadPlayVarsFile } from '../playbook/local-files.js';
import type { EngineEvent, TaskStatus } from '../report/events.js';
import { countResult } from '../report/tally.js';
import { gatherFacts } from '../facts/gather.js';
import { evaluateCondition, renderDeep, renderString } from '../template/index.js';
import { InputError, ModuleError, UnreachableError } from '../util/errors.js';
import { formatPos } from '../util/source.js';
import type { Redactor } from '../util/redact.js';
import { isSecretName, maskSecretAssignments } from '../util/redact.js';
import type { Inventory } from '../inventory/types.js';
import type { ConnectionPool } from './connections.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';
import { tagsSelected } from './tags.js';
import { runTask, type TaskOutcome } from './task-runner.js';
import { getModule } from '../modules/registry.js';
import { extendVars, mergeVars, roleLayers, type VarLayers } from './vars.js';
import { failedTask, magicValues } from '../playbook/magic-vars.js';
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
 * unreachable leaves the play; the others go on.
 */
export class PlayRunner {
  private varsFiles = new Map<string, Vars>();
  /** Handlers an earlier run notified but never ran, per host (see RunState). */
  private restored = new Map<HostState, string[]>();
  private batch: HostState[] = [];
  /** Every host of the play (ansible_play_hosts_all). */
  private playHosts: HostState[] = [];
  private queue: PQueue;

  constructor(
    private env: RunEnv,
    private play: Play,
  ) {
    this.queue = new PQueue({ concurrency: Math.max(1, env.forks) });
    this.markSecrets(play.vars);
    for (const r of play.roles) for (const v of [r.defaults, r.vars, r.params]) this.markSecrets(v);
  }

  async run(hostNames: string[]): Promise<void> {
    const { env, play } = this;
    env.emit({ type: 'play_start', play: play.name, hosts: hostNames });
    const hosts = hostNames.map((h) => env.hosts.get(h)!).filter((h) => !h.failed && !h.unreachable);
    for (const h of hosts) h.ended = false;
    this.playHosts = hostNames.map((h) => env.hosts.get(h)!);
    for (const batch of this.batches(hosts)) {
      this.batch = batch;
      try {
        await this.startBatch(batch);
        const base: Inherited = {
          when: [],
          tags: play.tags,
          become: play.become,
          becomeUser: play.becomeUser,
          scopeVars: [],
          environment: play.environment,
        };
        if (env.mode === 'verify') {
          await this.runNodes(play.verifyTasks, batch, base);
        } else {
          await this.runNodes(play.preTasks, batch, base);
          await this.flushHandlers(batch);
          await this.runNodes(play.roleTasks, batch, base);
          await this.runNodes(play.tasks, batch, base);
          // Handlers left pending by an earlier run fire where this run's own would:
          // after the play's tasks, once the roles have loaded the variables they need.
          for (const [h, names] of this.restored) if (h.active) for (const n of names) h.notified.add(n);
          this.restored.clear();
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
      if (env.runState && !env.check && env.mode === 'converge') {
        const names = new Set(play.handlers.flatMap((x) => [x.name ?? '', ...(x.listen ?? []), ...(x.role ? [`${x.role.name} : ${x.name}`] : [])]));
        const pending = env.runState.pendingFor(h.name).filter((n) => names.has(n));
        if (pending.length) this.restored.set(h, pending);
      }
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

  /** Values of secret-named variables (passwords, tokens…) are masked from now on; templates are masked once rendered. */
  markSecrets(vars: Vars): void {
    for (const [k, v] of Object.entries(vars)) {
      if (isSecretName(k)) {
        if (!(typeof v === 'string' && v.includes('{{'))) this.env.redactor.add(v);
      }
      else if (v && typeof v === 'object' && !Array.isArray(v)) this.markSecrets(v as Vars);
    }
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

  private async runNodes(nodes: Node[], hosts: HostState[], inh: Inherited): Promise<void> {
    for (const node of nodes) {
      if (this.env.interrupted()) throw new EndPlay();
      const active = hosts.filter((h) => h.active);
      if (active.length === 0) return;
      switch (node.kind) {
        case 'task':
          await this.runTaskNode(node, active, inh);
          break;
        case 'block':
          await this.runBlock(node, active, inh);
          break;
        case 'include_tasks':
        case 'include_role':
          await this.runInclude(node, active, inh);
          break;
        case 'meta':
          await this.runMeta(node, active, inh);
          break;
      }
    }
  }

  private inherit(inh: Inherited, n: TaskKeywords): Inherited {
    return {
      when: [...inh.when, ...n.when],
      tags: [...inh.tags, ...n.tags],
      become: n.become ?? inh.become,
      becomeUser: n.becomeUser ?? inh.becomeUser,
      scopeVars: Object.keys(n.vars).length ? [...inh.scopeVars, n.vars] : inh.scopeVars,
      environment: n.environment ?? inh.environment,
      ignoreErrors: n.ignoreErrors ?? inh.ignoreErrors,
      noLog: n.noLog ?? inh.noLog,
      delegateTo: n.delegateTo ?? inh.delegateTo,
      runOnce: n.runOnce ?? inh.runOnce,
    };
  }

  /** block / rescue / always, per host: a host that fails in block runs rescue; everyone runs always. */
  private async runBlock(node: BlockNode, hosts: HostState[], inh: Inherited): Promise<void> {
    const blockInh = this.inherit(inh, node);
    // A block's own `when` is applied per task inside it (as Ansible does).
    await this.runNodes(node.block, hosts, blockInh);
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
      await this.runNodes(node.rescue, failedInBlock, blockInh);
    }
    if (node.always.length) {
      const stillFailed = hosts.filter((h) => h.failed && !h.unreachable);
      for (const h of stillFailed) h.failed = false;
      await this.runNodes(node.always, hosts.filter((h) => !h.unreachable), blockInh);
      for (const h of stillFailed) h.failed = true;
    }
  }

  private async runInclude(node: IncludeNode, hosts: HostState[], inh: Inherited): Promise<void> {
    const incInh = this.inherit(inh, node);
    if (!this.tagsOk(incInh.tags)) return;
    // Group hosts by (resolved file, item) so each group runs the included tasks linearly.
    const groups = new Map<string, { nodes: Node[]; hosts: HostState[]; vars: Vars }[]>();
    for (const h of hosts) {
      const vars = this.varsFor(h, node, incInh.scopeVars);
      let items: unknown[] = [undefined];
      if (node.loop) {
        const l = typeof node.loop.items === 'string' ? renderString(node.loop.items, vars, node.pos) : renderDeep(node.loop.items, vars, node.pos);
        if (!Array.isArray(l)) throw new InputError('loop must be a list', node.pos);
        items = l;
      }
      for (let i = 0; i < items.length; i++) {
        const itemVars: Vars = node.loop ? { [node.loop.loopVar]: items[i] } : {};
        const full = extendVars(vars, itemVars);
        if (!incInh.when.every((c) => evaluateCondition(c, full, node.pos))) continue;
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
    const childInh: Inherited = { ...incInh, when: [] };
    for (const list of groups.values()) {
      for (const g of list) {
        await this.runNodes(g.nodes, g.hosts, { ...childInh, scopeVars: [...childInh.scopeVars, g.vars] });
      }
    }
  }

  private async runMeta(node: MetaNode, hosts: HostState[], inh: Inherited): Promise<void> {
    const mInh = this.inherit(inh, node);
    const applies = hosts.filter((h) => mInh.when.every((c) => evaluateCondition(c, this.varsFor(h, node, mInh.scopeVars), node.pos)));
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

  private async runTaskNode(node: TaskNode, hosts: HostState[], inh: Inherited, handler = false): Promise<void> {
    const { env, play } = this;
    const tInh = this.inherit(inh, node);
    if (!handler && !this.tagsOk(tInh.tags)) return;
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
    const targets = tInh.runOnce ? hosts.slice(0, 1) : hosts;
    env.emit({ type: 'task_start', play: play.name, task: title, where, hosts: targets.map((h) => h.name), handler });
    const outcomes = new Map<HostState, TaskOutcome>();
    await Promise.all(
      targets.map((h) =>
        this.queue.add(async () => {
          env.emit({ type: 'host_task_start', host: h.name, task: title });
          const started = Date.now();
          const out = await this.runOnHost(node, h, tInh);
          outcomes.set(h, out);
          this.emitResult(h, node, out, started, title, Boolean(this.truthy(tInh.noLog, h, node, tInh)));
        }),
      ),
    );
    // run_once: the one result stands for every host of the batch (registered everywhere).
    if (tInh.runOnce && targets.length) {
      const out = outcomes.get(targets[0]!)!;
      for (const h of hosts.slice(1)) {
        this.applyOutcome(node, h, out, tInh, handler, true);
      }
    }
    for (const [h, out] of outcomes) this.applyOutcome(node, h, out, tInh, handler);
    this.checkFailLimits(hosts);
  }

  private truthy(v: boolean | string | undefined, h: HostState, node: TaskKeywords, inh: Inherited): boolean {
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    return evaluateCondition(v, this.varsFor(h, node, inh.scopeVars), node.pos);
  }

  private async runOnHost(node: TaskNode, h: HostState, inh: Inherited): Promise<TaskOutcome> {
    const { env } = this;
    try {
      const vars = this.varsFor(h, node, inh.scopeVars);
      const delegateTo = inh.delegateTo !== undefined ? String(renderString(inh.delegateTo, vars, node.pos)) : undefined;
      const ignoreErrors = this.truthy(inh.ignoreErrors, h, node, inh);
      return await runTask({
        host: h,
        node,
        vars,
        when: inh.when,
        become: Boolean(inh.become),
        becomeUser: inh.becomeUser ?? 'root',
        environment: inh.environment,
        ignoreErrors,
        noLog: this.truthy(inh.noLog, h, node, inh),
        delegateTo,
        check: env.check,
        diff: env.diff,
        timeoutMs: env.timeoutMs,
        redactor: env.redactor,
        connect: (host) => env.pool.get(host),
        loginUser: (host) => {
          try {
            const spec = env.pool.spec(host);
            return spec.kind === 'local' ? (process.getuid?.() === 0 ? 'root' : process.env.USER) : spec.user;
          } catch {
            return undefined;
          }
        },
        log: (message) => env.emit({ type: 'log', host: h.name, message }),
      });
    } catch (e) {
      if (e instanceof UnreachableError) {
        return { status: 'unreachable', changes: [], result: { unreachable: true }, msg: env.redactor.redact(e.message) };
      }
      return { status: 'failed', changes: [], result: { failed: true, msg: this.errMsg(e) }, msg: this.errMsg(e) };
    }
  }

  private errMsg(e: unknown): string {
    const m = e instanceof Error ? e.message : String(e);
    return this.env.redactor.redact(m);
  }

  /** Register, notify, fail the host: what a result means for the rest of the run. */
  private applyOutcome(node: TaskNode, h: HostState, out: TaskOutcome, inh: Inherited, handler: boolean, runOnceCopy = false): void {
    const { env } = this;
    if (node.register) {
      h.runtimeVars[node.register] = out.result;
      // In check mode, what a task reads from a host that earlier tasks would have changed
      // is not what the real run will read: its registered value is unknown.
      const readsChangedHost = env.check && h.predictedChange && getModule(node.module)?.runsOn !== 'controller';
      if (out.unknownResult || out.status === 'unknown' || readsChangedHost) h.unknownVars.add(node.register);
      else h.unknownVars.delete(node.register);
      if (this.truthy(inh.noLog, h, node, inh)) {
        // What the playbook itself says ("echo", a path) is not a secret; masking it would mangle later output.
        const literal = collectLeaves(node.args).join('\n');
        env.redactor.addAll(collectLeaves(stripMeta(out.result)).filter((v) => !literal.includes(String(v))));
      }
    }
    if (out.result.facts && typeof out.result.facts === 'object') {
      const facts = out.result.facts as Vars;
      this.markSecrets(facts);
      Object.assign(h.runtimeVars, facts);
    }
    const changed = out.status === 'changed' || (env.check && out.status === 'unknown');
    if (env.check && changed) h.predictedChange = true;
    if (changed && node.notify.length && !handler) {
      for (const name of node.notify) {
        h.notified.add(name);
        if (!env.check) env.runState?.add(h.name, name);
      }
    }
    const where = formatPos(node.pos);
    const entry = { host: h.name, task: taskTitle(node), where };
    if (out.status === 'changed' && !runOnceCopy) env.changed.push(entry);
    if (out.status === 'unknown' && !runOnceCopy) env.unknown.push(entry);
    if (out.status === 'unreachable') h.unreachable = true;
    if (out.status === 'failed' && !out.ignored) {
      h.failed = true;
      h.runtimeVars.__last_failed = out.result;
      h.runtimeVars.__last_failed_task = failedTask(node);
    }
  }

  private checkFailLimits(hosts: HostState[]): void {
    const { play } = this;
    const failed = hosts.filter((h) => h.failed || h.unreachable).length;
    if (failed === 0) return;
    if (play.anyErrorsFatal) {
      for (const h of this.batch) if (h.active) h.ended = true;
      throw new EndPlay();
    }
    if (play.maxFailPercentage !== undefined && (failed / this.batch.length) * 100 > play.maxFailPercentage) {
      for (const h of this.batch) if (h.active) h.ended = true;
      throw new EndPlay();
    }
  }

  /** Run notified handlers in definition order, each on the hosts that notified it. */
  async flushHandlers(batch: HostState[]): Promise<void> {
    const { env } = this;
    for (const hnode of this.play.handlers) {
      const names = [hnode.name ?? '', ...(hnode.listen ?? []), ...(hnode.role ? [`${hnode.role.name} : ${hnode.name}`] : [])].filter(Boolean);
      const hosts = batch.filter((h) => h.active && names.some((n) => h.notified.has(n)));
      if (!hosts.length) continue;
      await this.runTaskNode(hnode, hosts, { when: [], tags: [], become: this.play.become, becomeUser: this.play.becomeUser, scopeVars: [], environment: this.play.environment }, true);
      for (const h of hosts) {
        if (h.failed || h.unreachable) continue;
        for (const n of names) {
          h.notified.delete(n);
          if (!env.check) env.runState?.done(h.name, n);
        }
      }
    }
  }

  private syntheticTask(name: string, pos: TaskNode['pos']): TaskNode {
    return { kind: 'task', name, module: 'setup', args: {}, pos, when: [], tags: [], vars: {}, notify: [], baseDir: this.play.baseDir };
  }

  private emitResult(h: HostState, node: TaskNode, out: TaskOutcome, started = Date.now(), title = taskTitle(node), noLog = false): void {
    const { env, play } = this;
    countResult(h.tally, out.status, out.ignored);
    const r = env.redactor;
    const changes = noLog
      ? out.changes.map((c) => ({ summary: r.redact(c.summary) }))
      : out.changes.map((c) => ({
          summary: r.redact(c.summary),
          ...(c.diff
            ? { diff: { path: c.diff.path, before: maskSecretAssignments(r.redact(c.diff.before)), after: maskSecretAssignments(r.redact(c.diff.after)) } }
            : {}),
        }));
    env.emit({
      type: 'task_result',
      play: play.name,
      task: title,
      where: formatPos(node.pos),
      host: h.name,
      status: out.status,
      check: env.check,
      changes,
      msg: noLog && out.status !== 'failed' ? undefined : out.msg === undefined ? undefined : r.redact(out.msg),
      command: noLog ? undefined : out.command,
      stderr: noLog ? undefined : out.stderr,
      rc: out.rc,
      ignored: out.ignored,
      inputError: out.inputError || undefined,
      durationMs: Date.now() - started,
      result: noLog ? { censored: 'the output has been hidden due to no_log: true' } : r.redactValue(stripInternal(out.result)),
    });
  }
}

function stripInternal(r: Record<string, unknown>): Record<string, unknown> {
  const { facts: _facts, ...rest } = r;
  return rest;
}

/** A result's bookkeeping (the command line as written, timings): not data the task produced. */
function stripMeta(r: Record<string, unknown>): Record<string, unknown> {
  const { cmd: _c, start: _s, end: _e, delta: _d, rc: _rc, ...rest } = r;
  return rest;
}

function collectLeaves(v: unknown, out: unknown[] = []): unknown[] {
  if (typeof v === 'string' || typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => collectLeaves(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => collectLeaves(x, out));
  return out;
}

export function taskTitle(node: TaskNode): string {
  const base = node.name ?? `${node.module}`;
  return node.role ? `${node.role.name} : ${base}` : base;
}

export type { TaskStatus };
export { ModuleError };
