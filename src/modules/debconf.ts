/**
 * `debconf`: preseed a package's debconf answer before it is installed, so
 * a noninteractive install takes it. The current value is read from debconf's
 * own database files in one command (passwords.dat too, so a password answer
 * is compared, not re-set every run); it is set with debconf-set-selections,
 * the answer on stdin.
 */
import { z } from 'zod';
import { debconfValueFact } from '../facts/debconf.js';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  name: z.string().min(1).describe('Package the question belongs to (also the owner of a new question).'),
  question: z.string().regex(/^\S+$/, 'a debconf question has no spaces').describe('The debconf question, e.g. mysql-server/root_password.'),
  vtype: z.enum(['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title']).describe('The type of the answer, as debconf-set-selections takes it.'),
  value: z.union([z.string(), z.boolean(), z.number()]).transform((v) => (typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v))).describe('The answer.'),
  unseen: bool.default(false).describe('Do not mark the question seen (the package may still ask it).'),
});

export type DebconfArgs = z.infer<typeof schema>;

export const debconfModule: Module<DebconfArgs, { line: string }> = {
  name: 'debconf',
  doc: {
    short: "Preseed a Debian package's debconf answer before it is installed.",
    examples: `
- name: Answer the MariaDB root password question in advance
  debconf:
    name: mariadb-server
    question: mysql-server/root_password
    value: "{{ mariadb_root_password }}"
    vtype: password
  vars:
    mariadb_root_password: change-me
`,
  },
  schema,
  // Only a password's value is a secret: every answer masked would mask each "true"
  // (or "mysql") in the whole run's output. Ansible masks none without no_log.
  async plan(ctx, a) {
    if (a.vtype === 'password') ctx.secret(a.value);
    const current = (await ctx.fact(debconfValueFact, { question: a.question })) ?? undefined;
    const line = `${a.name} ${a.question} ${a.vtype} ${a.value}\n`;
    if (current === a.value) return { changes: [], result: { changed: false, current: { [a.question]: current } } };
    const shown = a.vtype === 'password' ? '(a password)' : JSON.stringify(a.value);
    return { changes: [{ summary: `debconf ${a.question}: ${current === undefined ? '(unset)' : a.vtype === 'password' ? '(another)' : JSON.stringify(current)} -> ${shown}` }], data: { line } };
  },
  async apply(ctx, a, plan) {
    const cmd = `debconf-set-selections${a.unseen ? ' -u' : ''}`;
    const r = await ctx.exec(cmd, { stdin: plan.data!.line });
    if (r.rc !== 0) throw new ModuleError(`debconf-set-selections failed (rc ${r.rc}): ${r.stderr.trim()}`, cmd, r.stderr, r.rc);
    return { changed: true };
  },
};

registerModule(debconfModule);
