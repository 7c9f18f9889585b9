/**
 * MariaDB/MySQL state through the `mysql` client on the target: the
 * databases' character sets, and one account (its authentication, grants,
 * and PASSWORD('wanted') computed by the server, so a password is compared
 * as a hash). SQL always travels on stdin; a login password too: the first
 * stdin line carries it, the shell's `read` takes it into a 0600 temp option
 * file (printf is a builtin, so it never shows in `ps`), mysql reads that
 * with --defaults-extra-file, and the file is removed on exit. Read on every
 * use: any `shell` task may change a database.
 */
import { InputError, ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';

export interface LoginArgs {
  login_user?: string;
  login_password?: string;
  login_host?: string;
  login_port: number;
  login_unix_socket: string;
  connect_timeout: number;
}

/** A SQL string literal. MariaDB's default sql_mode treats backslash as an escape. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A value for an option file: double-quoted, with \ and " escaped. */
export function optionFileValue(s: string): string {
  if (/[\n\r]/.test(s)) throw new InputError('mysql: a login password cannot contain a line break');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The shell command and stdin that run `sql` (pure). Output: batch mode, no column names. */
export function mysqlInvocation(l: LoginArgs, sql: string, opts: { force?: boolean } = {}): { command: string; stdin: string } {
  const args: string[] = [];
  if (l.login_user) args.push('-u', shq(l.login_user));
  if (l.login_host) args.push('--protocol=TCP', '-h', shq(l.login_host), '-P', String(l.login_port));
  else args.push('--protocol=SOCKET', '-S', shq(l.login_unix_socket));
  args.push(`--connect-timeout=${l.connect_timeout}`, '-N', '-B');
  if (opts.force) args.push('--force');
  if (l.login_password === undefined) return { command: `mysql ${args.join(' ')}`, stdin: sql };
  const command =
    `umask 077; f=$(mktemp) || exit 1; trap 'rm -f "$f"' EXIT; IFS= read -r pw; ` +
    `printf '[client]\\npassword=%s\\n' "$pw" > "$f"; pw=; ` +
    `mysql --defaults-extra-file="$f" ${args.join(' ')}`;
  return { command, stdin: `${optionFileValue(l.login_password)}\n${sql}` };
}

/** Is this failure "the server is not there (yet)" rather than a real error? */
export function serverMissing(rc: number, stderr: string): boolean {
  return rc === 127 || /command not found|Can't connect to local (MySQL|server)|ERROR 2002|ERROR 2003/.test(stderr);
}

/** Decode a batch-mode (-B) field: \t \n \\ \0 escapes. */
export function unescapeField(s: string): string {
  return s.replace(/\\([tn\\0])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\'));
}

/** Rows tagged by their first column: `SELECT 'X', …` → {X: [[…], …]}. */
export function taggedRows(stdout: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t').map(unescapeField);
    const tag = cols.shift()!;
    if (!out.has(tag)) out.set(tag, []);
    out.get(tag)!.push(cols);
  }
  return out;
}

/** The server is not there (yet): check mode may predict it is installed by an earlier task. */
export interface ServerMissing {
  server_missing: string;
}

// ---- databases

export interface DbState {
  charset: string;
  collation: string;
}

export function dbQuery(names: string[]): string {
  return `SELECT 'D', SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (${names.map(sqlString).join(', ')});\n`;
}

export interface DbParams {
  login: LoginArgs;
  names: string[];
}

/** `mysql.databases` (key: the names, comma-separated): the existing ones with their character set and collation. */
export const databasesFact: Fact<DbParams, { databases: Record<string, DbState> } | ServerMissing> = {
  name: 'mysql.databases',
  key: (p) => p.names.join(','),
  command: (p) => mysqlInvocation(p.login, dbQuery(p.names)).command,
  stdin: (p) => mysqlInvocation(p.login, dbQuery(p.names)).stdin,
  cached: false,
  parse(r, p) {
    if (r.rc !== 0) {
      const msg = `reading databases failed (rc ${r.rc}): ${r.stderr.trim()}`;
      if (serverMissing(r.rc, r.stderr)) return { server_missing: msg };
      throw new ModuleError(msg, mysqlInvocation(p.login, dbQuery(p.names)).command, r.stderr, r.rc);
    }
    const databases: Record<string, DbState> = {};
    for (const [n, cs, col] of taggedRows(r.stdout).get('D') ?? []) databases[n!] = { charset: cs!, collation: col! };
    return { databases };
  },
};

// ---- accounts

/** 'db.*' / `db`.* / `db`.`t` → db.* / db.t */
export function normTarget(t: string): string {
  return t
    .trim()
    .split('.')
    .map((p) => p.replace(/^`(.*)`$/, '$1').replace(/``/g, '`').replace(/\\_/g, '_'))
    .join('.');
}

export function normPriv(p: string): string {
  const u = p.trim().toUpperCase().replace(/\s+/g, ' ');
  return u === 'ALL' ? 'ALL PRIVILEGES' : u;
}

/** Parse SHOW GRANTS lines into target → privileges (GRANT = WITH GRANT OPTION). USAGE and PROXY are ignored. */
export function parseGrants(lines: string[]): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (\S+) TO .*?( WITH GRANT OPTION)?$/.exec(line.trim());
    if (!m || /^PROXY$/i.test(m[1]!)) continue;
    const target = normTarget(m[2]!);
    const set = out.get(target) ?? new Set<string>();
    for (const p of m[1]!.split(',').map(normPriv)) if (p !== 'USAGE') set.add(p);
    if (m[3]) set.add('GRANT');
    if (set.size) out.set(target, set);
  }
  return Object.fromEntries([...out].map(([t, s]) => [t, [...s]]));
}

export interface AccountState {
  exists: boolean;
  /** Native password hashes the account accepts. */
  nativeHashes: string[];
  unixSocket: boolean;
  /** Target (db.*) → privileges; GRANT = WITH GRANT OPTION. */
  grants: Record<string, string[]>;
  /** PASSWORD('wanted') as the server computes it. */
  wantedHash?: string;
}

/** Parse the authentication part of mysql.global_priv.Priv (JSON). */
export function parseAuth(privJson: string): { nativeHashes: string[]; unixSocket: boolean } {
  const p = JSON.parse(privJson) as { plugin?: string; authentication_string?: string; auth_or?: Array<{ plugin?: string; authentication_string?: string }> };
  const methods = [{ plugin: p.plugin, authentication_string: p.authentication_string }, ...(p.auth_or ?? []).filter((m) => m.plugin)];
  return {
    nativeHashes: methods.filter((m) => m.plugin === 'mysql_native_password' && m.authentication_string).map((m) => m.authentication_string!),
    unixSocket: methods.some((m) => m.plugin === 'unix_socket'),
  };
}

export function accountQuery(user: string, host: string, password: string | undefined): string {
  const who = `User = ${sqlString(user)} AND Host = ${sqlString(host)}`;
  return [
    `SELECT 'A', Priv FROM mysql.global_priv WHERE ${who};`,
    password !== undefined ? `SELECT 'H', PASSWORD(${sqlString(password)});` : '',
    // Last: it fails for a missing account (mysql --force goes on; the error is expected then).
    `SHOW GRANTS FOR ${sqlString(user)}@${sqlString(host)};`,
    '',
  ].filter((l, i, all) => l || i === all.length - 1).join('\n');
}

export function parseAccount(stdout: string): AccountState {
  const rows = taggedRows(stdout);
  const a = rows.get('A')?.[0]?.[0];
  const grants: string[] = [];
  for (const line of stdout.split('\n')) if (line.startsWith('GRANT ')) grants.push(line);
  const auth = a ? parseAuth(a) : { nativeHashes: [], unixSocket: false };
  const wantedHash = rows.get('H')?.[0]?.[0];
  return { exists: a !== undefined, ...auth, grants: parseGrants(grants), ...(wantedHash !== undefined ? { wantedHash } : {}) };
}

export interface AccountParams {
  login: LoginArgs;
  user: string;
  host: string;
  /** The wanted password: the server hashes it (it travels on stdin). */
  password?: string;
}

const accountInvocation = (p: AccountParams) => mysqlInvocation(p.login, accountQuery(p.user, p.host, p.password), { force: true });

/** `mysql.account` (key: user@host). */
export const accountFact: Fact<AccountParams, AccountState | ServerMissing> = {
  name: 'mysql.account',
  key: (p) => `${p.user}@${p.host}`,
  command: (p) => accountInvocation(p).command,
  stdin: (p) => accountInvocation(p).stdin,
  cached: false,
  parse(r, p) {
    if (r.rc === 0 || /ERROR 1141/.test(r.stderr)) return parseAccount(r.stdout);
    const msg = `reading account '${p.user}'@'${p.host}' failed (rc ${r.rc}): ${r.stderr.trim()}`;
    if (serverMissing(r.rc, r.stderr)) return { server_missing: msg };
    throw new ModuleError(msg, accountInvocation(p).command, r.stderr, r.rc);
  },
};
