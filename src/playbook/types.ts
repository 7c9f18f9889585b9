import type { SourcePos } from '../util/source.js';

/**
 * The loaded, validated playbook. Strings stay raw (templates are rendered per
 * host at run time); every node keeps the position it came from so runtime
 * errors can name file:line.
 */
export type Vars = Record<string, unknown>;

/** Where a task came from: its role (for defaults/vars, role_path and file lookups). */
export interface RoleScope {
  name: string;
  /** Absolute directory of the role. */
  path: string;
  defaults: Vars;
  vars: Vars;
  /** Vars given where the role was listed: `roles: [{role: x, vars: {…}}]`. */
  params: Vars;
}

/** Keywords shared by tasks, blocks and includes. */
export interface TaskKeywords {
  name?: string;
  pos: SourcePos;
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  vars: Vars;
  environment?: Record<string, unknown> | string;
  ignoreErrors?: boolean | string;
  noLog?: boolean | string;
  delegateTo?: string;
  runOnce?: boolean;
  /** Role the node belongs to, if any. */
  role?: RoleScope;
  /** Directory relative file lookups fall back to (the playbook's). */
  baseDir: string;
}

export interface LoopSpec {
  /** A list, or a template string that renders to a list. */
  items: unknown;
  loopVar: string;
  label?: string;
  indexVar?: string;
}

export interface TaskNode extends TaskKeywords {
  kind: 'task';
  /** Canonical module name (aliases resolved). */
  module: string;
  args: Record<string, unknown>;
  loop?: LoopSpec;
  register?: string;
  notify: string[];
  changedWhen?: string[] | boolean;
  failedWhen?: string[] | boolean;
  until?: string[];
  retries?: number;
  delay?: number;
  /** `check_mode: false`: run for real even under --check (read-only probes). */
  checkMode?: boolean;
  /** Per-task command timeout in seconds. */
  timeout?: number;
  /** Handler names this node answers to (handlers only: its name and `listen` topics). */
  listen?: string[];
}

export interface BlockNode extends TaskKeywords {
  kind: 'block';
  block: Node[];
  rescue: Node[];
  always: Node[];
}

/** Dynamic include: resolved per host at run time (include_tasks, include_role). */
export interface IncludeNode extends TaskKeywords {
  kind: 'include_tasks' | 'include_role';
  /** include_tasks: file (template allowed); include_role: role name. */
  target: string;
  /** include_role: tasks_from (default main). */
  tasksFrom?: string;
  loop?: LoopSpec;
  /** Pre-loaded when the target is a literal (validated at load time). */
  resolved?: Node[];
}

/** `meta: flush_handlers` and friends. */
export interface MetaNode extends TaskKeywords {
  kind: 'meta';
  action: 'flush_handlers' | 'end_play' | 'end_host' | 'noop' | 'clear_facts' | 'refresh_inventory';
}

export type Node = TaskNode | BlockNode | IncludeNode | MetaNode;

export interface Play {
  name: string;
  pos: SourcePos;
  hosts: string;
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  /** Batch sizes (numbers or "30%"); empty = all hosts at once. */
  serial: Array<number | string>;
  vars: Vars;
  /** Files given in vars_files (raw, templated at run time), resolved relative to baseDir. */
  varsFiles: string[];
  /** pre_tasks, then role tasks, then tasks, then post_tasks (handlers flushed between, as Ansible does). */
  preTasks: Node[];
  roleTasks: Node[];
  tasks: Node[];
  postTasks: Node[];
  /** Play handlers and role handlers, in definition order. */
  handlers: TaskNode[];
  anyErrorsFatal: boolean;
  maxFailPercentage?: number;
  tags: string[];
  environment?: Record<string, unknown>;
  ignoreUnreachable?: boolean;
  /** Roles in the play, after dependencies. */
  roles: RoleScope[];
  /** Each role's verify/main.yaml tasks, in role order (`drover lab verify`). */
  verifyTasks: Node[];
  baseDir: string;
}

export interface Playbook {
  path: string;
  dir: string;
  plays: Play[];
}
