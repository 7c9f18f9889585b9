/**
 * A task's result on one host, shaped into the `task_result` event every
 * reporter reads. Redaction happens here, once, before anything leaves the
 * engine; no_log hides output but keeps a failure's message.
 */
import type { Change } from '../modules/types.js';
import type { TaskNode } from '../playbook/types.js';
import { maskSecretAssignments } from '../util/redact.js';
import type { TaskResultEvent, TaskStatus } from './events.js';

/** What one task (all loop items) produced on one host, as far as a report needs it. */
export interface TaskReport {
  status: TaskStatus;
  changes: Change[];
  /** What `register:` stores. */
  result: Record<string, unknown>;
  msg?: string;
  command?: string;
  stderr?: string;
  rc?: number;
  ignored?: boolean;
  /** The failure is a mistake in the input (playbook, vars, templates), not on the host. */
  inputError?: boolean;
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
    stderr: noLog ? undefined : report.stderr,
    rc: report.rc,
    ignored: report.ignored,
    inputError: report.inputError || undefined,
    durationMs: context.durationMs,
    result: noLog ? { censored: 'the output has been hidden due to no_log: true' } : withoutFacts(report.result),
  };
}

/** Facts a task sets become variables; they are not part of its reported result. */
function withoutFacts(result: Record<string, unknown>): Record<string, unknown> {
  const { facts: _facts, ...rest } = result;
  return rest;
}
