import path from 'node:path';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Play, RoleScope } from './types.js';

/**
 * Magic variables: the one list. The engine builds every task's magic values
 * from these tables (engine/play-runner.ts, and hostvars in engine/run.ts), and
 * the validator defines exactly these names (validate.ts), so `drover check`
 * accepts a magic name iff the run sets it. Values mean what Ansible's mean
 * (ansible-core 2.14: vars/manager.py _get_magic_variables, inventory/host.py
 * get_magic_vars, utils/vars.py load_options_vars). Magic values are set last
 * and cannot be overridden (engine/vars.ts mergeVars).
 */

/** Per host, from the inventory alone; also visible as hostvars.<host>.<name>. */
export const HOST_MAGIC: Readonly<Record<string, (h: InventoryHost) => unknown>> = {
  inventory_hostname: (h) => h.name,
  inventory_hostname_short: (h) => (isIpAddress(h.name) ? h.name : h.name.split('.')[0]),
  // Ansible: sorted, every group but `all` (`ungrouped` included).
  group_names: (h) => h.groups.filter((g) => g !== 'all').sort(),
  // The source the host was first read from; None (null) for a host no source named (the implicit localhost).
  inventory_file: (h) => h.source ?? null,
  inventory_dir: (h) => (h.source !== undefined && isPathSource(h.source) ? path.dirname(h.source) : null),
};

/** What the engine knows when it builds a host's variables for a task. */
export interface MagicInput {
  host: InventoryHost;
  inventory: Inventory;
  play: Play;
  role?: RoleScope | undefined;
  playbookDir: string;
  hostvars: unknown;
  check: boolean;
  diff: boolean;
  verbosity: number;
  tags?: string[] | undefined;
  skipTags?: string[] | undefined;
  limit?: string | undefined;
  /** The play's hosts (--limit applied, every serial batch). */
  playHosts(): string[];
  /** The current serial batch. */
  batch(): string[];
  /** Has the host left the play (failed, unreachable, end_host)? */
  removed(host: string): boolean;
}

interface PlayMagic {
  /** When the name is defined: always, only in a role's tasks, only when --limit was given. The validator follows this. */
  when: 'always' | 'role' | 'limit';
  /** Computed on first read: O(hosts) values, built per task and host, made a 500-host run quadratic. */
  lazy?: true;
  value(m: MagicInput): unknown;
}

/** Per play, task and run. */
export const PLAY_MAGIC: Readonly<Record<string, PlayMagic>> = {
  hostvars: { when: 'always', value: (m) => m.hostvars },
  groups: { when: 'always', lazy: true, value: (m) => m.inventory.groupMap() },
  playbook_dir: { when: 'always', value: (m) => m.playbookDir },
  ansible_play_name: { when: 'always', value: (m) => m.play.name },
  ansible_check_mode: { when: 'always', value: (m) => m.check },
  ansible_diff_mode: { when: 'always', value: (m) => m.diff },
  ansible_verbosity: { when: 'always', value: (m) => m.verbosity },
  ansible_run_tags: { when: 'always', value: (m) => (m.tags?.length ? [...m.tags] : ['all']) },
  ansible_skip_tags: { when: 'always', value: (m) => [...(m.skipTags ?? [])] },
  ansible_limit: { when: 'limit', value: (m) => m.limit },
  // Every host of the play; then without those that left it; then the current batch without them.
  ansible_play_hosts_all: { when: 'always', lazy: true, value: (m) => m.playHosts() },
  ansible_play_hosts: { when: 'always', lazy: true, value: (m) => m.playHosts().filter((h) => !m.removed(h)) },
  ansible_play_batch: { when: 'always', lazy: true, value: (m) => m.batch().filter((h) => !m.removed(h)) },
  // Deprecated in Ansible, where it is ansible_play_batch (not ansible_play_hosts).
  play_hosts: { when: 'always', lazy: true, value: (m) => m.batch().filter((h) => !m.removed(h)) },
  role_name: { when: 'role', value: (m) => m.role?.name },
  role_path: { when: 'role', value: (m) => m.role?.path },
};

/**
 * Per loop item (engine/task-runner.ts); the validator defines the same names
 * inside a loop. (Ansible's loop_control.extended keys are not set.)
 */
export function loopMagic(loop: { loopVar: string; indexVar?: string | undefined }, i: number, length: number): Record<string, unknown> {
  return {
    ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === length - 1, length },
    ansible_loop_var: loop.loopVar,
    ...(loop.indexVar ? { ansible_index_var: loop.indexVar } : {}),
  };
}

/** Set for a host whose block failed, from its rescue on (engine/play-runner.ts); the validator defines them in rescue. */
export const RESCUE_MAGIC_NAMES: readonly string[] = ['ansible_failed_task', 'ansible_failed_result'];

/** ansible_failed_task: the failed task's name and module (Ansible's holds every task field; these two are what playbooks read). */
export function failedTask(node: { name?: string | undefined; module: string }): Record<string, unknown> {
  return { name: node.name ?? '', action: node.module };
}

/** Names set only inside a loop or a rescue: never facts either. */
const TASK_MAGIC_NAMES: readonly string[] = [...Object.keys(loopMagic({ loopVar: 'item', indexVar: 'i' }, 0, 1)), ...RESCUE_MAGIC_NAMES];

/** Names Ansible users may expect that drover does not set, and why: the validator says so where one is used. */
export const UNSUPPORTED_MAGIC: Readonly<Record<string, string>> = {
  omit:
    "drover does not support 'omit' (Ansible's placeholder that drops a module argument): leave the argument out, or write two tasks with when:",
  ansible_version: 'drover is not Ansible and does not claim an Ansible version; test for features with is defined instead',
  // Ansible sets these; drover has no collections, no Python and no config file, and does not list roles.
  ...Object.fromEntries(
    [
      'ansible_role_name',
      'ansible_role_names',
      'ansible_play_role_names',
      'ansible_dependent_role_names',
      'role_names',
      'role_uuid',
      'ansible_collection_name',
      'ansible_playbook_python',
      'ansible_config_file',
      'ansible_forks',
      'ansible_inventory_sources',
      'ansible_search_path',
    ].map((n) => [n, `Ansible's magic variable '${n}' is not set by drover (see the README's list of magic variables)`]),
  ),
};

/** Every magic name the engine can set. */
export const MAGIC_NAMES: readonly string[] = [...Object.keys(HOST_MAGIC), ...Object.keys(PLAY_MAGIC)];

/** Names defined only in a role's tasks. */
export const ROLE_MAGIC_NAMES: readonly string[] = Object.keys(PLAY_MAGIC).filter((k) => PLAY_MAGIC[k]!.when === 'role');

/** Is a magic name defined here? (`when` of PLAY_MAGIC; host magic always is.) */
export function magicDefined(name: string, where: { inRole: boolean; limit: string | undefined }): boolean {
  if (name in HOST_MAGIC) return true;
  const m = PLAY_MAGIC[name];
  if (!m) return false;
  return m.when === 'always' || (m.when === 'role' ? where.inRole : where.limit !== undefined && where.limit !== '');
}

/** Could gathered facts define this name? (`ansible_*`, but never a magic name, set or refused.) */
export function mayBeFact(name: string): boolean {
  return name.startsWith('ansible_') && !MAGIC_NAMES.includes(name) && !TASK_MAGIC_NAMES.includes(name) && !(name in UNSUPPORTED_MAGIC);
}

/** The magic values for one host and task: plain ones, and lazy ones (computed on first read). */
export function magicValues(m: MagicInput): { plain: Record<string, unknown>; lazy: Record<string, () => unknown> } {
  const plain: Record<string, unknown> = {};
  const lazy: Record<string, () => unknown> = {};
  for (const [k, f] of Object.entries(HOST_MAGIC)) plain[k] = f(m.host);
  const where = { inRole: m.role !== undefined, limit: m.limit };
  for (const [k, def] of Object.entries(PLAY_MAGIC)) {
    if (!magicDefined(k, where)) continue;
    if (def.lazy) lazy[k] = () => def.value(m);
    else plain[k] = def.value(m);
  }
  return { plain, lazy };
}

/** hostvars.<host>'s magic values. */
export function hostMagicValues(h: InventoryHost): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(HOST_MAGIC)) out[k] = f(h);
  return out;
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || (name.includes(':') && /^[0-9a-fA-F:.]+$/.test(name));
}

/** A file source (an absolute path), not a host list or a droplets: spec. */
function isPathSource(source: string): boolean {
  return path.isAbsolute(source);
}
