/**
 * drover's configuration as Ansible reads its own (ansible/config/manager.py,
 * base.yml): one ansible.cfg, the first of $ANSIBLE_CONFIG, ./ansible.cfg
 * (skipped in a world-writable directory), ~/.ansible.cfg and
 * /etc/ansible/ansible.cfg; the ANSIBLE_* variable of each setting wins over
 * the file, and a command-line flag over both. The file is read with
 * Python configparser's conventions (as Ansible does): `[section]`,
 * `key = value` or `key: value`, keys case-insensitive, `#`/`;` comment
 * lines, `;` comments after whitespace, indented continuation lines; no
 * interpolation (Ansible reads raw). Relative paths in the file are relative
 * to the file's directory; in a variable, to the working directory.
 *
 * Settings drover does not support are never dropped silently: they are
 * named once, in one warning. The engine receives plain options (runDefaults).
 */
import { existsSync, readFileSync, statSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import type { ConnectionDefaults } from '../inventory/connection-spec.js';

type Kind = 'str' | 'int' | 'bool' | 'path' | 'pathlist' | 'pathspec' | 'noop';

interface Def {
  /** Ansible's setting name (ansible-config dump). */
  name: string;
  ini: Array<[section: string, key: string]>;
  env: string[];
  kind: Kind;
  default?: string | number | boolean | string[];
  /** What drover does with it (config dump, README). */
  note?: string;
}

/** The settings drover supports, under Ansible's names. */
export const SETTINGS = {
  inventory: { name: 'DEFAULT_HOST_LIST', ini: [['defaults', 'inventory']], env: ['ANSIBLE_INVENTORY'], kind: 'pathlist' },
  roles_path: { name: 'DEFAULT_ROLES_PATH', ini: [['defaults', 'roles_path']], env: ['ANSIBLE_ROLES_PATH'], kind: 'pathspec', default: [] },
  forks: { name: 'DEFAULT_FORKS', ini: [['defaults', 'forks']], env: ['ANSIBLE_FORKS'], kind: 'int', default: 20 },
  host_key_checking: {
    name: 'HOST_KEY_CHECKING',
    ini: [['defaults', 'host_key_checking'], ['ssh_connection', 'host_key_checking']],
    env: ['ANSIBLE_HOST_KEY_CHECKING', 'ANSIBLE_SSH_HOST_KEY_CHECKING'],
    kind: 'bool',
    default: true,
  },
  remote_user: { name: 'DEFAULT_REMOTE_USER', ini: [['defaults', 'remote_user']], env: ['ANSIBLE_REMOTE_USER'], kind: 'str' },
  remote_port: { name: 'DEFAULT_REMOTE_PORT', ini: [['defaults', 'remote_port']], env: ['ANSIBLE_REMOTE_PORT'], kind: 'int' },
  private_key_file: { name: 'DEFAULT_PRIVATE_KEY_FILE', ini: [['defaults', 'private_key_file']], env: ['ANSIBLE_PRIVATE_KEY_FILE'], kind: 'path' },
  timeout: { name: 'DEFAULT_TIMEOUT', ini: [['defaults', 'timeout'], ['ssh_connection', 'timeout']], env: ['ANSIBLE_TIMEOUT', 'ANSIBLE_SSH_TIMEOUT'], kind: 'int', default: 10 },
  vault_password_file: { name: 'DEFAULT_VAULT_PASSWORD_FILE', ini: [['defaults', 'vault_password_file']], env: ['ANSIBLE_VAULT_PASSWORD_FILE'], kind: 'path' },
  ask_vault_pass: { name: 'DEFAULT_ASK_VAULT_PASS', ini: [['defaults', 'ask_vault_pass']], env: ['ANSIBLE_ASK_VAULT_PASS'], kind: 'bool', default: false },
  become: { name: 'DEFAULT_BECOME', ini: [['privilege_escalation', 'become']], env: ['ANSIBLE_BECOME'], kind: 'bool', default: false },
  become_user: { name: 'DEFAULT_BECOME_USER', ini: [['privilege_escalation', 'become_user']], env: ['ANSIBLE_BECOME_USER'], kind: 'str', default: 'root' },
  become_method: {
    name: 'DEFAULT_BECOME_METHOD',
    ini: [['privilege_escalation', 'become_method']],
    env: ['ANSIBLE_BECOME_METHOD'],
    kind: 'str',
    default: 'sudo',
    note: 'sudo is the only method drover supports',
  },
  become_ask_pass: { name: 'DEFAULT_BECOME_ASK_PASS', ini: [['privilege_escalation', 'become_ask_pass']], env: ['ANSIBLE_BECOME_ASK_PASS'], kind: 'bool', default: false },
  ssh_args: { name: 'SSH_ARGS', ini: [['ssh_connection', 'ssh_args']], env: ['ANSIBLE_SSH_ARGS'], kind: 'str', note: 'the -o options drover can honour' },
  ssh_common_args: { name: 'SSH_COMMON_ARGS', ini: [['ssh_connection', 'ssh_common_args']], env: ['ANSIBLE_SSH_COMMON_ARGS'], kind: 'str' },
  ssh_extra_args: { name: 'SSH_EXTRA_ARGS', ini: [['ssh_connection', 'ssh_extra_args']], env: ['ANSIBLE_SSH_EXTRA_ARGS'], kind: 'str' },
  retries: { name: 'SSH_RETRIES', ini: [['ssh_connection', 'retries'], ['connection', 'retries']], env: ['ANSIBLE_SSH_RETRIES'], kind: 'int', default: 3 },
  pipelining: {
    name: 'ANSIBLE_PIPELINING',
    ini: [['defaults', 'pipelining'], ['connection', 'pipelining'], ['ssh_connection', 'pipelining']],
    env: ['ANSIBLE_PIPELINING', 'ANSIBLE_SSH_PIPELINING'],
    kind: 'noop',
    note: 'no effect: drover always pipes commands into one shell per host, it never copies module files',
  },
} satisfies Record<string, Def>;

export type SettingKey = keyof typeof SETTINGS;
export type Value = string | number | boolean | string[];

export interface Setting {
  key: SettingKey;
  value: Value | undefined;
  /** `default`, `env: ANSIBLE_X`, or the config file's path. */
  origin: string;
  /** `[section] key` it was read from, when from the file. */
  ini?: string;
}

export interface DroverConfig {
  /** The ansible.cfg read, if any. */
  file?: string;
  settings: Record<SettingKey, Setting>;
  /** Settings in the file or ANSIBLE_* variables that drover does not support, each with where it was set. */
  unsupported: string[];
  /** Other things a user should know (a skipped world-writable ./ansible.cfg, ANSIBLE_CONFIG naming no file). */
  notes: string[];
}

/** ANSIBLE_* variables read outside the settings table. */
const ENV_UNDERSTOOD = new Set(['ANSIBLE_CONFIG']);

// ---- INI, as Python's configparser reads it (ConfigParser(inline_comment_prefixes=(';',)), get(raw=True)).

export interface IniEntry {
  value: string;
  line: number;
}
export type Ini = Map<string, Map<string, IniEntry>>;

export function parseIni(text: string, file: string): Ini {
  const out: Ini = new Map();
  let section: Map<string, IniEntry> | undefined;
  let last: { entry: IniEntry; indent: number } | undefined;
  const err = (line: number, msg: string) => new InputError(`${file}:${line}: ${msg}`, undefined, 'ansible.cfg is read as Python configparser reads it: [section], key = value');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const stripped = raw.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    // An inline comment: ';' after whitespace.
    const cut = raw.search(/\s;/);
    const content = (cut >= 0 ? raw.slice(0, cut) : raw).trim();
    const indent = raw.length - raw.trimStart().length;
    if (!content) return;
    // A line indented deeper than its key continues the value (blank lines between are allowed).
    if (last && indent > last.indent) {
      last.entry.value = last.entry.value ? `${last.entry.value}\n${content}` : content;
      return;
    }
    last = undefined;
    const header = /^\[([^\]]+)\]/.exec(content);
    if (header) {
      const name = header[1]!;
      if (out.has(name)) throw err(n, `section [${name}] appears twice`);
      section = new Map();
      out.set(name, section);
      return;
    }
    if (!section) throw err(n, `a setting before any [section]: ${JSON.stringify(content)}`);
    const m = /^(.*?)\s*[=:]\s*(.*)$/.exec(content);
    if (!m || !m[1]) throw err(n, `not a "key = value" line: ${JSON.stringify(content)}`);
    const key = m[1].toLowerCase();
    if (section.has(key)) throw err(n, `${key} is set twice in this section (first on line ${section.get(key)!.line})`);
    const entry = { value: m[2]!, line: n };
    section.set(key, entry);
    last = { entry, indent };
  });
  // [DEFAULT] values are every section's defaults.
  const dflt = out.get('DEFAULT');
  if (dflt) for (const [name, sec] of out) if (name !== 'DEFAULT') for (const [k, v] of dflt) if (!sec.has(k)) sec.set(k, v);
  return out;
}

// ---- Finding the file.

/** The ansible.cfg Ansible would read, and notes on what it skipped. */
export function findConfigFile(env: NodeJS.ProcessEnv, cwd: string, home: string): { file?: string; notes: string[] } {
  const notes: string[] = [];
  const candidates: string[] = [];
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv !== undefined) {
    let p = resolve(cwd, expandUser(fromEnv, home));
    if (isDir(p)) p = join(p, 'ansible.cfg');
    if (!readable(p)) notes.push(`ANSIBLE_CONFIG=${fromEnv}: no readable file there; looking in the usual places`);
    candidates.push(p);
  }
  let skippedCwd = false;
  try {
    const cwdCfg = join(cwd, 'ansible.cfg');
    if (statSync(cwd).mode & 0o002) skippedCwd = existsSync(cwdCfg);
    else candidates.push(cwdCfg);
  } catch {
    // an unreadable working directory is no config source
  }
  candidates.push(join(home, '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  const file = candidates.find(readable);
  if (skippedCwd && !(fromEnv !== undefined && file === candidates[0])) {
    notes.push(`drover is run in a world-writable directory (${cwd}): its ansible.cfg is ignored, as Ansible ignores it`);
  }
  return file ? { file, notes } : { notes };
}

function readable(p: string): boolean {
  try {
    accessSync(p, constants.R_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function expandUser(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? join(home, p.slice(1)) : p;
}

// ---- Values.

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't', '1.0']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f', '0.0']);

/** Quotes around a whole value are dropped (Ansible's unquote). */
function unquote(s: string): string {
  return s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0] ? s.slice(1, -1) : s;
}

/** Ansible's resolve_path: ~ and $VARS expanded, relative to `base`, normalised. */
function resolvePath(p: string, base: string, env: NodeJS.ProcessEnv, home: string, cwd: string): string {
  let s = p.replaceAll('{{CWD}}', cwd);
  s = s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? m);
  s = expandUser(s, home);
  return normalize(isAbsolute(s) ? s : resolve(base, s));
}

function convert(key: SettingKey, raw: string, where: string, base: string, env: NodeJS.ProcessEnv, home: string, cwd: string): Value {
  const def: Def = SETTINGS[key];
  const bad = (expected: string) => new InputError(`${where}: ${JSON.stringify(raw)} is not valid for ${key}`, undefined, `expected ${expected}`);
  const v = raw.trim();
  switch (def.kind) {
    case 'bool':
    case 'noop': {
      const l = v.toLowerCase();
      if (TRUE.has(l)) return true;
      if (FALSE.has(l)) return false;
      throw bad('a boolean (true/false, yes/no, on/off, 1/0)');
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(v)) throw bad('a whole number');
      const n = Number(v);
      if (key === 'forks' && n < 1) throw bad('a whole number >= 1');
      if (key === 'remote_port' && (n < 1 || n > 65535)) throw bad('a port number (1-65535)');
      if (n < 0) throw bad('a whole number >= 0');
      return n;
    }
    case 'path':
      return resolvePath(unquote(v), base, env, home, cwd);
    case 'pathlist':
      return v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => resolvePath(x, base, env, home, cwd));
    case 'pathspec':
      return v
        .split(':')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => resolvePath(x, base, env, home, cwd));
    default:
      return unquote(v);
  }
}

// ---- Loading.

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
}

export function loadConfig(o: LoadOptions = {}): DroverConfig {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const home = o.home ?? env.HOME ?? homedir();
  const { file, notes } = findConfigFile(env, cwd, home);
  let ini: Ini = new Map();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read ${file}: ${(e as Error).message}`);
    }
    ini = parseIni(text, file);
  }
  const used = new Set<string>();
  const settings = {} as Record<SettingKey, Setting>;
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const def: Def = SETTINGS[key];
    let setting: Setting | undefined;
    for (const name of def.env) {
      const raw = env[name];
      // Set but empty is unset (as drover always read ANSIBLE_VAULT_PASSWORD_FILE=).
      if (raw === undefined || raw === '') continue;
      setting ??= { key, value: convert(key, raw, `${name}`, cwd, env, home, cwd), origin: `env: ${name}` };
    }
    // Ansible reads every ini entry of a setting and keeps the last one found.
    for (const [section, k] of def.ini) {
      const e = ini.get(section)?.get(k);
      if (!e) continue;
      used.add(`${section}\0${k}`);
      if (setting?.origin.startsWith('env:')) continue;
      setting = { key, value: convert(key, e.value, `${file}:${e.line}: [${section}] ${k}`, dirname(file!), env, home, cwd), origin: file!, ini: `[${section}] ${k}` };
    }
    settings[key] = setting ?? { key, value: def.default, origin: 'default' };
  }
  if (settings.become_method.value !== 'sudo') {
    const s = settings.become_method;
    throw new InputError(`become_method = ${String(s.value)} (${s.origin}): drover supports sudo only`, undefined, 'remove the setting, or set it to sudo');
  }
  const unsupported: string[] = [];
  for (const [section, entries] of ini) {
    if (section === 'DEFAULT') continue;
    for (const k of entries.keys()) if (!used.has(`${section}\0${k}`) && !ini.get('DEFAULT')?.has(k)) unsupported.push(`[${section}] ${k}`);
  }
  const known = new Set<string>(Object.values(SETTINGS as Record<string, Def>).flatMap((d) => d.env));
  const envUnsupported = Object.keys(env)
    .filter((k) => k.startsWith('ANSIBLE_') && !known.has(k) && !ENV_UNDERSTOOD.has(k))
    .sort();
  const out: DroverConfig = {
    settings,
    unsupported: [...(unsupported.length ? [`${unsupported.join(', ')} (${file})`] : []), ...(envUnsupported.length ? [`${envUnsupported.join(', ')} (environment)`] : [])],
    notes,
  };
  if (file) out.file = file;
  return out;
}

/** The one warning about unsupported settings (undefined when there are none). */
export function unsupportedWarning(c: DroverConfig): string | undefined {
  if (!c.unsupported.length) return undefined;
  return `drover does not support these Ansible settings; they have no effect: ${c.unsupported.join('; ')}`;
}

let loaded: DroverConfig | undefined;
let warned = false;

/** The process's configuration (read once), its warnings written to stderr once. */
export function processConfig(): DroverConfig {
  loaded ??= loadConfig();
  if (!warned) {
    warned = true;
    const w = unsupportedWarning(loaded);
    for (const m of [...loaded.notes, ...(w ? [w] : [])]) process.stderr.write(`[WARNING]: ${m}\n`);
  }
  return loaded;
}

// ---- What a command gives the engine.

/** The flags of play/check/adhoc that settings can stand in for. */
export interface ConfigurableFlags {
  inventory?: string[];
  forks?: number;
  user?: string;
  become?: boolean;
  becomeUser?: string;
  askBecomePass?: boolean;
  askVaultPass?: boolean;
  sshConfig?: string;
}

/** Whether commander took `name` from the command line (not its default). */
export type FromCli = (name: keyof ConfigurableFlags) => boolean;

export interface RunDefaults {
  inventory: string[];
  forks: number;
  remoteUser?: string;
  rolesPath: string[];
  become: { become?: boolean; becomeUser?: string };
  askBecomePass: boolean;
  connection: ConnectionDefaults;
}

/**
 * Flags > ANSIBLE_* > ansible.cfg > defaults, for the options the engine
 * takes. No inventory anywhere is an input error.
 */
export function runDefaults(flags: ConfigurableFlags, fromCli: FromCli, c: DroverConfig = processConfig()): RunDefaults {
  const s = c.settings;
  const given = (k: SettingKey) => s[k].origin !== 'default';
  const inventory = flags.inventory?.length ? flags.inventory : ((s.inventory.value as string[] | undefined) ?? []);
  if (!inventory.length) {
    throw new InputError(`drover needs an inventory: -i FILE, or a host list such as -i 'web1,web2,'`, undefined, 'or set inventory in ansible.cfg [defaults], or ANSIBLE_INVENTORY');
  }
  const out: RunDefaults = {
    inventory,
    forks: fromCli('forks') || !given('forks') ? (flags.forks ?? (s.forks.value as number)) : (s.forks.value as number),
    rolesPath: (s.roles_path.value as string[] | undefined) ?? [],
    become: {},
    askBecomePass: Boolean(flags.askBecomePass) || s.become_ask_pass.value === true,
    connection: {},
  };
  const user = fromCli('user') ? flags.user : (s.remote_user.value as string | undefined);
  if (user !== undefined) out.remoteUser = user;
  if (fromCli('become') && flags.become) out.become.become = true;
  else if (given('become')) out.become.become = s.become.value as boolean;
  if (fromCli('becomeUser') && flags.becomeUser !== undefined) out.become.becomeUser = flags.becomeUser;
  else if (given('become_user')) out.become.becomeUser = s.become_user.value as string;
  const conn = out.connection;
  if (given('remote_port')) conn.port = s.remote_port.value as number;
  if (given('private_key_file')) conn.privateKeyFile = s.private_key_file.value as string;
  if (given('host_key_checking')) conn.hostKeyChecking = s.host_key_checking.value as boolean;
  if (given('timeout')) conn.timeoutS = s.timeout.value as number;
  if (given('retries')) conn.retries = s.retries.value as number;
  for (const [k, field] of [
    ['ssh_args', 'sshArgs'],
    ['ssh_common_args', 'sshCommonArgs'],
    ['ssh_extra_args', 'sshExtraArgs'],
  ] as const) {
    if (given(k) && s[k].value) conn[field] = { value: s[k].value as string, origin: `${k} (${s[k].origin})` };
  }
  if (flags.sshConfig !== undefined) conn.sshConfigFile = resolve(flags.sshConfig);
  return out;
}

/** vault_password_file / ask_vault_pass from the configuration (the environment variables are read by vault-options too). */
export function configVault(c: DroverConfig = processConfig()): { passwordFile?: string; askVaultPass: boolean } {
  const f = c.settings.vault_password_file.value as string | undefined;
  return { ...(f ? { passwordFile: f } : {}), askVaultPass: c.settings.ask_vault_pass.value === true };
}
