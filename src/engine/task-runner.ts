import type { Change, Module, ModuleResult, Plan } from '../modules/types.js';
import { getModule } from '../modules/registry.js';
import type { TaskNode } from '../playbook/types.js';
import type { TaskStatus } from '../report/events.js';
import type { TaskReport } from '../report/task-event.js';
import { conditionRefs, evaluateCondition, renderDeep, renderString, templateRefs, UndefinedVariableError } from '../template/index.js';
import type { Connection } from '../transport/connection.js';
import { CommandTimeoutError, InputError, ModuleError, UnreachableError } from '../util/errors.js';
import { formatPos } from '../util/source.js';
import { collectStrings } from '../util/strings-in.js';
import type { Redactor } from '../util/redact.js';
import { LocalFileNotYet, makeTaskContext } from './context.js';
import { extendVars } from './vars.js';
import { loopMagic } from '../playbook/magic-vars.js';
import type { HostState } from './host-state.js';
import { executePlan } from '../modules/execute-plan.js';
import { FactCache } from '../facts/cache.js';
import type { PredictedRead } from './read-ahead.js';

/** The outcome of one task (all loop items) on one host: what the report shows, and what only the engine needs. */
export interface TaskOutcome extends TaskReport {
  /** check mode could not know the registered value. */
  unknownResult?: boolean;
}

/** What the play runner hands in for one host. */
export interface TaskRunParams {
  host: HostState;
  node: TaskNode;
  /** Vars for this host and task (before loop items). */
  vars: Record<string, unknown>;
  /** Effective keyword values after inheritance from play/blocks. */
  when: string[];
  become: boolean;
  becomeUser: string;
  environment?: Record<string, unknown> | string;
  ignoreErrors: boolean;
  noLog: boolean;
  /** delegate_to as written: rendered per loop item, after `when:` (undefined while skipped is fine, as in Ansible). */
  delegateTo?: string;
  check: boolean;
  /** Check mode: a change was predicted (or not predictable) on the controller earlier in the run. */
  controllerChangesPredicted: boolean;
  diff: boolean;
  timeoutMs: number;
  redactor: Redactor;
  connect: (host: string) => Promise<Connection>;
  /** verbosity: the -v count that shows the line (default 1). */
  log: (message: string, verbosity?: number) => void;
  /** What the next tasks will read (read-ahead.ts); asked once, by the task's first file read. */
  predictReads?: () => PredictedRead[];
  /** Each loop item's outcome as it ends (the console prints a line per item). */
  onItem?: (outcome: TaskOutcome, label: string, durationMs: number) => void;
}

const SKIPPED = (reason: string): Record<string, unknown> => ({ changed: false, skipped: true, skip_reason: reason });

export async function runTask(p: TaskRunParams): Promise<TaskOutcome> {
  try {
    return await runTaskOnce(p);
  } catch (e) {
    const unknown = unknownInCheck(e, p);
    if (unknown) return unknown;
    throw e;
  }
}

/**
 * Check mode: what is missing now may be there in the real run, so the task
 * cannot be predicted: a controller-side file after a change predicted on the
 * controller (context.ts), a variable after a task that would define variables
 * could not be predicted (HostState.varsIncomplete).
 */
function unknownInCheck(e: unknown, p: TaskRunParams): TaskOutcome | undefined {
  let msg: string;
  if (e instanceof LocalFileNotYet) msg = e.message;
  else if (p.check && p.host.varsIncomplete && e instanceof UndefinedVariableError) msg = `${e.message} (an earlier task check mode could not predict may define it)`;
  else return undefined;
  return { status: 'unknown', changes: [], result: { changed: false }, msg, unknownResult: true };
}

async function runTaskOnce(p: TaskRunParams): Promise<TaskOutcome> {
  const { node, host } = p;
  const mod = getModule(node.module);
  if (!mod) throw new InputError(`unknown module '${node.module}'`, node.pos);

  // Check mode: a task that reads a value check mode could not know cannot be predicted either.
  if (p.check && host.unknownVars.size > 0) {
    const dep = dependsOnUnknown(p, host.unknownVars);
    if (dep) {
      return {
        status: 'unknown',
        changes: [],
        result: { changed: false },
        msg: `depends on '${dep}', whose value check mode cannot know`,
        unknownResult: true,
      };
    }
  }

  if (!node.loop) {
    if (!evaluateAll(p.when, p.vars, node)) return { status: 'skipped', changes: [], result: SKIPPED('conditional result was false') };
    return runItem(p, mod, p.vars);
  }

  let list: unknown;
  try {
    list = typeof node.loop.items === 'string' ? renderString(node.loop.items, p.vars, node.pos) : renderDeep(node.loop.items, p.vars, node.pos);
  } catch (err) {
    // As Ansible: a loop that reads an undefined variable fails only if the task's condition holds.
    if (err instanceof UndefinedVariableError && !evaluateAll(p.when, p.vars, node)) {
      return { status: 'skipped', changes: [], result: SKIPPED('conditional result was false') };
    }
    throw err;
  }
  if (!Array.isArray(list)) {
    throw new ModuleError(`loop must be a list, got ${list === null ? 'null' : typeof list} (${formatPos(node.pos)})`);
  }
  const results: Record<string, unknown>[] = [];
  const changes: Change[] = [];
  let status: TaskStatus = 'skipped';
  let first: TaskOutcome | undefined;
  let unknownResult = false;
  // Readings of uncached facts (a file's content and state…) kept from one item to the next while
  // the items change nothing: 27 ini_file items on one nova.conf read it once. Per target and user.
  const readings = new Map<string, FactCache>();
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const itemVars = extendVars(p.vars, {
      [node.loop.loopVar]: item,
      ...loopMagic(node.loop, i, list.length),
      ...(node.loop.indexVar ? { [node.loop.indexVar]: i } : {}),
    });
    const label = itemLabel(node, itemVars, item);
    const started = Date.now();
    let out: TaskOutcome;
    if (!evaluateAll(p.when, itemVars, node)) {
      out = { status: 'skipped', changes: [], result: SKIPPED('conditional result was false') };
    } else {
      out = await runItem(p, mod, itemVars, readings);
    }
    p.onItem?.(out, label, Date.now() - started);
    results.push({ ...out.result, item, ansible_loop_var: node.loop.loopVar });
    for (const c of out.changes) changes.push({ ...c, summary: `(item=${label}) ${c.summary}` });
    unknownResult ||= Boolean(out.unknownResult);
    status = worse(status, out.status);
    if (out.status === 'failed' || out.status === 'unreachable') {
      first ??= { ...out, msg: `(item=${label}) ${out.msg ?? ''}` };
      if (out.status === 'unreachable' || !p.ignoreErrors) break;
    }
  }
  const changed = results.some((r) => r.changed === true);
  const failed = status === 'failed';
  return {
    status,
    changes,
    result: { changed, failed, results, msg: failed ? 'One or more items failed' : 'All items completed', skipped: status === 'skipped' },
    msg: first?.msg,
    command: first?.command,
    stdout: first?.stdout,
    stderr: first?.stderr,
    rc: first?.rc,
    ignored: failed && p.ignoreErrors,
    unknownResult,
    loopItems: results.length,
  };
}

/** Severity order used to fold loop items into one task status. */
const ORDER: TaskStatus[] = ['skipped', 'ok', 'unknown', 'changed', 'failed', 'unreachable'];
function worse(a: TaskStatus, b: TaskStatus): TaskStatus {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

function evaluateAll(conds: string[], vars: Record<string, unknown>, node: TaskNode): boolean {
  return conds.every((c) => evaluateCondition(c, vars, node.pos));
}

function itemLabel(node: TaskNode, vars: Record<string, unknown>, item: unknown): string {
  if (node.loop?.label !== undefined) return String(renderString(node.loop.label, vars, node.pos));
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
  const s = JSON.stringify(item);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** The name of an unknown registered variable this task reads, if any. */
function dependsOnUnknown(p: TaskRunParams, unknown: Set<string>): string | undefined {
  const refs = [
    ...p.when.flatMap((w) => conditionRefs(w, p.node.pos)),
    ...collectStrings(p.node.args).flatMap((s) => templateRefs(s, p.node.pos)),
    // Arguments that are expressions, not templates (assert's `that`).
    ...(getModule(p.node.module)?.expressionArgs ?? []).flatMap((k) =>
      collectStrings(p.node.args[k]).flatMap((s) => conditionRefs(s, p.node.pos)),
    ),
    ...(typeof p.node.loop?.items === 'string' ? templateRefs(p.node.loop.items, p.node.pos) : []),
  ];
  return refs.find((r) => unknown.has(r.root))?.root;
}

async function runItem(p: TaskRunParams, mod: Module, vars: Record<string, unknown>, readings?: Map<string, FactCache>): Promise<TaskOutcome> {
  const { node } = p;
  let attempts = 0;
  const retries = node.until ? (node.retries ?? 3) : 0;
  const delayMs = (node.delay ?? 5) * 1000;
  for (;;) {
    attempts++;
    // `until` waits for the state to change: every attempt reads it afresh.
    if (attempts > 1) readings?.clear();
    const out = await attempt(p, mod, vars, readings);
    if (!node.until || out.status === 'unreachable' || (p.check && out.status === 'unknown')) return out;
    const withResult = extendVars(vars, p.node.register ? { [p.node.register]: out.result } : out.result);
    const done = node.until.every((c) => evaluateCondition(c, withResult, node.pos));
    if (done) return { ...out, result: { ...out.result, attempts } };
    if (attempts > retries) {
      return {
        ...out,
        status: 'failed',
        result: { ...out.result, failed: true, attempts },
        msg: `until condition not met after ${attempts} attempts${out.msg ? `: ${out.msg}` : ''}`,
        ignored: p.ignoreErrors,
      };
    }
    p.log(`FAILED - RETRYING: until not met (attempt ${attempts}/${retries + 1}), retrying in ${delayMs / 1000}s`, 0);
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** One attempt of the task for one item (`until` may retry it). */
async function attempt(p: TaskRunParams, mod: Module, vars: Record<string, unknown>, loopReadings?: Map<string, FactCache>): Promise<TaskOutcome> {
  const { node, redactor } = p;
  // Arguments: rendered per host and item, then checked against the module's schema.
  const rendered = renderDeep(node.args, vars, node.pos) as Record<string, unknown>;
  for (const k of mod.secretArgs ?? []) redactor.add(rendered[k]);
  const parsed = mod.schema.safeParse(rendered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path?.length ? `argument '${issue.path.join('.')}'` : 'arguments';
    return failed(`${node.module}: invalid ${where}: ${issue?.message ?? 'invalid'}`, p);
  }
  const args = parsed.data;

  let conn: Connection | undefined;
  let becomeUser: string | undefined;
  // Rendered here, per item and after `when:` (as Ansible does): a skipped task's delegate may be undefined.
  const target = p.delegateTo !== undefined ? String(renderString(p.delegateTo, vars, node.pos)) : p.host.name;
  if (mod.runsOn !== 'controller') {
    conn = await p.connect(target);
    // The connection skips sudo when it already logs in as that user (one rule, in transport/shell-connection.ts).
    becomeUser = p.become ? p.becomeUser : undefined;
  }
  const env = renderEnvironment(p, vars);
  const readingsKey = `${target}\0${becomeUser ?? ''}`;
  let readings = loopReadings?.get(readingsKey);
  if (loopReadings && !readings) loopReadings.set(readingsKey, (readings = new FactCache()));
  const ctx = makeTaskContext({
    host: p.host,
    node,
    conn: conn ?? (undefined as unknown as Connection),
    vars,
    check: p.check,
    controllerChangesPredicted: p.controllerChangesPredicted,
    diff: p.diff,
    becomeUser,
    env,
    timeoutMs: node.timeout ? node.timeout * 1000 : p.timeoutMs,
    readings,
    // Read ahead only for a task on its own host: a loop shares its readings itself, a delegate is another host's.
    readAhead: p.predictReads && !loopReadings && conn && target === p.host.name ? { state: p.host.readAhead, predict: p.predictReads } : undefined,
    redactor,
    log: p.noLog ? hideNoLog(p.log) : p.log,
  });

  // A lost connection before apply started is retried once: planning only reads.
  let plan: Plan;
  let result: ModuleResult;
  let reconnects = 0;
  const runAnyway = node.checkMode === false;
  const dryRun = p.check && !runAnyway;
  try {
    for (;;) {
      try {
        const shared = (readings?.size ?? 0) > 0;
        plan = await mod.plan(ctx, args);
        // A write is planned from a fresh reading, as each Ansible item reads its own: what another
        // process changed since an earlier item's read is not overwritten from the older content.
        if (shared && plan.changes.length > 0 && !dryRun) {
          readings!.clear();
          plan = await mod.plan(ctx, args);
        }
        break;
      } catch (e) {
        if (e instanceof UnreachableError && e.retryable && reconnects < 1) {
          reconnects++;
          p.log(`connection lost while planning; reconnecting (${e.message})`);
          continue;
        }
        throw e;
      }
    }
    // Applied changes (whatever the result then says: changed_when) make the readings stale.
    if (plan.changes.length > 0 && !dryRun) readings?.clear();
    const done = await executePlan(mod, ctx, args, plan, dryRun);
    if (plan.changes.length > 0 && !dryRun) readings?.clear();
    if (done.unknown !== undefined) return { status: 'unknown', changes: plan.changes, result: done.result, msg: done.unknown, unknownResult: true };
    result = done.result;
  } catch (e) {
    readings?.clear();
    return fromError(e, p);
  }

  // A module may skip itself (debug below its verbosity), as Ansible's `skipped: true`.
  let status: TaskStatus = result.failed ? 'failed' : result.skipped === true ? 'skipped' : result.changed ? 'changed' : 'ok';
  // changed_when / failed_when see the result under the register name (and bare, as a convenience).
  if (node.changedWhen !== undefined || node.failedWhen !== undefined) {
    // Conditions read the result; a plain true/false needs no scope.
    const needsScope = typeof node.changedWhen === 'object' || typeof node.failedWhen === 'object';
    const scope = needsScope ? extendVars(vars, { ...result, ...(node.register ? { [node.register]: result } : {}) }) : vars;
    if (node.failedWhen !== undefined) {
      const f = typeof node.failedWhen === 'boolean' ? node.failedWhen : node.failedWhen.some((c) => evaluateCondition(c, scope, node.pos));
      result = { ...result, failed: f };
      status = f ? 'failed' : result.changed ? 'changed' : 'ok';
    }
    if (node.changedWhen !== undefined && status !== 'failed') {
      const c = typeof node.changedWhen === 'boolean' ? node.changedWhen : node.changedWhen.some((x) => evaluateCondition(x, scope, node.pos));
      result = { ...result, changed: c };
      status = c ? 'changed' : 'ok';
    }
  }
  if (p.check && status === 'changed' && plan.changes.length === 0 && !runAnyway) status = 'ok';
  const out: TaskOutcome = { status, changes: status === 'changed' || p.check ? plan.changes : [], result };
  // A module's own message (debug's text, "did not run since … exists") goes with its result; what a
  // module shows at every verbosity (debug's value) the console shows as Ansible does, instead of msg.
  if (typeof result.msg === 'string' && status !== 'failed') out.msg = result.msg;
  const show = status === 'ok' || status === 'changed' ? mod.display?.(result) : undefined;
  if (show) out.show = show;
  if (status === 'failed') {
    out.msg = String(result.msg ?? 'failed');
    if (typeof result.cmd === 'string') out.command = result.cmd;
    else if (Array.isArray(result.cmd)) out.command = result.cmd.join(' ');
    if (typeof result.stdout === 'string') out.stdout = result.stdout;
    if (typeof result.stderr === 'string') out.stderr = result.stderr;
    if (typeof result.rc === 'number') out.rc = result.rc;
    out.ignored = p.ignoreErrors;
    // Check mode: a task that runs anyway (check_mode: false) on a host earlier tasks would change
    // first saw the host as it is, not as the real run will find it; its failure predicts nothing.
    if (p.check && runAnyway && p.host.predictedChange && !p.ignoreErrors) {
      return { status: 'unknown', changes: [], result: { ...result, failed: false }, msg: `it failed here (${out.msg}), on a host earlier tasks would change first: known only in the real run`, unknownResult: true };
    }
  }
  return out;
}

/** -v lines of a no_log task: say that a command ran and how it ended, not what it was or printed. */
function hideNoLog(log: (m: string, verbosity?: number) => void): (m: string, verbosity?: number) => void {
  return (m, verbosity) => {
    const end = / -> rc=-?\d+ \d+ms/.exec(m)?.[0] ?? '';
    log(m.startsWith('$ ') ? `$ <command hidden by no_log>${end}` : '<hidden by no_log>', verbosity);
  };
}

function renderEnvironment(p: TaskRunParams, vars: Record<string, unknown>): Record<string, string> | undefined {
  if (p.environment === undefined) return undefined;
  const env = typeof p.environment === 'string' ? renderString(p.environment, vars, p.node.pos) : renderDeep(p.environment, vars, p.node.pos);
  if (!env || typeof env !== 'object' || Array.isArray(env)) {
    throw new ModuleError(`environment must be a mapping (${formatPos(p.node.pos)})`);
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function failed(msg: string, p: TaskRunParams): TaskOutcome {
  return { status: 'failed', changes: [], result: { changed: false, failed: true, msg }, msg, ignored: p.ignoreErrors };
}

function fromError(e: unknown, p: TaskRunParams): TaskOutcome {
  const unknown = unknownInCheck(e, p);
  if (unknown) return unknown;
  if (e instanceof UnreachableError) {
    return { status: 'unreachable', changes: [], result: { changed: false, unreachable: true, msg: e.message }, msg: e.message };
  }
  if (e instanceof CommandTimeoutError) {
    const out = failed(`${e.message} on ${p.host.name}`, p);
    out.command = e.command;
    return out;
  }
  if (e instanceof ModuleError) {
    const out = failed(e.message, p);
    out.command = e.command;
    out.stdout = e.stdout;
    out.stderr = e.stderr;
    out.rc = e.rc;
    out.result = { ...out.result, rc: e.rc, stdout: out.stdout, stderr: out.stderr, cmd: out.command };
    return out;
  }
  if (e instanceof InputError) return { ...failed(e.message, p), inputError: true };
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return failed(`internal error: ${msg}`, p);
}
