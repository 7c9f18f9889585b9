/**
 * A task's result on one host, shaped into the `task_result` event every
 * reporter reads. Redaction happens here, once, before anything leaves the
 * engine; no_log hides output but keeps a failure's message.
 */
import type { Change } from '../modules/types.js';
import type { TaskNode } from '../playbook/types.js';
import { maskSecretAssignments } from '../util/redact.js';
import type { ItemResultEvent, TaskResultEvent, TaskStatus } from './events.js';

/** What one task (all loop items) produced on one host, as far as a report needs it. */
export interface TaskReport {
  status: TaskStatus;
  changes: Change[];
  /** What `register:` stores. */
  result: Record<string, unknown>;
  msg?: string;
  command?: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
  ignored?: boolean;
  /** The failure is a mistake in the input (playbook, vars, templates), not on the host. */
  inputError?: boolean;
  /** What the module shows at every verbosity (debug's value). */
  show?: Record<string, unknown>;
  /** The task looped over this many items (each reported on its own first). */
  loopItems?: number;
}

/** Where and when the result arose. */
export interface TaskEventContext {
  play: string;
  task: string;
  /** file:line of the task. */
  where: string;
  host: string;
  check: boolean;
  durationMs: number;
  noLog: boolean;
}

/** How a task is named in output: its name (or module), prefixed with its role. */
export function taskTitle(node: TaskNode): string {
  const base = node.name ?? `${node.module}`;
  return node.role ? `${node.role.name} : ${base}` : base;
}

export function taskResultEvent(report: TaskReport, context: TaskEventContext): TaskResultEvent {
  // Known secret values are masked where every event leaves the engine (engine/run.ts); here: no_log, and secret-looking assignments in diffs.
  const { noLog } = context;
  const changes = noLog
    ? report.changes.map((c) => ({ summary: c.summary }))
    : report.changes.map((c) => ({
        summary: c.summary,
        ...(c.diff ? { diff: { path: c.diff.path, before: maskSecretAssignments(c.diff.before), after: maskSecretAssignments(c.diff.after) } } : {}),
      }));
  return {
    type: 'task_result',
    play: context.play,
    task: context.task,
    where: context.where,
    host: context.host,
    status: report.status,
    check: context.check,
    changes,
    msg: noLog && report.status !== 'failed' ? undefined : report.msg,
    command: noLog ? undefined : report.command,
    stdout: noLog ? undefined : report.stdout,
    stderr: noLog ? undefined : report.stderr,
    rc: report.rc,
    ignored: report.ignored,
    inputError: report.inputError || undefined,
    durationMs: context.durationMs,
    result: noLog ? CENSORED : withoutFacts(report.result),
    ...(report.show ? { show: noLog ? CENSORED : report.show } : {}),
    ...(report.loopItems !== undefined ? { loopItems: report.loopItems } : {}),
  };
}

const CENSORED = { censored: 'the output has been hidden due to no_log: true' };

/** One loop item's result; under no_log the label is hidden too (Ansible shows `(item=None)`). */
export function itemResultEvent(report: TaskReport, context: TaskEventContext, label: string): ItemResultEvent {
  const { type: _t, loopItems: _l, ...rest } = taskResultEvent(report, context);
  return { ...rest, type: 'item_result', item: context.noLog ? 'None' : label };
}

/** Facts a task sets become variables; they are not part of its reported result. */
function withoutFacts(result: Record<string, unknown>): Record<string, unknown> {
  const { facts: _facts, ...rest } = result;
  return rest;
}
