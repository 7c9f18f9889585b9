import { z } from 'zod';
import { InputError, ModuleError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import { num } from '../command-common.js';
import type { TaskContext } from '../types.js';

/**
 * What mysql_db and mysql_user share: the login arguments and running SQL
 * with the `mysql` client on the target. SQL always travels on stdin. A
 * login password is never in argv or the environment: the first stdin line
 * carries it, the shell's `read` takes it into a 0600 temp option file
 * (printf is a shell builtin, so it never shows in `ps`), mysql reads that
 * with --defaults-extra-file, and the file is removed on exit.
 */
export const loginArgs = {
  login_user: z.string().min(1).optional().describe('Default: the OS user (root through the unix socket).'),
  login_password: z.string().optional(),
  login_host: z.string().min(1).optional().describe('Connect over TCP to this host instead of the unix socket.'),
  login_port: num.int().min(1).max(65535).default(3306),
  login_unix_socket: z.string().min(1).default('/run/mysqld/mysqld.sock'),
  connect_timeout: num.int().min(1).default(30),
  config_file: z.string().optional().describe('Accepted for compatibility; ignored (drover never reads ~/.my.cnf).'),
};

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

/** A SQL identifier in backticks. */
export function sqlIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
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

export async function runSql(ctx: TaskContext, l: LoginArgs, sql: string, what: string, opts: { force?: boolean } = {}) {
  const inv = mysqlInvocation(l, sql, opts);
  const r = await ctx.exec(inv.command, { stdin: inv.stdin });
  if (r.rc !== 0 && !opts.force) throw new ModuleError(`${what} failed (rc ${r.rc}): ${r.stderr.trim()}`, inv.command, r.stderr, r.rc);
  return r;
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
