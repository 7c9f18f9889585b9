import { z } from 'zod';
import { mysqlInvocation, type LoginArgs } from '../../facts/mysql.js';
import { ModuleError } from '../../util/errors.js';
import { num } from '../command-common.js';
import type { TaskContext } from '../types.js';

/**
 * What mysql_db and mysql_user share: the login arguments and running SQL
 * with the `mysql` client on the target (how it is invoked, the login
 * password kept out of argv: src/facts/mysql.ts, which reads their facts).
 */
export const loginArgs = {
  login_user: z.string().min(1).optional().describe('Default: the OS user (root through the unix socket).'),
  login_password: z.string().optional().describe('Password of login_user (given to the client in a 0600 temporary option file, never in argv).'),
  login_host: z.string().min(1).optional().describe('Connect over TCP to this host instead of the unix socket.'),
  login_port: num.int().min(1).max(65535).default(3306).describe('TCP port, with login_host.'),
  login_unix_socket: z.string().min(1).default('/run/mysqld/mysqld.sock').describe("The server's unix socket (used unless login_host is given)."),
  connect_timeout: num.int().min(1).default(30).describe('Seconds to wait for the connection.'),
  config_file: z.string().optional().describe('Accepted for compatibility; ignored (drover never reads ~/.my.cnf).'),
};

/** A SQL identifier in backticks. */
export function sqlIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

export async function runSql(ctx: TaskContext, l: LoginArgs, sql: string, what: string, opts: { force?: boolean } = {}) {
  const inv = mysqlInvocation(l, sql, opts);
  const r = await ctx.exec(inv.command, { stdin: inv.stdin });
  if (r.rc !== 0 && !opts.force) throw new ModuleError(`${what} failed (rc ${r.rc}): ${r.stderr.trim()}`, inv.command, r.stderr, r.rc);
  return r;
}
