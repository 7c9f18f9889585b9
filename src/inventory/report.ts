import { InputError } from '../util/errors.js';
import { isSecretName, MASK } from '../util/redact.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { Inventory, Vars } from './types.js';

/**
 * What `drover inventory list` and `graph` print. Values of secret-looking
 * variables (isSecretName: *password, *secret, *token, ansible_become_pass …)
 * are masked at any depth.
 */
export function redactVars<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactVars(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && v !== null && v !== undefined && v !== '' ? MASK : redactVars(v);
    return out as T;
  }
  return value;
}

/** Hosts to show: all, or those a --limit pattern selects. */
function shownHosts(inv: Inventory, limit?: string): string[] {
  return limit ? inv.select(limit) : inv.select('all');
}

/**
 * The JSON of `ansible-inventory --list`: `_meta.hostvars` (merged, redacted)
 * and one entry per group with its direct hosts and children (plus `vars`,
 * the group's own variables, when it has any).
 */
export function inventoryListJson(inv: Inventory, limit?: string): Record<string, unknown> {
  const hosts = shownHosts(inv, limit);
  const shown = new Set(hosts);
  const hostvars: Record<string, Vars> = {};
  for (const h of hosts) hostvars[h] = redactVars(inv.hostVars(h));
  const out: Record<string, unknown> = { _meta: { hostvars } };
  const members = inv.groupMap();
  for (const g of inv.groups.values()) {
    if (g.name !== 'all' && limit && !members[g.name]!.some((h) => shown.has(h))) continue;
    const entry: Record<string, unknown> = {};
    const direct = g.hosts.filter((h) => shown.has(h));
    if (direct.length) entry.hosts = direct;
    const children = g.children.filter((c) => !limit || members[c]!.some((h) => shown.has(h)));
    if (children.length) entry.children = children;
    if (Object.keys(g.vars).length) entry.vars = redactVars(g.vars);
    out[g.name] = entry;
  }
  return out;
}

/** Human-readable listing: each host with its groups and merged vars, then each group's hosts. */
export function inventoryListText(inv: Inventory, limit?: string): string {
  const hosts = shownHosts(inv, limit);
  const lines: string[] = [`hosts (${hosts.length}):`];
  for (const name of hosts) {
    const h = inv.hosts.get(name)!;
    const groups = h.groups.filter((g) => g !== 'all');
    lines.push(`  ${name}${groups.length ? `  [${groups.join(', ')}]` : ''}`);
    const vars = redactVars(inv.hostVars(name));
    for (const k of Object.keys(vars)) lines.push(`    ${k}: ${showValue(vars[k])}`);
  }
  const shown = new Set(hosts);
  lines.push('groups:');
  const members = inv.groupMap();
  for (const g of inv.groups.keys()) {
    const list = members[g]!.filter((h) => shown.has(h));
    if (limit && list.length === 0 && g !== 'all') continue;
    lines.push(`  ${g}: ${list.length ? list.join(', ') : '(no hosts)'}`);
  }
  return lines.join('\n') + '\n';
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `ansible-inventory --graph [GROUP] [--vars]`: children and hosts sorted by name. */
export function inventoryGraph(inv: Inventory, group = 'all', withVars = false): string {
  if (!inv.groups.has(group)) {
    const hint = didYouMean(group, inv.groups.keys(), { fragments: true });
    throw new InputError(`no group named "${group}"`, undefined, hint ? `did you mean "${hint}"?` : undefined);
  }
  const lines: string[] = [];
  const name = (text: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const showVars = (vars: Vars, depth: number): void => {
    const red = redactVars(vars);
    for (const k of Object.keys(red).sort()) lines.push(name(`{${k} = ${showValue(red[k])}}`, depth));
  };
  const walk = (g: string, depth: number): void => {
    const grp = inv.groups.get(g)!;
    lines.push(name(`@${g}:`, depth));
    for (const c of [...grp.children].sort()) walk(c, depth + 1);
    if (g !== 'all') {
      for (const h of [...grp.hosts].sort()) {
        lines.push(name(h, depth + 1));
        if (withVars) showVars(inv.hosts.get(h)!.vars, depth + 2);
      }
    }
    if (withVars) showVars(grp.vars, depth + 1);
  };
  walk(group, 0);
  return lines.join('\n') + '\n';
}
