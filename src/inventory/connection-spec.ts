/**
 * Inventory variables -> ConnectionSpec, reading the names Ansible users
 * already have in their inventories (ansible_host, ansible_port, …), so
 * existing inventories work unchanged.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ConnectionSpec } from '../transport/connection.js';
import { InputError } from '../util/errors.js';
import { ShellWordsError, shellWords } from '../util/shell-words.js';

export const CONNECTION_DEFAULTS = {
  port: 22,
  connectTimeoutMs: 10_000,
  connectRetries: 3,
  keepaliveIntervalMs: 15_000,
} as const;

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * Resolve the connection settings of host `name` from its merged inventory
 * vars. Relative key paths are resolved against `baseDir` (the inventory's
 * directory). Variables (seconds, Ansible style):
 *   ansible_host, ansible_port|ansible_ssh_port, ansible_user|ansible_ssh_user,
 *   ansible_ssh_private_key_file|ansible_private_key_file,
 *   ansible_password|ansible_ssh_pass, ansible_become_password|ansible_become_pass,
 *   ansible_become_method (sudo only), ansible_connection (ssh|smart|paramiko|local),
 *   host_key_checking|ansible_host_key_checking|ansible_ssh_host_key_checking
 *     (true|strict, accept-new, false|off|no), drover_known_hosts_file,
 *   ansible_ssh_common_args|ansible_ssh_extra_args (-J / -o ProxyJump= / ProxyCommand="ssh -W %h:%p …"),
 *   drover_connect_timeout|ansible_ssh_timeout|ansible_timeout (s), drover_connect_retries,
 *   drover_keepalive_interval (s).
 * A host named localhost with no ansible_connection, port or user runs locally (Ansible's implicit localhost).
 */
export function connectionSpecFromVars(name: string, vars: Record<string, unknown>, baseDir: string = process.cwd()): ConnectionSpec {
  const get = (...keys: string[]): unknown => {
    for (const k of keys) if (vars[k] !== undefined && vars[k] !== null && vars[k] !== '') return vars[k];
    return undefined;
  };
  const str = (...keys: string[]): string | undefined => {
    const v = get(...keys);
    if (v === undefined) return undefined;
    if (typeof v === 'object') throw bad(name, keys[0]!, v, 'a string');
    return String(v);
  };
  const num = (keys: string[], what: string, min: number): number | undefined => {
    const v = get(...keys);
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n) || n < min) throw bad(name, keys.find((k) => vars[k] !== undefined)!, v, what);
    return n;
  };

  // Set but empty (`ansible_host=`) is a mistake, not "use the inventory name".
  for (const k of ['ansible_host', 'ansible_ssh_host']) if (vars[k] === '') throw bad(name, k, '', 'an address or host name');

  const connection = str('ansible_connection');
  let kind: ConnectionSpec['kind'];
  if (connection === undefined) {
    const implicitLocal = LOCAL_NAMES.has(name) && get('ansible_port', 'ansible_ssh_port', 'ansible_user', 'ansible_ssh_user') === undefined && LOCAL_NAMES.has(str('ansible_host') ?? name);
    kind = implicitLocal ? 'local' : 'ssh';
  } else if (connection === 'local') kind = 'local';
  else if (['ssh', 'smart', 'paramiko'].includes(connection)) kind = 'ssh';
  else throw bad(name, 'ansible_connection', connection, 'ssh or local');

  const port = num(['ansible_port', 'ansible_ssh_port'], 'a port number (1-65535)', 1) ?? CONNECTION_DEFAULTS.port;
  if (!Number.isInteger(port) || port > 65535) throw bad(name, 'ansible_port', port, 'a port number (1-65535)');

  const method = str('ansible_become_method');
  if (method !== undefined && method !== 'sudo') throw bad(name, 'ansible_become_method', method, 'sudo (the only become method drover supports)');

  const keyFile = str('ansible_ssh_private_key_file', 'ansible_private_key_file');
  const known = str('drover_known_hosts_file');
  const timeoutS = num(['drover_connect_timeout', 'ansible_ssh_timeout', 'ansible_timeout'], 'a number of seconds', 0.1);
  const retries = num(['drover_connect_retries'], 'a whole number >= 0', 0);
  const keepS = num(['drover_keepalive_interval'], 'a number of seconds', 0);

  const spec: ConnectionSpec = {
    name,
    kind,
    host: str('ansible_host', 'ansible_ssh_host') ?? name,
    port,
    user: str('ansible_user', 'ansible_ssh_user'),
    privateKeyFile: keyFile ? expandPath(keyFile, baseDir) : undefined,
    password: str('ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'),
    agent: process.env.SSH_AUTH_SOCK || undefined,
    hostKeyChecking: hostKeyPolicy(name, vars),
    knownHostsFile: known ? expandPath(known, baseDir) : join(homedir(), '.ssh', 'known_hosts'),
    becomePassword: str('ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'),
    becomeMethod: 'sudo',
    connectTimeoutMs: timeoutS !== undefined ? Math.round(timeoutS * 1000) : CONNECTION_DEFAULTS.connectTimeoutMs,
    connectRetries: retries !== undefined ? Math.floor(retries) : CONNECTION_DEFAULTS.connectRetries,
    keepaliveIntervalMs: keepS !== undefined ? Math.round(keepS * 1000) : CONNECTION_DEFAULTS.keepaliveIntervalMs,
  };
  const argsKey = vars['ansible_ssh_common_args'] !== undefined ? 'ansible_ssh_common_args' : 'ansible_ssh_extra_args';
  const jump = parseJump(name, argsKey, [str('ansible_ssh_common_args'), str('ansible_ssh_extra_args')].filter(Boolean).join(' '), baseDir);
  if (jump) spec.jump = jump;
  return spec;
}

/**
 * What is wrong with a host's connection settings that can be known without
 * contacting it: a private key file that is missing or readable by others
 * (OpenSSH refuses such a key with "UNPROTECTED PRIVATE KEY FILE"; so does
 * drover, before any host is touched). Undefined when nothing is.
 */
export function connectionSpecProblem(spec: ConnectionSpec): string | undefined {
  if (spec.kind !== 'ssh') return undefined;
  for (const [what, file] of [['ansible_ssh_private_key_file', spec.privateKeyFile], ['jump host key', spec.jump?.privateKeyFile]] as const) {
    if (!file) continue;
    let st;
    try {
      st = statSync(file);
    } catch {
      return `host ${spec.name}: ${what} ${file} does not exist`;
    }
    if (!st.isFile()) return `host ${spec.name}: ${what} ${file} is not a file`;
    if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      return `host ${spec.name}: private key ${file} is accessible by others (mode ${mode}); OpenSSH refuses such keys, and so does drover (chmod 600 ${file})`;
    }
  }
  return undefined;
}

function bad(host: string, key: string, value: unknown, expected: string): InputError {
  return new InputError(`host ${host}: ${key}=${JSON.stringify(value)} is not valid`, undefined, `expected ${expected}`);
}

function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function hostKeyPolicy(host: string, vars: Record<string, unknown>): ConnectionSpec['hostKeyChecking'] {
  const keys = ['ansible_host_key_checking', 'ansible_ssh_host_key_checking', 'host_key_checking'];
  const key = keys.find((k) => vars[k] !== undefined && vars[k] !== null && vars[k] !== '');
  if (!key) return 'strict';
  const v = vars[key];
  const s = String(v).trim().toLowerCase();
  if (v === false || ['false', 'off', 'no', '0', 'n'].includes(s)) return 'off';
  if (v === true || ['true', 'on', 'yes', '1', 'y', 'strict'].includes(s)) return 'strict';
  if (['accept-new', 'accept_new', 'acceptnew'].includes(s)) return 'accept-new';
  throw bad(host, key, v, 'true/strict, accept-new or false/off');
}

/**
 * ssh option words as Ansible's connection plugins split them
 * (_split_ssh_args): shlex words, each stripped, empty ones dropped.
 */
export function splitSshArgs(s: string): string[] {
  return shellWords(s)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** splitSshArgs for variable `key` of `host`: an unclosed quote names both. */
function sshArgsOf(host: string, key: string, s: string): string[] {
  try {
    return splitSshArgs(s);
  } catch (e) {
    if (e instanceof ShellWordsError) throw bad(host, key, s, `ssh arguments a shell can split (${e.message})`);
    throw e;
  }
}

/** `[user@]host[:port]` (first hop only: drover supports one jump host). */
function parseHop(host: string, key: string, s: string): { host: string; port: number; user?: string } {
  const first = s.split(',')[0]!.replace(/^ssh:\/\//, '');
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(first);
  if (!m) throw bad(host, key, s, 'a jump host as user@host:port');
  return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
}

function parseJump(host: string, key: string, args: string, baseDir: string): ConnectionSpec['jump'] {
  if (!args.trim()) return undefined;
  const a = sshArgsOf(host, key, args);
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    if (w === '-J' && a[i + 1]) return parseHop(host, key, a[i + 1]!);
    if (w.startsWith('-J') && w.length > 2) return parseHop(host, key, w.slice(2));
    let opt: string | undefined;
    if (w === '-o' && a[i + 1]) opt = a[++i];
    else if (w.startsWith('-o') && w.length > 2) opt = w.slice(2);
    if (!opt) continue;
    const m = /^(\w+)\s*(?:=|\s)\s*(.*)$/s.exec(opt.trim());
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    if (name === 'proxyjump' && m[2]!.toLowerCase() !== 'none') return parseHop(host, key, m[2]!.trim());
    if (name === 'proxycommand') return parseProxyCommand(host, key, m[2]!, baseDir);
  }
  return undefined;
}

/** The classic `ProxyCommand="ssh -W %h:%p -q [-p PORT] [-i KEY] user@bastion"`. */
function parseProxyCommand(host: string, key: string, cmd: string, baseDir: string): ConnectionSpec['jump'] {
  const a = sshArgsOf(host, key, cmd);
  if (a[0] !== 'ssh' || !a.includes('-W')) throw bad(host, key, cmd, 'ProxyCommand of the form "ssh -W %h:%p [-p PORT] [-i KEY] user@host" (or use -J user@host:port)');
  let port: number | undefined;
  let keyFile: string | undefined;
  let user: string | undefined;
  let target: string | undefined;
  const withValue = new Set(['-W', '-p', '-i', '-l', '-o', '-F', '-J']);
  for (let i = 1; i < a.length; i++) {
    const w = a[i]!;
    if (withValue.has(w)) {
      const v = a[++i];
      if (w === '-p') port = Number(v);
      if (w === '-i' && v) keyFile = expandPath(v, baseDir);
      if (w === '-l') user = v;
      continue;
    }
    if (w.startsWith('-')) continue;
    target = w;
  }
  if (!target) throw bad(host, key, cmd, 'ProxyCommand naming the jump host');
  const hop = parseHop(host, key, target);
  return { host: hop.host, port: port ?? hop.port, user: hop.user ?? user, privateKeyFile: keyFile };
}
