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
import { accountFact, normPriv, normTarget, sqlString, type AccountState } from '../facts/mysql.js';
import { loginArgs, runSql } from './common/mysql.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z.strictObject({
  name: z.string().min(1).describe('Account user name.'),
  host: z.string().min(1).default('localhost').describe("Account host ('%' = any)."),
  password: z.string().optional().describe("The account's password: compared as a hash the server computes, set only when it differs (sent on stdin)."),
  update_password: z.enum(['always', 'on_create']).default('always').describe('always: set the password when it differs; on_create: only for a new account.'),
  priv: z
    .union([z.string(), z.record(z.string(), z.string())])
    .optional()
    .describe("'db.*:ALL/other.*:SELECT,INSERT' or {'db.*': 'ALL'}; GRANT adds WITH GRANT OPTION. Unset: privileges untouched."),
  append_privs: bool.default(false).describe('Add the privileges, never revoke others.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the account exists (present) or is dropped (absent).'),
  unix_socket: bool.optional().describe('Allow unix_socket login too. Unset: keep it when the account has it now.'),
  ...loginArgs,
});

export type MysqlUserArgs = z.infer<typeof schema>;

export type Privs = Map<string, Set<string>>;

const PRIV_NAMES = /^[A-Z][A-Z ]*$/;

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

/** An account's grants (as the fact gives them) as privilege sets. */
export function grantsAsPrivs(grants: Readonly<Record<string, string[]>>): Privs {
  return new Map(Object.entries(grants).map(([t, ps]) => [t, new Set(ps)]));
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

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
    const have = s.exists ? grantsAsPrivs(s.grants) : new Map<string, Set<string>>();
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
  doc: {
    short: 'Create, update or remove a MariaDB/MySQL account with its password and privileges.',
    examples: `
- name: An account with all privileges on one database
  mysql_user:
    name: keystone
    host: "%"
    password: "{{ keystone_db_password }}"
    priv: "keystone.*:ALL"
    state: present
  vars:
    keystone_db_password: change-me
`,
  },
  aliases: ['community.mysql.mysql_user'],
  schema,
  secretArgs: ['password', 'login_password'],
  async plan(ctx, a) {
    if (a.password !== undefined) ctx.secret(a.password);
    if (a.login_password !== undefined) ctx.secret(a.login_password);
    if (a.priv !== undefined) parsePrivs(a.priv); // bad syntax: an input error before anything runs
    const state = await ctx.fact(accountFact, { login: a, user: a.name, host: a.host, password: a.password });
    if ('server_missing' in state) {
      // Check mode after a predicted change: an earlier task may install the server (else the real run fails here, and so does this).
      if (!ctx.check || !ctx.earlierChangesPredicted) throw new ModuleError(state.server_missing);
      const d = decideUser(a, { exists: false, nativeHashes: [], unixSocket: false, grants: {} });
      return { changes: d.changes.map((c) => ({ summary: `${c.summary} (the database server is not there yet)` })), data: { sql: d.sql } };
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
