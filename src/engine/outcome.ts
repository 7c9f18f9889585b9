/**
 * What a task's result means for its host and for the rest of the run:
 * register, facts, notify, the changed/unknown lists, failing the host; and
 * when failures end the play (any_errors_fatal, max_fail_percentage).
 */
import { getModule } from '../modules/registry.js';
import { failedTask } from '../playbook/magic-vars.js';
import type { Play, TaskNode, Vars } from '../playbook/types.js';
import { taskTitle } from '../report/task-event.js';
import { formatPos } from '../util/source.js';
import type { Redactor } from '../util/redact.js';
import type { ChangedTask } from './api.js';
import type { Handlers } from './handlers.js';
import type { HostState } from './host-state.js';
import { markSecretVars } from './secret-vars.js';
import type { TaskOutcome } from './task-runner.js';

/** The run-wide things an outcome updates. */
export interface OutcomeEnv {
  check: boolean;
  redactor: Redactor;
  changed: ChangedTask[];
  unknown: ChangedTask[];
}

export interface OutcomeOptions {
  /** The task's no_log, evaluated for this host only when needed. */
  noLog: () => boolean;
  /** A handler's result notifies nothing. */
  handler: boolean;
  /** run_once: this host receives the result of the one host that ran; it is not counted again. */
  runOnceCopy?: boolean;
}

/** Register, notify, fail the host: what a result means for the rest of the run. Returns whether the task changed (or, in check mode, would change or could not say). */
export function applyOutcome(env: OutcomeEnv, handlers: Pick<Handlers, 'notify'>, node: TaskNode, host: HostState, outcome: TaskOutcome, options: OutcomeOptions): boolean {
  if (node.register) {
    host.runtimeVars[node.register] = outcome.result;
    // In check mode, what a task reads from a host that earlier tasks would have changed
    // is not what the real run will read: its registered value is unknown.
    const readsChangedHost = env.check && host.predictedChange && getModule(node.module)?.runsOn !== 'controller';
    if (outcome.unknownResult || outcome.status === 'unknown' || readsChangedHost) host.unknownVars.add(node.register);
    else host.unknownVars.delete(node.register);
    if (options.noLog()) {
      // What the playbook itself says ("echo", a path) is not a secret; masking it would mangle later output.
      const literal = collectLeaves(node.args).join('\n');
      env.redactor.addAll(collectLeaves(withoutBookkeeping(outcome.result)).filter((v) => !literal.includes(String(v))));
    }
  }
  if (outcome.result.facts && typeof outcome.result.facts === 'object') {
    const facts = outcome.result.facts as Vars;
    markSecretVars(env.redactor, facts);
    Object.assign(host.runtimeVars, facts);
  }
  const changed = outcome.status === 'changed' || (env.check && outcome.status === 'unknown');
  if (env.check && changed) host.predictedChange = true;
  if (env.check && outcome.status === 'unknown' && getModule(node.module)?.definesVars) host.varsIncomplete = true;
  if (changed && node.notify.length && !options.handler) handlers.notify(host, node.notify, outcome.status === 'changed');
  const entry = { host: host.name, task: taskTitle(node), where: formatPos(node.pos) };
  if (outcome.status === 'changed' && !options.runOnceCopy) env.changed.push(entry);
  if (outcome.status === 'unknown' && !options.runOnceCopy) env.unknown.push(entry);
  if (outcome.status === 'unreachable') host.unreachable = true;
  if (outcome.status === 'failed' && !outcome.ignored) {
    host.failed = true;
    host.runtimeVars.__last_failed = outcome.result;
    host.runtimeVars.__last_failed_task = failedTask(node);
  }
  return changed;
}

/** After a task: do its failures end the play for the whole batch (any_errors_fatal, max_fail_percentage)? */
export function failLimitReached(play: Pick<Play, 'anyErrorsFatal' | 'maxFailPercentage'>, hosts: HostState[], batch: HostState[]): boolean {
  const failed = hosts.filter((h) => h.failed || h.unreachable).length;
  if (failed === 0) return false;
  if (play.anyErrorsFatal) return true;
  return play.maxFailPercentage !== undefined && (failed / batch.length) * 100 > play.maxFailPercentage;
}

/** A result's bookkeeping (the command line as written, timings): not data the task produced. */
function withoutBookkeeping(result: Record<string, unknown>): Record<string, unknown> {
  const { cmd: _c, start: _s, end: _e, delta: _d, rc: _rc, ...rest } = result;
  return rest;
}

function collectLeaves(value: unknown, out: unknown[] = []): unknown[] {
  if (typeof value === 'string' || typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) value.forEach((x) => collectLeaves(x, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((x) => collectLeaves(x, out));
  return out;
}
