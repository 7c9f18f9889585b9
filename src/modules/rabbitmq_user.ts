/**
 * `rabbitmq_user`: a RabbitMQ user with a password, tags and permissions on
 * one vhost, through `rabbitmqctl` on the target.
 *
 * One read (erl_call, or `rabbitmqctl eval`) gets the user, its permissions and its salted
 * password hash, which is checked against the wanted password on this machine
 * (the `rabbitmq.user` fact, src/facts/rabbitmq.ts), so a second run never
 * resets an unchanged password. Passwords never appear in argv: the read does
 * not send them at all; add_user and change_password get them on stdin.
 */
import { z } from 'zod';
import { rabbitUserFact, type RabbitUserState } from '../facts/rabbitmq.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { bool } from './common/args.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z
  .strictObject({
    user: z.string().min(1).optional().describe('User name (alias: name).'),
    name: z.string().min(1).optional(),
    password: z.string().optional().describe('The password (given to rabbitmqctl on stdin, never in argv).'),
    update_password: z
      .enum(['always', 'on_create'])
      .default('on_create')
      .describe("always: change it when it is not the current one; on_create (community.rabbitmq's default): only for a new user."),
    vhost: z.string().min(1).default('/').describe('The vhost the permissions apply to.'),
    configure_priv: z.string().default('^$').describe('Regular expression of the resources the user may configure on vhost.'),
    read_priv: z.string().default('^$').describe('Regular expression of the resources the user may read on vhost.'),
    write_priv: z.string().default('^$').describe('Regular expression of the resources the user may write on vhost.'),
    tags: z.union([z.string(), z.array(z.string())]).optional().describe('Comma-separated or a list; unset: tags untouched.'),
    state: z.enum(['present', 'absent']).default('present').describe('Whether the user exists (present) or is deleted (absent).'),
    force: bool.default(false).describe('Delete and re-create the user.'),
    node: z.string().optional().describe('rabbitmqctl -n NODE.'),
  })
  .superRefine((a, ctx) => {
    if ((a.user === undefined) === (a.name === undefined)) ctx.addIssue({ code: 'custom', message: 'exactly one of user or name is required' });
    if (a.password !== undefined && /[\n\r]/.test(a.password)) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password cannot contain a line break' });
  });

export type RabbitmqUserArgs = z.infer<typeof schema>;

export type RabbitStep =
  | { op: 'delete' }
  | { op: 'add' }
  | { op: 'password' }
  | { op: 'tags'; tags: string[] }
  | { op: 'perms' };

function wantTags(a: RabbitmqUserArgs): string[] | undefined {
  if (a.tags === undefined) return undefined;
  const list = Array.isArray(a.tags) ? a.tags : a.tags.split(',');
  return list.map((t) => t.trim()).filter(Boolean);
}

/** Pure: the steps to reach the wanted state. */
export function decideRabbit(a: RabbitmqUserArgs, s: RabbitUserState): { steps: RabbitStep[]; changes: Change[] } {
  const user = a.user ?? a.name!;
  const steps: RabbitStep[] = [];
  const changes: Change[] = [];
  if (a.state === 'absent') {
    if (s.exists) {
      steps.push({ op: 'delete' });
      changes.push({ summary: `delete user ${user}` });
    }
    return { steps, changes };
  }
  const fresh = !s.exists || a.force;
  if (s.exists && a.force) {
    steps.push({ op: 'delete' });
    changes.push({ summary: `delete user ${user} (force)` });
  }
  if (fresh) {
    steps.push({ op: 'add' });
    changes.push({ summary: `add user ${user}${a.password !== undefined ? ' with a password' : ''}` });
  } else if (a.password !== undefined && a.update_password === 'always' && s.passwordOk === false) {
    steps.push({ op: 'password' });
    changes.push({ summary: `${user}: change the password (the stored hash is not the wanted password's)` });
  }
  const tags = wantTags(a);
  const curTags = fresh ? [] : s.tags;
  if (tags !== undefined && [...tags].sort().join(',') !== [...curTags].sort().join(',')) {
    steps.push({ op: 'tags', tags });
    changes.push({ summary: `${user}: tags [${curTags.join(', ')}] -> [${tags.join(', ')}]` });
  }
  const want = { configure: a.configure_priv, write: a.write_priv, read: a.read_priv };
  const cur = fresh ? undefined : s.perms;
  if (!cur || cur.configure !== want.configure || cur.write !== want.write || cur.read !== want.read) {
    steps.push({ op: 'perms' });
    changes.push({
      summary: `${user}: permissions on vhost ${a.vhost}: ${cur ? `${cur.configure} ${cur.write} ${cur.read}` : '(none)'} -> ${want.configure} ${want.write} ${want.read} (configure write read)`,
    });
  }
  return { steps, changes };
}

export const rabbitmqUserModule: Module<RabbitmqUserArgs, { steps: RabbitStep[] }> = {
  name: 'rabbitmq_user',
  doc: {
    short: 'Create, update or remove a RabbitMQ user with password, tags and vhost permissions.',
    examples: `
- name: The OpenStack message queue user
  rabbitmq_user:
    user: openstack
    password: RABBIT_PASS
    vhost: /
    configure_priv: ".*"
    read_priv: ".*"
    write_priv: ".*"
`,
  },
  aliases: ['community.rabbitmq.rabbitmq_user'],
  schema,
  secretArgs: ['password'],
  async plan(ctx, a) {
    const user = a.user ?? a.name!;
    if (a.password !== undefined) ctx.secret(a.password);
    const withPw = a.password !== undefined && a.state === 'present';
    const state = await ctx.fact(rabbitUserFact, { user, vhost: a.vhost, node: a.node, ...(withPw ? { password: a.password } : {}) });
    if ('not_installed' in state) {
      // Check mode after a predicted change: an earlier task may install RabbitMQ (else the real run fails here, and so does this).
      if (!ctx.check || !ctx.earlierChangesPredicted) throw new ModuleError(state.not_installed);
      const d = decideRabbit(a, { exists: false, tags: [] });
      return { changes: d.changes.map((c) => ({ summary: `${c.summary} (RabbitMQ is not installed yet)` })), data: { steps: d.steps } };
    }
    const d = decideRabbit(a, state);
    return { changes: d.changes, data: { steps: d.steps }, result: { changed: false, user } };
  },
  async apply(ctx, a, plan) {
    const user = a.user ?? a.name!;
    const ctl = `rabbitmqctl${a.node ? ` -n ${shq(a.node)}` : ''} -q`;
    const u = shq(user);
    for (const step of plan.data!.steps) {
      let cmd: string;
      let stdin: string | undefined;
      switch (step.op) {
        case 'delete':
          cmd = `${ctl} delete_user ${u}`;
          break;
        case 'add':
          // No password: add with a random one, then clear it (password login off), as Ansible does.
          if (a.password === undefined) cmd = `head -c 24 /dev/urandom | base64 | ${ctl} add_user ${u} && ${ctl} clear_password ${u}`;
          else {
            cmd = `${ctl} add_user ${u}`;
            stdin = `${a.password}\n`;
          }
          break;
        case 'password':
          cmd = `${ctl} change_password ${u}`;
          stdin = `${a.password}\n`;
          break;
        case 'tags':
          cmd = `${ctl} set_user_tags ${u} ${step.tags.map(shq).join(' ')}`;
          break;
        case 'perms':
          cmd = `${ctl} set_permissions -p ${shq(a.vhost)} ${u} ${shq(a.configure_priv)} ${shq(a.write_priv)} ${shq(a.read_priv)}`;
          break;
      }
      const r = await ctx.exec(cmd, stdin !== undefined ? { stdin } : {});
      if (r.rc !== 0) throw new ModuleError(`rabbitmqctl ${step.op === 'perms' ? 'set_permissions' : step.op} for ${user} failed (rc ${r.rc}): ${(r.stderr || r.stdout).trim()}`, cmd, r.stderr, r.rc);
    }
    return { changed: true, user };
  },
};

registerModule(rabbitmqUserModule);
