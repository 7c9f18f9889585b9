/**
 * `os_user` (openstack.cloud.identity_user): a Keystone user. Whether the
 * password still matches is READ by authenticating as the user (unscoped),
 * so `update_password: always` changes nothing on a second run and check mode
 * can tell; `on_create` never touches an existing user's password. A user
 * that is and stays disabled cannot authenticate: its password is left alone
 * (said at -v); one being enabled gets the password with it.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { authBody, commonArgs, httpRequest, identity, identityBase, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module, TaskContext } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('User name.'),
  password: z.string().optional().describe('The password: set for a new user, and (update_password: always) whenever it no longer authenticates.'),
  update_password: z
    .enum(['always', 'on_create'])
    .default('on_create')
    .describe("always: reset a password that does not authenticate; on_create (the collection's default): never touch an existing user's."),
  domain: z.string().optional().describe('Domain name or id of the user (default: default).'),
  default_project: z.string().optional().describe('Default project name or id (looked up in the same domain).'),
  email: z.string().optional().describe('Email address.'),
  description: z.string().optional().describe('User description.'),
  enabled: bool.default(true).describe('Whether the user is enabled.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the user exists (present) or is deleted (absent).'),
});

export type OsUserArgs = z.infer<typeof schema> & CommonArgs;

interface User {
  id: string;
  name: string;
  domain_id: string;
  enabled?: boolean;
  email?: string;
  description?: string;
  default_project_id?: string;
}

interface Data {
  action: 'create' | 'update' | 'delete';
  user?: User;
  body?: Record<string, unknown>;
}

/** Pure: the fields of an existing user that differ (password decided separately). */
export function userUpdates(u: User, a: Pick<OsUserArgs, 'email' | 'description' | 'enabled'>, defaultProjectId?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.email !== undefined && (u.email ?? '') !== a.email) out.email = a.email;
  if (a.description !== undefined && (u.description ?? '') !== a.description) out.description = a.description;
  if (u.enabled !== a.enabled) out.enabled = a.enabled;
  if (defaultProjectId !== undefined && u.default_project_id !== defaultProjectId) out.default_project_id = defaultProjectId;
  return out;
}

/** Does this password authenticate the user? (an unscoped token request; the token is thrown away) */
async function passwordWorks(ctx: TaskContext, a: OsUserArgs, domainId: string): Promise<boolean> {
  const body = authBody({ auth_url: a.auth.auth_url, username: a.name, password: a.password!, user_domain_name: 'unused' }) as {
    auth: { identity: { password: { user: Record<string, unknown> } } };
  };
  body.auth.identity.password.user.domain = { id: domainId };
  const res = await httpRequest(ctx, { method: 'POST', url: `${identityBase(a.auth.auth_url)}/auth/tokens`, json: body });
  if (res.headers['x-subject-token']) ctx.secret(res.headers['x-subject-token']);
  return res.status === 201;
}

export const osUserModule: Module<OsUserArgs, Data> = {
  name: 'os_user',
  doc: {
    short: 'Create, update or delete a Keystone user (OpenStack).',
    examples: `
- name: The glance service user
  os_user:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: glance
    password: GLANCE_PASS
    domain: default
`,
  },
  aliases: ['openstack.cloud.identity_user', 'openstack.cloud.os_user'],
  schema: schema as never,
  secretArgs: ['password'],
  async plan(ctx, a) {
    if (a.password) ctx.secret(a.password);
    return planWithClient<Data>(ctx, a, `user ${a.name}`, async (c) => {
      const domainId = await identity.domainId(c, a.domain);
      const inDomain = `&domain_id=${encodeURIComponent(domainId)}`;
      if (a.default_project) await c.prefetch('identity', [identity.byNamePath('users', a.name, inDomain), identity.byNamePath('projects', a.default_project, inDomain)]);
      const u = await identity.findByName<User>(c, 'users', a.name, inDomain);
      if (a.state === 'absent') return u ? { changes: [{ summary: `delete user ${a.name}` }], data: { action: 'delete', user: u } } : { changes: [] };
      let projectId: string | undefined;
      if (a.default_project) {
        const p = await identity.findByName<{ id: string; name: string }>(c, 'projects', a.default_project, inDomain);
        // A project created earlier in the same check run does not exist yet: it will be looked up again on apply.
        projectId = p?.id ?? (ctx.check ? 'to-be-created' : undefined);
        if (!projectId) throw new Error(`default_project ${a.default_project} not found`);
      }
      if (!u) {
        const body: Record<string, unknown> = { name: a.name, domain_id: domainId, enabled: a.enabled };
        if (a.password) body.password = a.password;
        if (a.email !== undefined) body.email = a.email;
        if (a.description !== undefined) body.description = a.description;
        if (projectId) body.default_project_id = projectId;
        return { changes: [{ summary: `create user ${a.name}` }], data: { action: 'create', body } };
      }
      // As the collection does: `always` needs a password to hold the user to.
      if (a.update_password === 'always' && !a.password) throw new ModuleError('update_password is always but a password value is missing');
      const upd = userUpdates(u, a, projectId);
      const changes = Object.keys(upd).map((k) => ({ summary: `user ${a.name}: set ${k}` }));
      if (a.password && a.update_password === 'always') {
        if (u.enabled !== false) {
          if (!(await passwordWorks(ctx, a, domainId))) {
            upd.password = a.password;
            changes.push({ summary: `user ${a.name}: set password` });
          }
        } else if (a.enabled) {
          // A disabled user cannot authenticate, so its password cannot be checked; the task enables it anyway.
          upd.password = a.password;
          changes.push({ summary: `user ${a.name}: set password (not checked: the user was disabled)` });
        } else {
          // Setting it on every run would report a change on every run.
          ctx.log(`user ${a.name} is disabled: its password cannot be checked (a disabled user cannot authenticate) and is left as it is`);
        }
      }
      if (changes.length === 0) return { changes: [], result: { user: u, id: u.id } };
      return { changes, data: { action: 'update', user: u, body: upd } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.action === 'delete') {
      await c.json('identity', 'DELETE', `/users/${d.user!.id}`);
      return { changed: true };
    }
    const r = d.action === 'create'
      ? await c.json<{ user: User }>('identity', 'POST', '/users', { json: { user: d.body } })
      : await c.json<{ user: User }>('identity', 'PATCH', `/users/${d.user!.id}`, { json: { user: d.body } });
    return { changed: true, user: r.user, id: r.user.id };
  },
};

registerModule(osUserModule);
