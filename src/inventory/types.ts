import type { SourcePos } from '../util/source.js';

export type Vars = Record<string, unknown>;

export interface InventoryHost {
  name: string;
  /** Vars set on the host itself (inline, [host] YAML, host_vars/). */
  vars: Vars;
  /** Every group the host is in, ancestors included, 'all' first. */
  groups: string[];
  pos?: SourcePos;
  /**
   * The inventory source the host was first read from (Ansible's `inventory_file`):
   * the file's absolute path, or the source text of a host list / droplets: source.
   */
  source?: string;
  /** True for the implicit `localhost` (ansible_connection=local): not in `all`, not matched by `all`/`*`. */
  implicit?: boolean;
}

export interface InventoryGroup {
  name: string;
  vars: Vars;
  /** Direct child groups. */
  children: string[];
  /** Hosts listed directly in the group. */
  hosts: string[];
  pos?: SourcePos;
}

export interface Inventory {
  /** Files (or source names) it was read from. */
  sources: string[];
  /** Hosts in definition order. */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  /**
   * The host's inventory variables merged by Ansible's rules:
   * all < parent groups < child groups (by depth, then name) < host.
   */
  hostVars(host: string): Vars;
  /** Hosts matching a pattern (all, group, host, glob, a:b, a:!b, a:&b), in inventory order. */
  select(pattern: string, pos?: SourcePos): string[];
  /** Group name -> host names (the `groups` magic variable). */
  groupMap(): Record<string, string[]>;
}
