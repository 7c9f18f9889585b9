import { hasTag } from './plan.js';
import type { DropletSpec } from './spec.js';
import { privateIpv4, publicIpv4, sizeSlugOf, type DoDroplet } from './types.js';

/**
 * The INI inventory for a spec's droplets (Ansible's format, read back by the
 * inventory layer's INI parser). Every droplet is in group `droplets` with its
 * variables; each user tag is also a group (tag characters other than letters,
 * digits and `_` become `_`, so `env:prod` is group `env_prod`). The
 * ownership tag is not a group.
 *
 *   ansible_host   public IPv4 (droplets without one yet are listed, commented out)
 *   ansible_user   the spec's ssh_user (default root)
 *   ansible_ssh_private_key_file   the spec's ssh_private_key_file, if set
 *   mgmt_ip        the private (VPC) IPv4, else the public one: the address the
 *                  blog's roles bind services to
 */
export function renderDropletInventory(spec: DropletSpec, droplets: readonly DoDroplet[], header?: string): string {
  const mine = droplets.filter((d) => hasTag(d, spec.ownershipTag)).sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  const varsByName = new Map(spec.droplets.map((d) => [d.name, d.vars]));
  const lines: string[] = [];
  if (header) for (const l of header.split('\n')) lines.push(`# ${l}`);
  lines.push('[droplets]');
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const d of mine) {
    if (seen.has(d.name)) {
      lines.push(`# ${d.name} (id ${d.id}): a second droplet with this name; left out`);
      continue;
    }
    seen.add(d.name);
    const ip = publicIpv4(d);
    if (!ip) {
      lines.push(`# ${d.name} (id ${d.id}, ${d.status}): no public IPv4 yet`);
      continue;
    }
    const vars: Record<string, string | number | boolean> = {
      ansible_host: ip,
      mgmt_ip: privateIpv4(d) ?? ip,
      do_id: d.id,
      do_region: d.region?.slug ?? '',
      do_size: sizeSlugOf(d) ?? '',
      ...(privateIpv4(d) ? { private_ip: privateIpv4(d)! } : {}),
      ...(varsByName.get(d.name) ?? {}),
    };
    lines.push([iniName(d.name), ...Object.entries(vars).map(([k, v]) => `${k}=${iniValue(v)}`)].join(' '));
    for (const t of d.tags ?? []) {
      if (t.toLowerCase() === spec.ownershipTag.toLowerCase()) continue;
      const g = groupName(t);
      groups.set(g, [...(groups.get(g) ?? []), d.name]);
    }
  }
  for (const [g, hosts] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    if (g === 'droplets') continue;
    lines.push('', `[${g}]`, ...hosts.map(iniName));
  }
  lines.push('', '[all:vars]', `ansible_user=${iniValue(spec.sshUser)}`);
  if (spec.sshPrivateKeyFile) lines.push(`ansible_ssh_private_key_file=${iniValue(spec.sshPrivateKeyFile)}`);
  return lines.join('\n') + '\n';
}

export function groupName(tag: string): string {
  const g = tag.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(g) ? `_${g}` : g;
}

function iniName(name: string): string {
  // Droplet names are hostnames (validated by the spec); anything else would break the INI line.
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`droplet name ${JSON.stringify(name)} cannot be written to an INI inventory`);
  return name;
}

/** Bare when it reads back as itself; otherwise a double-quoted string (a Python literal). */
function iniValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (/^[A-Za-z0-9_.:/~@+-]+$/.test(v) && !/^[0-9.+-]/.test(v) && !/^(True|False|None|true|false)$/.test(v)) return v;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) return v; // an IPv4 address is not a number to Python's literal_eval
  return JSON.stringify(v);
}
