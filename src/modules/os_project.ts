/**
 * `os_project` (openstack.cloud.project): a Keystone project, created or
 * updated only where it differs (description, enabled). Reads first, so check
 * mode predicts exactly what a run does.
 */
import { z } from 'zod';
import { bool } from './common/args.js';
import { commonArgs, identity, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Project name.'),
  domain_id: z.string().optional().describe('Domain name or id (default: the default domain).'),
  domain: z.string().optional().describe('Alias of domain_id.'),
  description: z.string().optional().describe('Project description.'),
  enabled: bool.default(true).describe('Whether the project is enabled.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the project exists (present) or is deleted (absent).'),
});

export type OsProjectArgs = z.infer<typeof schema> & CommonArgs;

interface Project {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
  enabled?: boolean;
}

interface Data {
  action: 'create' | 'update' | 'delete';
  domainId: string;
  project?: Project;
  body?: Record<string, unknown>;
}

/** Pure: the fields of an existing project that differ from the arguments. */
export function projectUpdates(p: Project, a: Pick<OsProjectArgs, 'description' | 'enabled'>): Record<string, unknown> {
  const u: Record<string, unknown> = {};
  if (a.description !== undefined && (p.description ?? '') !== a.description) u.description = a.description;
  if (p.enabled !== a.enabled) u.enabled = a.enabled;
  return u;
}

export const osProjectModule: Module<OsProjectArgs, Data> = {
  name: 'os_project',
  doc: {
    short: 'Create, update or delete a Keystone project (OpenStack).',
    examples: `
- name: The service project
  os_project:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: service
    domain: default
    description: Service Project
`,
  },
  aliases: ['openstack.cloud.project', 'openstack.cloud.os_project'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<Data>(ctx, a, `project ${a.name}`, async (c) => {
      const domainId = await identity.domainId(c, a.domain_id ?? a.domain);
      const p = await identity.findByName<Project>(c, 'projects', a.name, `&domain_id=${encodeURIComponent(domainId)}`);
      if (a.state === 'absent') {
        return p ? { changes: [{ summary: `delete project ${a.name}` }], data: { action: 'delete', domainId, project: p } } : { changes: [], result: { project: null } };
      }
      if (!p) {
        const body = { name: a.name, domain_id: domainId, enabled: a.enabled, ...(a.description !== undefined ? { description: a.description } : {}) };
        return { changes: [{ summary: `create project ${a.name}` }], data: { action: 'create', domainId, body } };
      }
      const u = projectUpdates(p, a);
      if (Object.keys(u).length === 0) return { changes: [], result: { project: p, id: p.id } };
      return { changes: [{ summary: `update project ${a.name}: ${Object.keys(u).join(', ')}` }], data: { action: 'update', domainId, project: p, body: u } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.action === 'delete') {
      await c.json('identity', 'DELETE', `/projects/${d.project!.id}`);
      return { changed: true, project: null };
    }
    const r = d.action === 'create'
      ? await c.json<{ project: Project }>('identity', 'POST', '/projects', { json: { project: d.body } })
      : await c.json<{ project: Project }>('identity', 'PATCH', `/projects/${d.project!.id}`, { json: { project: d.body } });
    return { changed: true, project: r.project, id: r.project.id };
  },
};

registerModule(osProjectModule);
