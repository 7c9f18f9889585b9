/** `os_keystone_role` (openstack.cloud.identity_role): a Keystone role by name. */
import { z } from 'zod';
import { commonArgs, identity, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Role name.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the role exists (present) or is deleted (absent).'),
});

export type OsRoleArgs = z.infer<typeof schema> & CommonArgs;
interface Role {
  id: string;
  name: string;
}

export const osKeystoneRoleModule: Module<OsRoleArgs, { role?: Role }> = {
  name: 'os_keystone_role',
  doc: {
    short: 'Create or delete a Keystone role (OpenStack).',
    examples: `
- name: A role
  os_keystone_role:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: reader
`,
  },
  aliases: ['os_role', 'openstack.cloud.identity_role', 'openstack.cloud.os_keystone_role'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<{ role?: Role }>(ctx, a, `role ${a.name}`, async (c) => {
      const r = await identity.findByName<Role>(c, 'roles', a.name);
      if (a.state === 'present') return r ? { changes: [], result: { role: r, id: r.id } } : { changes: [{ summary: `create role ${a.name}` }], data: {} };
      return r ? { changes: [{ summary: `delete role ${a.name}` }], data: { role: r } } : { changes: [] };
    });
  },
  async apply(ctx, a, plan) {
    const c = await OsClient.connect(ctx, a);
    if (a.state === 'absent') {
      await c.json('identity', 'DELETE', `/roles/${plan.data!.role!.id}`);
      return { changed: true };
    }
    const r = await c.json<{ role: Role }>('identity', 'POST', '/roles', { json: { role: { name: a.name } } });
    return { changed: true, role: r.role, id: r.role.id };
  },
};

registerModule(osKeystoneRoleModule);
