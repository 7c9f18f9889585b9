/**
 * Inventory variables -> ConnectionSpec, reading the names Ansible users
 * already have in their inventories (ansible_host, ansible_port, …), so
 * existing inventories work unchanged.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ConnectionSpec } from '../transport/connection.js';
import { loadSshClientConfig, sshConfigFiles, type SshClientConfig, type SshHostConfig } from '../transport/ssh-client-config.js';
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
 *
 * Each setting, first found wins (what Ansible passes on ssh's command line,
 * then what ssh reads from its config): the host's variables; `defaults`
 * (-u, ansible.cfg, ANSIBLE_*); the -o options of ssh_args, ssh_common_args,
 * ssh_extra_args (a variable replaces the setting of the same name); the
 * OpenSSH client config (~/.ssh/config and /etc/ssh/ssh_config, or -F) for
 * the name ssh would be given (-o HostName, ansible_host, else the inventory
 * name), so `Host` aliases resolve; drover's defaults. ssh options drover
 * cannot honour are named through `warn`.
 */
export function connectionSpecFromVars(
  name: string,
  vars: Record<string, unknown>,
  baseDir: string = process.cwd(),
  defaults: ConnectionDefaults = {},
  warn?: (message: string) => void,
): ConnectionSpec {
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

  const method = str('ansible_become_method');
  if (method !== undefined && method !== 'sudo') throw bad(name, 'ansible_become_method', method, 'sudo (the only become method drover supports)');

  // ssh's command line as Ansible builds it: ssh_args, then ssh_common_args, then ssh_extra_args
  // (a host variable replaces the config setting of the same name); for -o options the first value wins, as in ssh.
  const argSources: Array<{ key: string; args: string }> = [];
  for (const [v, cfg] of [
    ['ansible_ssh_args', 'sshArgs'],
    ['ansible_ssh_common_args', 'sshCommonArgs'],
    ['ansible_ssh_extra_args', 'sshExtraArgs'],
  ] as const) {
    const fromVar = str(v);
    const fromCfg = defaults[cfg];
    if (fromVar !== undefined) argSources.push({ key: v, args: fromVar });
    else if (fromCfg?.value) argSources.push({ key: fromCfg.origin, args: fromCfg.value });
  }
  const args = parseSshArgs(name, argSources, baseDir, kind === 'ssh' ? warn : undefined);

  const explicitHost = str('ansible_host', 'ansible_ssh_host');
  const target = args.opts.get('hostname') ?? explicitHost ?? name;
  const sshFile = args.configFile ?? defaults.sshConfigFile;
  const cfgFor = (h: string): SshHostConfig | undefined => (kind !== 'ssh' || defaults.sshConfig === false ? undefined : sshConfigFor(sshFile, h));
  const sc = cfgFor(target);

  const portFromVars = num(['ansible_port', 'ansible_ssh_port'], 'a port number (1-65535)', 1);
  const port = portFromVars ?? defaults.port ?? portOf(name, 'ssh option Port', args.opts.get('port')) ?? portOf(name, `ssh config Port (${target})`, sc?.port) ?? CONNECTION_DEFAULTS.port;
  if (!Number.isInteger(port) || port > 65535) throw bad(name, 'ansible_port', port, 'a port number (1-65535)');

  const keyFile = str('ansible_ssh_private_key_file', 'ansible_private_key_file');
  const argKey = args.opts.get('identityfile');
  const privateKeyFile = keyFile ? expandPath(keyFile, baseDir) : (defaults.privateKeyFile ?? (argKey ? expandPath(argKey, baseDir) : firstExisting(sc?.identityFiles ?? [])));
  const known = str('drover_known_hosts_file');
  const argKnown = args.opts.get('userknownhostsfile')?.split(/\s+/)[0];
  const knownHostsFile = known ? expandPath(known, baseDir) : argKnown ? expandPath(argKnown, baseDir) : (sc?.userKnownHostsFiles[0] ?? join(homedir(), '.ssh', 'known_hosts'));
  const timeoutS = num(['drover_connect_timeout', 'ansible_ssh_timeout', 'ansible_timeout'], 'a number of seconds', 0.1) ?? defaults.timeoutS ?? seconds(name, 'ssh option ConnectTimeout', args.opts.get('connecttimeout')) ?? seconds(name, `ssh config ConnectTimeout (${target})`, sc?.connectTimeout);
  const retries = num(['drover_connect_retries'], 'a whole number >= 0', 0) ?? defaults.retries;
  const keepS = num(['drover_keepalive_interval'], 'a number of seconds', 0) ?? seconds(name, 'ssh option ServerAliveInterval', args.opts.get('serveraliveinterval'), 0) ?? seconds(name, `ssh config ServerAliveInterval (${target})`, sc?.serverAliveInterval, 0);

  const spec: ConnectionSpec = {
    name,
    kind,
    host: sc?.hostName ?? target,
    port,
    user: str('ansible_user', 'ansible_ssh_user') ?? defaults.remoteUser ?? args.opts.get('user') ?? sc?.user,
    privateKeyFile,
    password: str('ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'),
    agent: process.env.SSH_AUTH_SOCK || undefined,
    hostKeyChecking: hostKeyPolicy(name, vars, defaults, args.opts.get('stricthostkeychecking'), sc?.strictHostKeyChecking),
    knownHostsFile,
    becomePassword: str('ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'),
    becomeMethod: 'sudo',
    connectTimeoutMs: timeoutS !== undefined ? Math.round(timeoutS * 1000) : CONNECTION_DEFAULTS.connectTimeoutMs,
    connectRetries: retries !== undefined ? Math.floor(retries) : CONNECTION_DEFAULTS.connectRetries,
    keepaliveIntervalMs: keepS !== undefined ? Math.round(keepS * 1000) : CONNECTION_DEFAULTS.keepaliveIntervalMs,
  };
  let jump = args.jump;
  if (!jump && sc?.proxyJump && sc.proxyJump.toLowerCase() !== 'none') jump = parseHop(name, `ssh config ProxyJump (${target})`, sc.proxyJump);
  else if (!jump && sc?.proxyCommand && sc.proxyCommand.toLowerCase() !== 'none') jump = parseProxyCommand(name, `ssh config ProxyCommand (${target})`, sc.proxyCommand, baseDir);
  if (jump) {
    // The jump host may itself be an alias of the ssh config (ProxyJump bastion).
    const jc = cfgFor(jump.host);
    if (jc) {
      const hop: NonNullable<ConnectionSpec['jump']> = { host: jc.hostName ?? jump.host, port: jump.port, user: jump.user ?? jc.user };
      if (jump.port === 22 && jc.port) hop.port = portOf(name, `ssh config Port (${jump.host})`, jc.port) ?? 22;
      const k = jump.privateKeyFile ?? firstExisting(jc.identityFiles);
      if (k) hop.privateKeyFile = k;
      jump = hop;
    }
    spec.jump = jump;
  }
  return spec;
}

/**
 * Connection settings that come from drover's configuration rather than a
 * host's variables (ansible.cfg, ANSIBLE_* variables, the command line):
 * each applies to hosts whose variables do not set it, and wins over the
 * OpenSSH client configuration, as in Ansible (which passes them to ssh as
 * -o options).
 */
export interface ConnectionDefaults {
  /** -u / remote_user. */
  remoteUser?: string;
  /** remote_port. */
  port?: number;
  /** private_key_file (absolute). */
  privateKeyFile?: string;
  /** host_key_checking: false turns checking off; true leaves it to the ssh config (strict by default). */
  hostKeyChecking?: boolean;
  /** timeout (s). */
  timeoutS?: number;
  /** [ssh_connection] retries. */
  retries?: number;
  /** [ssh_connection] ssh_args / ssh_common_args / ssh_extra_args, with where each came from (for warnings). */
  sshArgs?: { value: string; origin: string };
  sshCommonArgs?: { value: string; origin: string };
  sshExtraArgs?: { value: string; origin: string };
  /** -F FILE: the OpenSSH client config instead of ~/.ssh/config and /etc/ssh/ssh_config; false: none at all. */
  sshConfigFile?: string;
  sshConfig?: false;
}

const sshConfigCache = new Map<string, SshClientConfig>();

/** The ssh config settings of `host` from FILE (-F) or the default files, parsed once per process. */
function sshConfigFor(file: string | undefined, host: string): SshHostConfig | undefined {
  const files = sshConfigFiles(file);
  if (!files.length) return undefined;
  const key = `${homedir()}\0${files.join('\0')}`;
  let c = sshConfigCache.get(key);
  if (!c) {
    try {
      c = loadSshClientConfig(files);
    } catch (e) {
      throw new InputError(`cannot read the ssh config ${files.join(', ')}: ${(e as Error).message}`);
    }
    sshConfigCache.set(key, c);
  }
  return c.lookup(host);
}

function firstExisting(files: string[]): string | undefined {
  return files.find((f) => existsSync(f));
}

function portOf(host: string, what: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad(host, what, v, 'a port number (1-65535)');
  return n;
}

function seconds(host: string, what: string, v: string | undefined, min = 0.1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isFinite(n) || n < min) throw bad(host, what, v, 'a number of seconds');
  return n;
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

function hostKeyPolicy(host: string, vars: Record<string, unknown>, defaults: ConnectionDefaults, fromArgs: string | undefined, fromSshConfig: string | undefined): ConnectionSpec['hostKeyChecking'] {
  const keys = ['ansible_host_key_checking', 'ansible_ssh_host_key_checking', 'host_key_checking'];
  const key = keys.find((k) => vars[k] !== undefined && vars[k] !== null && vars[k] !== '');
  if (key) return hostKeyValue(host, key, vars[key]);
  // host_key_checking = False (config, environment): Ansible passes -o StrictHostKeyChecking=no; True passes nothing.
  if (defaults.hostKeyChecking === false) return 'off';
  if (fromArgs !== undefined) return hostKeyValue(host, 'ssh option StrictHostKeyChecking', fromArgs);
  if (fromSshConfig !== undefined) return hostKeyValue(host, 'ssh config StrictHostKeyChecking', fromSshConfig);
  return 'strict';
}

function hostKeyValue(host: string, key: string, v: unknown): ConnectionSpec['hostKeyChecking'] {
  const s = String(v).trim().toLowerCase();
  if (v === false || ['false', 'off', 'no', '0', 'n'].includes(s)) return 'off';
  // ask: drover never asks (no terminal in the middle of a run): strict.
  if (v === true || ['true', 'on', 'yes', '1', 'y', 'strict', 'ask'].includes(s)) return 'strict';
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

/** `[user@]host[:port]`: one hop (drover supports one jump host; a chain is an input error, not its first hop alone). */
function parseHop(host: string, key: string, s: string): { host: string; port: number; user?: string } {
  if (s.includes(',')) throw bad(host, key, s, 'one jump host: drover does not chain ProxyJump hops (a,b)');
  const first = s.trim().replace(/^ssh:\/\//, '');
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(first);
  if (!m) throw bad(host, key, s, 'a jump host as user@host:port');
  return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
}

/** ssh -o options drover honours (lower case). */
const HONOURED_OPTIONS = new Set(['stricthostkeychecking', 'userknownhostsfile', 'connecttimeout', 'serveraliveinterval', 'proxyjump', 'proxycommand', 'port', 'user', 'identityfile', 'hostname']);
/** ssh -o options with nothing to do in drover: it keeps one connection per host for the run and never prompts. */
const MOOT_OPTIONS = new Set(['controlmaster', 'controlpersist', 'controlpath', 'batchmode', 'loglevel']);
/** ssh flags with nothing to do in drover (-q quiet, -T no tty, -n no stdin). */
const MOOT_FLAGS = new Set(['-q', '-T', '-n', '-x']);

interface SshArgs {
  /** -o options drover honours, first value obtained kept (lower-case names), plus -p/-l/-i. */
  opts: Map<string, string>;
  jump?: ConnectionSpec['jump'];
  /** -F FILE. */
  configFile?: string;
}

/**
 * The ssh options of ssh_args/ssh_common_args/ssh_extra_args that drover can
 * honour; what it cannot is named in one warning per source.
 */
function parseSshArgs(host: string, sources: Array<{ key: string; args: string }>, baseDir: string, warn?: (m: string) => void): SshArgs {
  const out: SshArgs = { opts: new Map() };
  const set = (k: string, v: string) => {
    if (!out.opts.has(k)) out.opts.set(k, v);
  };
  for (const { key, args } of sources) {
    if (!args.trim()) continue;
    const a = sshArgsOf(host, key, args);
    const ignored: string[] = [];
    for (let i = 0; i < a.length; i++) {
      const w = a[i]!;
      const flag = /^-[A-Za-z]/.test(w) ? w.slice(0, 2) : undefined;
      const attached = w.length > 2 ? w.slice(2) : undefined;
      const value = (): string | undefined => attached ?? a[++i];
      if (flag === '-J') {
        const v = value();
        if (v && !out.jump) out.jump = parseHop(host, key, v);
        continue;
      }
      if (flag === '-F') {
        const v = value();
        if (v && !out.configFile) out.configFile = expandPath(v, baseDir);
        continue;
      }
      if (flag === '-p' || flag === '-l' || flag === '-i') {
        const v = value();
        if (v) set(flag === '-p' ? 'port' : flag === '-l' ? 'user' : 'identityfile', v);
        continue;
      }
      if (flag === '-o') {
        const opt = value();
        if (!opt) continue;
        const m = /^(\w+)\s*(?:=|\s)\s*(.*)$/s.exec(opt.trim());
        const name = m?.[1]!.toLowerCase();
        if (!m || !name) {
          ignored.push(`-o ${opt}`);
          continue;
        }
        const v = m[2]!.trim();
        if (name === 'proxyjump') {
          if (v.toLowerCase() !== 'none' && !out.jump) out.jump = parseHop(host, key, v);
        } else if (name === 'proxycommand') {
          if (v.toLowerCase() !== 'none' && !out.jump) out.jump = parseProxyCommand(host, key, v, baseDir);
        } else if (HONOURED_OPTIONS.has(name)) set(name, v);
        else if (!MOOT_OPTIONS.has(name)) ignored.push(`-o ${m[1]}=${v}`);
        continue;
      }
      if (flag && MOOT_FLAGS.has(w)) continue;
      ignored.push(w);
    }
    if (ignored.length) warn?.(`${key}: drover cannot honour ${ignored.join(', ')}; it connects without ${ignored.length === 1 ? 'it' : 'them'} (honoured: -o StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout, ServerAliveInterval, ProxyJump, ProxyCommand "ssh -W", Port, User, IdentityFile, HostName; -J -p -l -i -F)`);
  }
  return out;
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
