import type { Change } from '../modules/types.js';

/**
 * Events the engine emits. The console reporter, the JSON-lines event log and
 * tests all consume the same stream. Values are redacted before emission.
 */
export type TaskStatus = 'ok' | 'changed' | 'unknown' | 'failed' | 'skipped' | 'unreachable';

export interface TaskResultEvent {
  type: 'task_result';
  play: string;
  task: string;
  /** file:line of the task. */
  where: string;
  host: string;
  status: TaskStatus;
  /** check mode: the task would change (status 'changed' in check mode means "would change"). */
  check: boolean;
  changes: Change[];
  /** Loop item label, when the task loops. */
  item?: string;
  msg?: string;
  command?: string;
  stderr?: string;
  rc?: number;
  durationMs: number;
  ignored?: boolean;
  /** The failure is a mistake in the input (playbook, vars, templates) that `drover check` exists to catch, not on the host. */
  inputError?: boolean;
  /** The task's registered result (redacted), for -v and the event log. */
  result?: Record<string, unknown>;
}

export type EngineEvent =
  | { type: 'play_start'; play: string; hosts: string[] }
  | { type: 'task_start'; play: string; task: string; where: string; hosts: string[]; handler?: boolean }
  | { type: 'host_task_start'; host: string; task: string }
  | TaskResultEvent
  | { type: 'log'; host?: string; message: string }
  | { type: 'warning'; message: string }
  | { type: 'recap'; hosts: Record<string, HostTally>; durationMs: number };

export interface HostTally {
  ok: number;
  changed: number;
  unknown: number;
  failed: number;
  skipped: number;
  unreachable: number;
  rescued: number;
  ignored: number;
}

export type EventSink = (e: EngineEvent) => void;
