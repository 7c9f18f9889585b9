import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import { pythonLiteral } from '../util/py-literal.js';
import type { Vars } from './types.js';

/**
 * `vagrant ssh-config` prints an OpenSSH client config, one `Host` block per
 * machine. This turns it into an inventory with the blog's layout: the
 * controller in `controller_nodes`, compute* in `compute_nodes`, each with its
 * management address (`mgmt_ip`) from a map, since Vagrant only knows the
 * forwarded SSH port.
 */
export interface SshConfigHost {
  name: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  strictHostKeyChecking?: string;
  userKnownHostsFile?: string;
  /** Every option as written (lower-cased keyword -> last value). */
  options: Record<string, string>;
  pos: SourcePos;
}

/** The blog's management network (Vagrantfile: vboxnet0). */
export const BLOG_MGMT_IPS: Readonly<Record<string, string>> = {
  controller: '192.168.1.11',
  compute1: '192.168.1.21',
  compute2: '192.168.1.22',
};

/** The blog's groups: controller -> controller_nodes, compute* -> compute_nodes. */
export function blogGroupFor(host: string): string | undefined {
  if (host === 'controller') return 'controller_nodes';
  if (host.startsWith('compute')) return 'compute_nodes';
  return undefined;
}

export function parseSshConfig(text: string, file = '<vagrant ssh-config>'): SshConfigHost[] {
  const out: SshConfigHost[] = [];
  let cur: SshConfigHost | null = null;
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const indent = raw.length - raw.trimStart().length;
    const pos: SourcePos = { file, line: n + 1, col: indent + 1 };
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) throw new InputError(`expected "Keyword value", got: ${line}`, pos);
    const keyword = m[1]!.toLowerCase();
    const value = unquote(m[2]!.trim());
    if (keyword === 'host') {
      cur = { name: value, identityFiles: [], options: {}, pos };
      out.push(cur);
      return;
    }
    if (!cur) throw new InputError(`"${m[1]}" before any Host block`, pos);
    const h: SshConfigHost = cur;
    h.options[keyword] = value;
    switch (keyword) {
      case 'hostname':
        h.hostName = value;
        break;
      case 'user':
        h.user = value;
        break;
      case 'port':
        if (!/^\d+$/.test(value)) throw new InputError(`bad Port "${value}" for host ${h.name}`, pos);
        h.port = Number(value);
        break;
      case 'identityfile':
        h.identityFiles.push(value);
        break;
      case 'stricthostkeychecking':
        h.strictHostKeyChecking = value;
        break;
      case 'userknownhostsfile':
        h.userKnownHostsFile = value;
        break;
    }
  });
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

export interface VagrantInventoryHost {
  name: string;
  /** Blog group, or undefined (ungrouped). */
  group?: string;
  vars: Vars;
}

export interface VagrantInventory {
  hosts: VagrantInventoryHost[];
  /** Settings every host shares, written as [all:vars]. */
  allVars: Vars;
}

export interface FromVagrantOptions {
  /** Host -> management IP; defaults to the blog's addresses. */
  mgmtIps?: Readonly<Record<string, string>>;
  file?: string;
}

export function inventoryFromSshConfig(text: string, opts: FromVagrantOptions = {}): VagrantInventory {
  const mgmt = opts.mgmtIps ?? BLOG_MGMT_IPS;
  const parsed = parseSshConfig(text, opts.file);
  if (parsed.length === 0) throw new InputError('vagrant ssh-config printed no Host blocks', { file: opts.file ?? '<vagrant ssh-config>', line: 1, col: 1 }, 'are the machines created? run `vagrant up` first');
  const hosts: VagrantInventoryHost[] = parsed.map((h) => {
    const vars: Vars = {};
    if (mgmt[h.name]) vars.mgmt_ip = mgmt[h.name];
    vars.ansible_host = h.hostName ?? h.name;
    if (h.port !== undefined) vars.ansible_port = h.port;
    if (h.user) vars.ansible_user = h.user;
    // Vagrant lists the machine key first; older versions add the insecure key after it.
    if (h.identityFiles[0]) vars.ansible_ssh_private_key_file = h.identityFiles[0];
    const g = blogGroupFor(h.name);
    return { name: h.name, ...(g ? { group: g } : {}), vars };
  });
  const allVars: Vars = {};
  // Shared user moves to [all:vars], as in the blog's hosts.ini.
  const users = new Set(hosts.map((h) => h.vars.ansible_user));
  if (users.size === 1 && hosts[0]!.vars.ansible_user !== undefined) {
    allVars.ansible_user = hosts[0]!.vars.ansible_user;
    for (const h of hosts) delete h.vars.ansible_user;
  }
  // Vagrant's machines get fresh host keys on every `vagrant up`; it says so with StrictHostKeyChecking no.
  if (parsed.every((h) => h.strictHostKeyChecking?.toLowerCase() === 'no')) allVars.host_key_checking = 'false';
  return { hosts, allVars };
}

/** Render as Ansible INI; values round-trip through drover's (and Ansible's) INI reader. */
export function renderIni(inv: VagrantInventory, header?: string): string {
  const lines: string[] = [];
  if (header) for (const l of header.split('\n')) lines.push(`# ${l}`);
  const groups = new Map<string, VagrantInventoryHost[]>();
  for (const h of inv.hosts) {
    const g = h.group ?? '';
    groups.set(g, [...(groups.get(g) ?? []), h]);
  }
  // Ungrouped hosts must come before the first section.
  const order = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
  for (const g of order) {
    if (lines.length) lines.push('');
    if (g) lines.push(`[${g}]`);
    for (const h of groups.get(g)!) {
      lines.push([h.name, ...Object.entries(h.vars).map(([k, v]) => `${k}=${iniValue(v, true)}`)].join(' '));
    }
  }
  if (Object.keys(inv.allVars).length) {
    lines.push('', '[all:vars]');
    for (const [k, v] of Object.entries(inv.allVars)) lines.push(`${k}=${iniValue(v, false)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * An INI value that reads back as `v`: bare when Ansible's literal evaluation
 * leaves the text alone (paths get the blog's double quotes), otherwise a
 * Python string literal (inside shell single quotes on a host line).
 */
function iniValue(v: unknown, hostLine: boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  const s = String(v);
  if (hostLine) {
    const bare = s !== '' && !/[\s'"#\\]/.test(s) && pythonLiteral(s) === s;
    if (bare) return s.includes('/') ? `"${s}"` : s;
    return `'${JSON.stringify(s).replace(/'/g, '\\x27')}'`;
  }
  const bare = s === s.trim() && !s.includes('\n') && pythonLiteral(s) === s;
  return bare ? s : JSON.stringify(s);
}
