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
  /** The task looped over this many items; each had its own `item_result` before this event. */
  loopItems?: number;
  msg?: string;
  command?: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
  durationMs: number;
  ignored?: boolean;
  /** The failure is a mistake in the input (playbook, vars, templates) that `drover check` exists to catch, not on the host. */
  inputError?: boolean;
  /** The task's registered result (redacted), for -v and the event log. */
  result?: Record<string, unknown>;
  /** What the module shows at every verbosity (debug's value), as Ansible prints it: `ok: [h] => {…}`. */
  show?: Record<string, unknown>;
}

/** One loop item's result on one host, before the task's `task_result`. */
export interface ItemResultEvent extends Omit<TaskResultEvent, 'type' | 'loopItems'> {
  type: 'item_result';
  /** The item's label (loop_control.label, or the item itself). */
  item: string;
}

/** First event of a run (the event log's first line). */
export interface RunStartEvent {
  type: 'run_start';
  version: string;
  /** The command line after `drover` (known secrets masked). */
  argv: string[];
  inventory: string[];
  playbook: string;
  check: boolean;
  /** `--shard K/N`: this run is shard `index` of `count` (drover events merge checks the set is whole). */
  shard?: { index: number; count: number };
}

export type EngineEvent =
  | RunStartEvent
  | { type: 'play_start'; play: string; hosts: string[] }
  /** `serial:` batches: one event per batch (batch counts from 1). */
  | { type: 'batch_start'; play: string; batch: number; batches: number; hosts: string[] }
  | { type: 'task_start'; play: string; task: string; where: string; hosts: string[]; handler?: boolean }
  | { type: 'host_task_start'; host: string; task: string }
  | TaskResultEvent
  | ItemResultEvent
  /** verbosity: the -v count that shows it (1 when absent; 3 for the commands a task runs). */
  | { type: 'log'; host?: string; message: string; verbosity?: number }
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
