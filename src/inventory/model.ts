import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import { selectHosts } from './patterns.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { Inventory, InventoryGroup, InventoryHost, Vars } from './types.js';

/** Where a variable was set, lowest precedence first (Ansible's order). */
export type VarsLayer = 'inline' | 'inventoryDir' | 'playbookDir';

/** Names Ansible treats as the implicit localhost when not in the inventory. */
export const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '::1'] as const;

interface Layers {
  inline: Vars;
  inventoryDir: Vars;
  playbookDir: Vars;
}

const emptyLayers = (): Layers => ({ inline: {}, inventoryDir: {}, playbookDir: {} });

/**
 * The inventory being built by the parsers and then queried by the engine.
 * Parsers add groups, hosts, memberships and vars; `finalize()` works out
 * `ungrouped`, the top-level children of `all`, group depths and each host's
 * groups. Vars are kept per layer so `hostVars()` can apply Ansible's
 * precedence exactly (see hostVars).
 */
export class InventoryModel implements Inventory {
  sources: string[] = [];
  /** The source being read: new hosts record it (InventoryHost.source). */
  currentSource: string | undefined;
  hosts = new Map<string, InventoryHost>();
  groups = new Map<string, InventoryGroup>();
  private hostLayers = new Map<string, Layers>();
  private groupLayers = new Map<string, Layers>();
  private depth = new Map<string, number>();
  /** Group-vars / host-vars files found for names not (yet) in the inventory, e.g. host_vars/localhost.yml. */
  private pendingHostDirVars = new Map<string, { layer: VarsLayer; vars: Vars }[]>();

  constructor() {
    this.ensureGroup('all');
    this.ensureGroup('ungrouped');
  }

  /** groupMap() as last computed, and the membership it was computed from. */
  private groupMapCache: { version: number; map: Record<string, string[]> } | undefined;
  private membershipVersion = 0;

  ensureGroup(name: string, pos?: SourcePos): InventoryGroup {
    let g = this.groups.get(name);
    if (!g) {
      this.membershipVersion++;
      g = { name, vars: {}, children: [], hosts: [], ...(pos ? { pos } : {}) };
      this.groups.set(name, g);
      this.groupLayers.set(name, emptyLayers());
    } else if (!g.pos && pos) g.pos = pos;
    return g;
  }

  ensureHost(name: string, pos?: SourcePos): InventoryHost {
    let h = this.hosts.get(name);
    if (!h || h.implicit) {
      this.membershipVersion++;
      if (h?.implicit) this.hosts.delete(name);
      h = { name, vars: {}, groups: [], ...(pos ? { pos } : {}), ...(this.currentSource !== undefined ? { source: this.currentSource } : {}) };
      this.hosts.set(name, h);
      this.hostLayers.set(name, emptyLayers());
    } else if (!h.pos && pos) h.pos = pos;
    return h;
  }

  addHostToGroup(group: string, host: string, pos?: SourcePos): void {
    const g = this.ensureGroup(group, pos);
    this.ensureHost(host, pos);
    if (!g.hosts.includes(host)) {
      g.hosts.push(host);
      this.membershipVersion++;
    }
  }

  /** Make `child` a child group of `parent`; a loop is an error at `pos`. */
  addChild(parent: string, child: string, pos?: SourcePos): void {
    if (child === 'all') throw new InputError(`group "all" cannot be a child of "${parent}"`, pos);
    if (parent === child || this.isDescendant(child, parent)) {
      throw new InputError(`adding group "${child}" as a child of "${parent}" creates a loop`, pos);
    }
    const p = this.ensureGroup(parent, pos);
    this.ensureGroup(child, pos);
    if (!p.children.includes(child)) {
      p.children.push(child);
      this.membershipVersion++;
    }
  }

  private isDescendant(group: string, maybeDescendant: string): boolean {
    const seen = new Set<string>();
    const walk = (g: string): boolean => {
      for (const c of this.groups.get(g)?.children ?? []) {
        if (c === maybeDescendant) return true;
        if (!seen.has(c)) {
          seen.add(c);
          if (walk(c)) return true;
        }
      }
      return false;
    };
    return walk(group);
  }

  setGroupVars(group: string, vars: Vars, layer: VarsLayer = 'inline'): void {
    this.ensureGroup(group);
    Object.assign(this.groupLayers.get(group)![layer], vars);
  }

  setHostVars(host: string, vars: Vars, layer: VarsLayer = 'inline'): void {
    this.ensureHost(host);
    Object.assign(this.hostLayers.get(host)![layer], vars);
  }

  /** host_vars/NAME for a host that may only appear later (the implicit localhost). */
  addHostDirVars(host: string, vars: Vars, layer: VarsLayer): void {
    if (this.hosts.has(host)) this.setHostVars(host, vars, layer);
    else {
      const list = this.pendingHostDirVars.get(host) ?? [];
      list.push({ layer, vars });
      this.pendingHostDirVars.set(host, list);
    }
  }

  /** Work out the derived structure once every source and vars file is in. */
  finalize(): this {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    // Every group without a parent hangs under `all`.
    const hasParent = new Set<string>();
    for (const g of this.groups.values()) for (const c of g.children) hasParent.add(c);
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && !hasParent.has(g.name) && !all.children.includes(g.name)) all.children.push(g.name);
    }
    // Depth = longest path from `all` (Ansible sorts groups by it, then priority, then name).
    this.depth.clear();
    const visit = (name: string, d: number): void => {
      if ((this.depth.get(name) ?? -1) >= d) return;
      this.depth.set(name, d);
      for (const c of this.groups.get(name)?.children ?? []) visit(c, d + 1);
    };
    visit('all', 0);
    // Hosts listed only under `all` (YAML `all: hosts:`) or nowhere are `ungrouped`;
    // hosts that are in some real group are not.
    const direct = new Map<string, Set<string>>();
    for (const g of this.groups.values()) {
      for (const h of g.hosts) {
        const s = direct.get(h) ?? new Set<string>();
        s.add(g.name);
        direct.set(h, s);
      }
    }
    this.membershipVersion++;
    all.hosts = [];
    const ungroupedHosts: string[] = [];
    for (const h of this.hosts.values()) {
      if (h.implicit) continue;
      const s = direct.get(h.name) ?? new Set<string>();
      const real = [...s].filter((n) => n !== 'all' && n !== 'ungrouped');
      if (real.length === 0) ungroupedHosts.push(h.name);
    }
    ungrouped.hosts = ungroupedHosts;
    const isUngrouped = new Set(ungroupedHosts);
    // Ancestors per group once, then each host's groups from its direct groups (cheap for thousands of hosts).
    const parents = new Map<string, string[]>();
    for (const g of this.groups.values()) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), g.name]);
    const ancestors = new Map<string, Set<string>>();
    const ancestorsOf = (g: string): Set<string> => {
      let a = ancestors.get(g);
      if (a) return a;
      a = new Set([g]);
      ancestors.set(g, a);
      for (const p of parents.get(g) ?? []) for (const x of ancestorsOf(p)) a.add(x);
      return a;
    };
    for (const h of this.hosts.values()) {
      if (h.implicit) continue;
      const anc = new Set<string>(isUngrouped.has(h.name) ? ['all', 'ungrouped'] : ['all']);
      for (const g of direct.get(h.name) ?? []) {
        if (g === 'all' || g === 'ungrouped') continue;
        for (const x of ancestorsOf(g)) anc.add(x);
      }
      h.groups = this.sortGroups([...anc]);
    }
    for (const [name, g] of this.groups) {
      const l = this.groupLayers.get(name)!;
      g.vars = { ...l.inline, ...l.inventoryDir, ...l.playbookDir };
    }
    for (const [name, h] of this.hosts) {
      const l = this.hostLayers.get(name)!;
      h.vars = { ...l.inline, ...l.inventoryDir, ...l.playbookDir };
    }
    return this;
  }

  /** Ansible's sort_groups: depth, then ansible_group_priority, then name. */
  private sortGroups(names: string[]): string[] {
    const prio = (n: string): number => {
      const p = this.groupLayers.get(n)?.inline.ansible_group_priority;
      return typeof p === 'number' ? p : typeof p === 'string' && /^-?\d+$/.test(p) ? Number(p) : 1;
    };
    return names.sort((a, b) => (this.depth.get(a) ?? 0) - (this.depth.get(b) ?? 0) || prio(a) - prio(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Ansible's precedence, lowest first: `all` inline vars < group_vars/all beside
   * the inventory < group_vars/all beside the playbook < other groups' inline
   * vars (by depth, priority, name) < their group_vars/ beside the inventory <
   * beside the playbook < the host's inline vars < host_vars/ beside the
   * inventory < beside the playbook. Top-level keys replace (no deep merge).
   */
  hostVars(host: string): Vars {
    const h = this.hosts.get(host) ?? this.implicitHost(host);
    if (!h) {
      const hint = didYouMean(host, this.hosts.keys(), { fragments: true });
      throw new InputError(`unknown host "${host}"`, undefined, hint ? `did you mean "${hint}"?` : undefined);
    }
    const out: Vars = {};
    const groups = h.groups.filter((g) => g !== 'all');
    const allL = this.groupLayers.get('all')!;
    Object.assign(out, allL.inline, allL.inventoryDir, allL.playbookDir);
    for (const layer of ['inline', 'inventoryDir', 'playbookDir'] as const) {
      for (const g of groups) Object.assign(out, this.groupLayers.get(g)![layer]);
    }
    const hl = this.hostLayers.get(host)!;
    Object.assign(out, hl.inline, hl.inventoryDir, hl.playbookDir);
    return out;
  }

  /**
   * The implicit localhost, created on first reference when the inventory does
   * not define it. It runs on the controller and is not part of `all`.
   */
  implicitHost(name: string): InventoryHost | undefined {
    const existing = this.hosts.get(name);
    if (existing) return existing;
    if (!(LOCALHOST_NAMES as readonly string[]).includes(name)) return undefined;
    const h: InventoryHost = { name, vars: { ansible_connection: 'local' }, groups: ['all'], implicit: true };
    this.hosts.set(name, h);
    this.membershipVersion++;
    const layers = emptyLayers();
    layers.inline.ansible_connection = 'local';
    for (const p of this.pendingHostDirVars.get(name) ?? []) Object.assign(layers[p.layer], p.vars);
    this.hostLayers.set(name, layers);
    h.vars = { ...layers.inline, ...layers.inventoryDir, ...layers.playbookDir };
    return h;
  }

  select(pattern: string, pos?: SourcePos): string[] {
    return selectHosts(this, pattern, pos);
  }

  groupMap(): Record<string, string[]> {
    // Read by every task's `groups` variable: computed once per membership, shared read-only.
    const c = this.groupMapCache;
    if (c && c.version === this.membershipVersion) return c.map;
    const out: Record<string, string[]> = {};
    for (const name of this.groups.keys()) out[name] = Object.freeze(this.groupHosts(name)) as string[];
    this.groupMapCache = { version: this.membershipVersion, map: Object.freeze(out) as Record<string, string[]> };
    return out;
  }

  /** Hosts in a group or any of its descendants, in inventory order. */
  groupHosts(group: string): string[] {
    if (group === 'all') return [...this.hosts.values()].filter((h) => !h.implicit).map((h) => h.name);
    const members = new Set<string>();
    const seen = new Set<string>();
    const walk = (g: string): void => {
      if (seen.has(g)) return;
      seen.add(g);
      const grp = this.groups.get(g);
      if (!grp) return;
      for (const h of grp.hosts) members.add(h);
      for (const c of grp.children) walk(c);
    };
    walk(group);
    return [...this.hosts.keys()].filter((h) => members.has(h));
  }
}
