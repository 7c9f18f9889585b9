/**
 * `mysql_db`: a MariaDB/MySQL database present (with encoding/collation) or
 * absent, through the `mysql` client on the target (the unix socket by
 * default). One query reads the databases' current character sets. An
 * existing database whose explicitly given encoding/collation differs is
 * ALTERed (Ansible leaves it; drover says so and fixes it).
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { databasesFact, type DbState } from '../facts/mysql.js';
import { own } from '../facts/fact.js';
import { loginArgs, runSql, sqlIdent } from './common/mysql.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z.strictObject({
  name: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Database name(s).'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the database exists (present) or is dropped (absent).'),
  encoding: z.string().regex(/^[A-Za-z0-9_]*$/).default('').describe("Character set of the database (empty: the server's default); an existing database with another one is altered."),
  collation: z.string().regex(/^[A-Za-z0-9_]*$/).default('').describe("Collation of the database (empty: the server's default); an existing database with another one is altered."),
  ...loginArgs,
});

export type MysqlDbArgs = z.infer<typeof schema>;

/** MariaDB 10.6+ reports utf8 as utf8mb3. */
export function normCharset(s: string): string {
  return s.toLowerCase().replace(/^utf8(?!mb)/, 'utf8mb3');
}

/** Pure: the statements for the wanted state. */
export function decideDbs(a: Pick<MysqlDbArgs, 'state' | 'encoding' | 'collation'>, names: string[], have: Readonly<Record<string, DbState>>): { sql: string[]; changes: Change[] } {
  const sql: string[] = [];
  const changes: Change[] = [];
  const spec = `${a.encoding ? ` CHARACTER SET ${a.encoding}` : ''}${a.collation ? ` COLLATE ${a.collation}` : ''}`;
  for (const n of names) {
    const cur = own(have, n);
    if (a.state === 'absent') {
      if (cur) {
        sql.push(`DROP DATABASE ${sqlIdent(n)};`);
        changes.push({ summary: `drop database ${n}` });
      }
      continue;
    }
    if (!cur) {
      sql.push(`CREATE DATABASE ${sqlIdent(n)}${spec};`);
      changes.push({ summary: `create database ${n}${spec.toLowerCase()}` });
      continue;
    }
    const encOff = a.encoding && normCharset(a.encoding) !== normCharset(cur.charset);
    const colOff = a.collation && normCharset(a.collation) !== normCharset(cur.collation);
    if (encOff || colOff) {
      sql.push(`ALTER DATABASE ${sqlIdent(n)}${spec};`);
      changes.push({ summary: `database ${n}: ${cur.charset}/${cur.collation} ->${spec.toLowerCase()}` });
    }
  }
  return { sql, changes };
}

export const mysqlDbModule: Module<MysqlDbArgs, { sql: string[] }> = {
  name: 'mysql_db',
  doc: {
    short: 'Create or drop a MariaDB/MySQL database (through the mysql client on the host).',
    examples: `
- name: A database with its character set
  mysql_db:
    name: keystone
    encoding: utf8mb4
    collation: utf8mb4_general_ci
    state: present
    login_unix_socket: /run/mysqld/mysqld.sock
`,
  },
  aliases: ['community.mysql.mysql_db'],
  schema,
  secretArgs: ['login_password'],
  async plan(ctx, a) {
    if (a.login_password !== undefined) ctx.secret(a.login_password);
    const names = Array.isArray(a.name) ? a.name : [a.name];
    const f = await ctx.fact(databasesFact, { login: a, names });
    if ('server_missing' in f) {
      // Check mode after a predicted change: an earlier task may install the server (else the real run fails here, and so does this).
      if (!ctx.check || !ctx.earlierChangesPredicted) throw new ModuleError(f.server_missing);
      const d = decideDbs(a, names, {});
      return { changes: d.changes.map((c) => ({ summary: `${c.summary} (the database server is not there yet)` })), data: { sql: d.sql } };
    }
    const have = f.databases;
    const d = decideDbs(a, names, have);
    return { changes: d.changes, data: { sql: d.sql }, result: { changed: false, db: a.name, db_list: names } };
  },
  async apply(ctx, a, plan) {
    await runSql(ctx, a, plan.data!.sql.join('\n') + '\n', `mysql_db ${Array.isArray(a.name) ? a.name.join(',') : a.name}`);
    return { changed: true, db: a.name, executed_commands: plan.data!.sql };
  },
};

registerModule(mysqlDbModule);
