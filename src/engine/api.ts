import type { EventSink, HostTally } from '../report/events.js';
import type { ConnectionDefaults } from '../inventory/connection-spec.js';
import type { Shard } from './shard.js';

/** What `drover play` (and `drover lab run/test/verify`) asks of the engine. */
export interface RunOptions {
  playbook: string;
  /** The playbook's YAML text, used instead of reading `playbook` (ad-hoc runs); `playbook` still names it in messages and its directory anchors relative paths. */
  playbookText?: string;
  /** `-u USER`: the login user of hosts whose inventory names none (ansible_user wins, as in Ansible). */
  remoteUser?: string;
  /** Connection settings from the configuration (ansible.cfg, ANSIBLE_*, -F) for hosts whose vars set none; remoteUser wins over its remoteUser. */
  connection?: ConnectionDefaults;
  /** Where roles are looked for after the playbook's own roles/ (roles_path). drover's lab roles only when a lab passes them. */
  rolesPath?: string[];
  /** [privilege_escalation] become / become_user: the default of plays that set none. */
  become?: { become?: boolean; becomeUser?: string };
  /** Inventory sources: files, directories, or `droplets:SPEC`. */
  inventory: string[];
  check?: boolean;
  diff?: boolean;
  limit?: string;
  /** `--shard K/N`: only this shard of the hosts selected after `limit` (shard.ts). */
  shard?: Shard;
  tags?: string[];
  skipTags?: string[];
  /** `-e key=value`, `-e @file.yaml`, `-e '{"json": 1}'`. */
  extraVars?: string[];
  forks?: number;
  startAtTask?: string;
  step?: boolean;
  verbose?: number;
  /** The command line after `drover`, for the `run_start` record (known secrets masked). */
  argv?: string[];
  /** JSON-lines event log path. */
  eventsFile?: string;
  /** Extra event consumers (tests, lab runners). */
  sinks?: EventSink[];
  /** converge: the playbook's tasks; verify: each play's roles' verify/main.yaml instead. */
  mode?: 'converge' | 'verify';
  /** Directory for run state (pending handlers); default `.drover/` beside the inventory. */
  stateDir?: string;
  /** Default per-command timeout in seconds (a task's `timeout:` wins). */
  taskTimeout?: number;
}

export interface ChangedTask {
  host: string;
  task: string;
  where: string;
}

export interface RunSummary {
  exitCode: number;
  tally: Record<string, HostTally>;
  /** Tasks that changed (or would change, in check mode). */
  changed: ChangedTask[];
  /** Tasks whose outcome check mode could not predict. */
  unknown: ChangedTask[];
  durationMs: number;
}
