/**
 * `os_user_role` (openstack.cloud.role_assignment): grant a role to a user or
 * group on a project, a domain or the system. The grant is checked with
 * Keystone's HEAD on the assignment path (204: present, 404: absent).
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { commonArgs, identity, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z
  .strictObject({
    ...commonArgs,
    role: z.string().min(1).describe('The role granted.'),
    user: z.string().optional().describe('The user it is granted to (or group).'),
    group: z.string().optional().describe('The group it is granted to (or user).'),
    project: z.string().optional().describe('The project it is granted on.'),
    domain: z.string().optional().describe('With project: the domain of user and project; alone: the domain the role is granted on.'),
    system: z.string().optional().describe('"all": the role on the whole system.'),
    state: z.enum(['present', 'absent']).default('present').describe('Whether the grant exists (present) or is revoked (absent).'),
  })
  .superRefine((a, ctx) => {
    if (!a.user === !a.group) ctx.addIssue({ code: 'custom', message: 'give exactly one of user and group' });
    if (a.project && a.system) ctx.addIssue({ code: 'custom', message: 'project and system are mutually exclusive' });
    if (!a.project && !a.system && !a.domain) ctx.addIssue({ code: 'custom', message: 'give a target: project, domain or system' });
  });

export type OsUserRoleArgs = z.infer<typeof schema> & CommonArgs;

/** Pure: Keystone's assignment path for a target, actor and role. */
export function assignmentPath(t: { kind: 'projects' | 'domains' | 'system'; id?: string }, actor: { kind: 'users' | 'groups'; id: string }, roleId: string): string {
  const target = t.kind === 'system' ? '/system' : `/${t.kind}/${t.id}`;
  return `${target}/${actor.kind}/${actor.id}/roles/${roleId}`;
}

function describe(a: OsUserRoleArgs): string {
  const who = a.user ? `user ${a.user}` : `group ${a.group}`;
  const on = a.system ? `system ${a.system}` : a.project ? `project ${a.project}` : `domain ${a.domain}`;
  return `role ${a.role} for ${who} on ${on}`;
}

type Data = { path: string };
export const osUserRoleModule: Module<OsUserRoleArgs, Data> = {
  name: 'os_user_role',
  doc: {
    short: 'Grant a Keystone role to a user or group on a project, domain or the system (OpenStack).',
    examples: `
- name: Make glance an admin of the service project
  os_user_role:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    user: glance
    role: admin
    project: service
`,
  },
  aliases: ['openstack.cloud.role_assignment', 'openstack.cloud.os_user_role'],
  schema: schema as never,
  async plan(ctx, a) {
    const what = describe(a);
    return planWithClient<Data>(ctx, a, what, async (c) => {
      const domainId = await identity.domainId(c, a.domain);
      const inDomain = `&domain_id=${encodeURIComponent(domainId)}`;
      // The three lookups are independent: one curl process for them.
      await c.prefetch('identity', [
        identity.byNamePath('roles', a.role),
        a.user ? identity.byNamePath('users', a.user, inDomain) : identity.byNamePath('groups', a.group!, inDomain),
        ...(a.project ? [identity.byNamePath('projects', a.project, inDomain)] : []),
      ]);
      const role = await identity.findByName<{ id: string; name: string }>(c, 'roles', a.role);
      const actor = a.user
        ? await identity.findByName<{ id: string; name: string }>(c, 'users', a.user, inDomain)
        : await identity.findByName<{ id: string; name: string }>(c, 'groups', a.group!, inDomain);
      const project = a.project ? await identity.findByName<{ id: string; name: string }>(c, 'projects', a.project, inDomain) : undefined;
      const missing = [!role && `role ${a.role}`, !actor && (a.user ? `user ${a.user}` : `group ${a.group}`), a.project && !project && `project ${a.project}`].filter(Boolean);
      if (missing.length) {
        // In check mode they may be created by earlier tasks of the same run.
        if (ctx.check && a.state === 'present') return { changes: [{ summary: `grant ${what} (${missing.join(', ')} not there yet)` }] };
        if (a.state === 'absent') return { changes: [] };
        throw new ModuleError(`${what}: not found: ${missing.join(', ')}`);
      }
      const target = a.system ? { kind: 'system' as const } : project ? { kind: 'projects' as const, id: project.id } : { kind: 'domains' as const, id: domainId };
      const path = assignmentPath(target, { kind: a.user ? 'users' : 'groups', id: actor!.id }, role!.id);
      const res = await c.call('identity', 'HEAD', path);
      if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw new ModuleError(`HEAD ${path}: HTTP ${res.status}`);
      const present = res.status !== 404;
      if (present === (a.state === 'present')) return { changes: [] };
      return { changes: [{ summary: `${a.state === 'present' ? 'grant' : 'revoke'} ${what}` }], data: { path } };
    });
  },
  async apply(ctx, a, plan) {
    const c = await OsClient.connect(ctx, a);
    await c.json('identity', a.state === 'present' ? 'PUT' : 'DELETE', plan.data!.path);
    return { changed: true };
  },
};

registerModule(osUserRoleModule);
