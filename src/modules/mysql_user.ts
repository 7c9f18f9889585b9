/**
 * `mysql_user`: a MariaDB account with a password and privileges, through the
 * `mysql` client on the target (unix socket by default).
 *
 * One query reads the account (mysql.global_priv, MariaDB 10.4+), its grants,
 * and PASSWORD('wanted') computed by the server — so a password is compared
 * as a hash, never re-set when it already matches. The password travels only
 * on stdin; a login password only through a 0600 temp option file.
 *
 * Accounts that log in through unix_socket (Debian's root) keep that login
 * when a password is added: `IDENTIFIED VIA mysql_native_password USING
 * PASSWORD(…) OR unix_socket`, so `sudo mysql` and later runs still work.
 */
import { z } from 'zod';
import { InputError, ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { loginArgs, mysqlInvocation, runSql, serverMissing, sqlString, taggedRows } from './common/mysql.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z.strictObject({
  name: z.string().min(1).describe('Account user name.'),
  host: z.string().min(1).default('localhost').describe("Account host ('%' = any)."),
  password: z.string().optional(),
  update_password: z.enum(['always', 'on_create']).default('always'),
  priv: z
    .union([z.string(), z.record(z.string(), z.string())])
    .optional()
    .describe("'db.*:ALL/other.*:SELECT,INSERT' or {'db.*': 'ALL'}; GRANT adds WITH GRANT OPTION. Unset: privileges untouched."),
  append_privs: bool.default(false).describe('Add the privileges, never revoke others.'),
  state: z.enum(['present', 'absent']).default('present'),
  unix_socket: bool.optional().describe('Allow unix_socket login too. Unset: keep it when the account has it now.'),
  ...loginArgs,
});

export type MysqlUserArgs = z.infer<typeof schema>;

export type Privs = Map<string, Set<string>>;

const PRIV_NAMES = /^[A-Z][A-Z ]*$/;

/** 'db.*' / `db`.* / `db`.`t` → db.* / db.t */
export function normTarget(t: string): string {
  return t
    .trim()
    .split('.')
    .map((p) => p.replace(/^`(.*)`$/, '$1').replace(/``/g, '`').replace(/\\_/g, '_'))
    .join('.');
}

function normPriv(p: string): string {
  const u = p.trim().toUpperCase().replace(/\s+/g, ' ');
  return u === 'ALL' ? 'ALL PRIVILEGES' : u;
}

/** Parse Ansible's priv syntax. */
export function parsePrivs(priv: string | Record<string, string>): Privs {
  const out: Privs = new Map();
  const entries = typeof priv === 'string' ? priv.split('/').filter((x) => x.trim()).map((e) => {
    const i = e.lastIndexOf(':');
    if (i < 0) throw new InputError(`mysql_user: priv entry ${JSON.stringify(e)} must look like db.table:PRIV1,PRIV2`);
    return [e.slice(0, i), e.slice(i + 1)] as const;
  }) : Object.entries(priv);
  for (const [target, list] of entries) {
    if (!/^[^.]+\.[^.]+$/.test(target.trim())) throw new InputError(`mysql_user: ${JSON.stringify(target)} is not db.table (use db.* or *.*)`);
    const set = new Set<string>();
    for (const p of list.split(',').map(normPriv).filter(Boolean)) {
      if (!PRIV_NAMES.test(p)) throw new InputError(`mysql_user: ${JSON.stringify(p)} is not a privilege name`);
      set.add(p);
    }
    out.set(normTarget(target), set);
  }
  return out;
}

/** Parse SHOW GRANTS lines into target → privileges (GRANT = WITH GRANT OPTION). USAGE and PROXY are ignored. */
export function parseGrants(lines: string[]): Privs {
  const out: Privs = new Map();
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (\S+) TO .*?( WITH GRANT OPTION)?$/.exec(line.trim());
    if (!m || /^PROXY$/i.test(m[1]!)) continue;
    const target = normTarget(m[2]!);
    const set = out.get(target) ?? new Set<string>();
    for (const p of m[1]!.split(',').map(normPriv)) if (p !== 'USAGE') set.add(p);
    if (m[3]) set.add('GRANT');
    if (set.size) out.set(target, set);
  }
  return out;
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

export interface AccountState {
  exists: boolean;
  /** Native password hashes the account accepts. */
  nativeHashes: string[];
  unixSocket: boolean;
  grants: Privs;
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
  return { exists: a !== undefined, ...auth, grants: parseGrants(grants), wantedHash: rows.get('H')?.[0]?.[0] };
}

function authClause(password: string | undefined, socket: boolean): string {
  if (password === undefined) return socket ? ' IDENTIFIED VIA unix_socket' : '';
  return ` IDENTIFIED VIA mysql_native_password USING PASSWORD(${sqlString(password)})${socket ? ' OR unix_socket' : ''}`;
}

function privList(s: Set<string>): { list: string; grantOption: boolean } {
  const ps = [...s].filter((p) => p !== 'GRANT');
  return { list: ps.length ? ps.join(', ') : 'USAGE', grantOption: s.has('GRANT') };
}

function targetSql(t: string): string {
  return t
    .split('.')
    .map((p) => (p === '*' ? '*' : '`' + p.replace(/`/g, '``') + '`'))
    .join('.');
}

/** Pure: the SQL (with the password in it — it goes on stdin) and the change summaries (without). */
export function decideUser(a: MysqlUserArgs, s: AccountState): { sql: string[]; changes: Change[] } {
  const sql: string[] = [];
  const changes: Change[] = [];
  const acct = `${sqlString(a.name)}@${sqlString(a.host)}`;
  const label = `'${a.name}'@'${a.host}'`;
  if (a.state === 'absent') {
    if (s.exists) {
      sql.push(`DROP USER ${acct};`);
      changes.push({ summary: `drop user ${label}` });
    }
    return { sql, changes };
  }
  const socket = a.unix_socket ?? s.unixSocket;
  if (!s.exists) {
    sql.push(`CREATE USER ${acct}${authClause(a.password, socket)};`);
    changes.push({ summary: `create user ${label}${a.password !== undefined ? ' with a password' : ''}${socket ? ' (unix_socket login too)' : ''}` });
  } else if (a.password !== undefined && a.update_password === 'always') {
    const matches = s.wantedHash !== undefined && s.nativeHashes.includes(s.wantedHash);
    if (!matches || socket !== s.unixSocket) {
      sql.push(`ALTER USER ${acct}${authClause(a.password, socket)};`);
      changes.push({ summary: `${label}: ${!matches ? 'set the password' : ''}${!matches && socket !== s.unixSocket ? ', ' : ''}${socket !== s.unixSocket ? (socket ? 'allow unix_socket login' : 'drop unix_socket login') : ''}` });
    }
  } else if (a.unix_socket !== undefined && a.unix_socket !== s.unixSocket && a.password === undefined) {
    throw new InputError(`mysql_user: changing unix_socket login of an existing account needs its password`);
  }
  if (a.priv !== undefined) {
    const want = parsePrivs(a.priv);
    const have = s.exists ? s.grants : new Map<string, Set<string>>();
    for (const [t, ps] of want) {
      const cur = have.get(t) ?? new Set<string>();
      const target = targetSql(t);
      if (a.append_privs) {
        const missing = new Set([...ps].filter((p) => !cur.has(p) && !(p !== 'GRANT' && cur.has('ALL PRIVILEGES'))));
        if (missing.size) {
          const { list, grantOption } = privList(missing);
          if (list !== 'USAGE' || grantOption) sql.push(`GRANT ${list} ON ${target} TO ${acct}${grantOption ? ' WITH GRANT OPTION' : ''};`);
          changes.push({ summary: `${label}: grant ${[...missing].join(', ')} on ${t}` });
        }
        continue;
      }
      if (sameSet(ps, cur)) continue;
      if ([...cur].some((p) => p !== 'GRANT')) sql.push(`REVOKE ALL PRIVILEGES ON ${target} FROM ${acct};`);
      if (cur.has('GRANT')) sql.push(`REVOKE GRANT OPTION ON ${target} FROM ${acct};`);
      const { list, grantOption } = privList(ps);
      sql.push(`GRANT ${list} ON ${target} TO ${acct}${grantOption ? ' WITH GRANT OPTION' : ''};`);
      changes.push({ summary: `${label}: privileges on ${t}: ${cur.size ? [...cur].join(', ') : '(none)'} -> ${[...ps].join(', ')}` });
    }
    if (!a.append_privs) {
      for (const [t, cur] of have) {
        if (want.has(t)) continue;
        const target = targetSql(t);
        if ([...cur].some((p) => p !== 'GRANT')) sql.push(`REVOKE ALL PRIVILEGES ON ${target} FROM ${acct};`);
        if (cur.has('GRANT')) sql.push(`REVOKE GRANT OPTION ON ${target} FROM ${acct};`);
        changes.push({ summary: `${label}: revoke ${[...cur].join(', ')} on ${t}` });
      }
    }
  }
  return { sql, changes };
}

export const mysqlUserModule: Module<MysqlUserArgs, { sql: string[] }> = {
  name: 'mysql_user',
  aliases: ['community.mysql.mysql_user'],
  schema,
  secretArgs: ['password', 'login_password'],
  async plan(ctx, a) {
    if (a.password !== undefined) ctx.secret(a.password);
    if (a.login_password !== undefined) ctx.secret(a.login_password);
    if (a.priv !== undefined) parsePrivs(a.priv); // bad syntax: an input error before anything runs
    const inv = mysqlInvocation(a, accountQuery(a.name, a.host, a.password), { force: true });
    const r = await ctx.exec(inv.command, { stdin: inv.stdin });
    const state = r.rc === 0 || /ERROR 1141/.test(r.stderr) ? parseAccount(r.stdout) : undefined;
    if (!state) {
      if (ctx.check && serverMissing(r.rc, r.stderr)) {
        const d = decideUser(a, { exists: false, nativeHashes: [], unixSocket: false, grants: new Map() });
        return { changes: d.changes.map((c) => ({ summary: `${c.summary} (the database server is not there yet)` })), data: { sql: d.sql } };
      }
      throw new ModuleError(`reading account '${a.name}'@'${a.host}' failed (rc ${r.rc}): ${r.stderr.trim()}`, inv.command, r.stderr, r.rc);
    }
    const d = decideUser(a, state);
    return { changes: d.changes, data: { sql: d.sql }, result: { changed: false, user: a.name } };
  },
  async apply(ctx, a, plan) {
    await runSql(ctx, a, plan.data!.sql.join('\n') + '\n', `mysql_user '${a.name}'@'${a.host}'`);
    return { changed: true, user: a.name, msg: plan.changes.map((c) => c.summary).join('; ') };
  },
};

registerModule(mysqlUserModule);
