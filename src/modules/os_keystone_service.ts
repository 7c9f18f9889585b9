/**
 * `os_keystone_service` (openstack.cloud.catalog_service): a service in the
 * Keystone catalog, found by name and type, updated where it differs.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z
  .strictObject({
    ...commonArgs,
    name: z.string().min(1).describe('Service name.'),
    service_type: z.string().optional().describe('e.g. identity, image, placement, compute, network.'),
    type: z.string().optional().describe('Alias of service_type.'),
    description: z.string().optional().describe('Service description.'),
    enabled: bool.default(true).describe('Whether the service is enabled.'),
    state: z.enum(['present', 'absent']).default('present').describe('Whether the service exists (present) or is deleted (absent).'),
  })
  .superRefine((a, ctx) => {
    if (!a.service_type && !a.type) ctx.addIssue({ code: 'custom', path: ['service_type'], message: 'service_type is required' });
  });

export type OsServiceArgs = z.infer<typeof schema> & CommonArgs;

export interface CatalogService {
  id: string;
  name: string;
  type: string;
  description?: string;
  enabled?: boolean;
}

/** Find a service by name (and type); shared with os_keystone_endpoint. */
/** The GET findService makes (for OsClient.prefetch). */
export const servicesPath = (type?: string): string => (type ? `/services?type=${encodeURIComponent(type)}` : '/services');

export async function findService(c: OsClient, name: string, type?: string): Promise<CatalogService | undefined> {
  const list = await c.json<{ services: CatalogService[] }>('identity', 'GET', servicesPath(type));
  let found = list.services.filter((s) => s.name === name || s.id === name);
  if (found.length > 1 && type) found = found.filter((s) => s.type === type);
  if (found.length > 1) throw new ModuleError(`${found.length} services are named ${name}: give an id`);
  return found[0];
}

interface Data {
  action: 'create' | 'update' | 'delete';
  service?: CatalogService;
  body?: Record<string, unknown>;
}

export const osKeystoneServiceModule: Module<OsServiceArgs, Data> = {
  name: 'os_keystone_service',
  doc: {
    short: 'Create or update a service in the Keystone catalog (OpenStack).',
    examples: `
- name: The image service
  os_keystone_service:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: glance
    service_type: image
    description: OpenStack Image
`,
  },
  aliases: ['os_service', 'openstack.cloud.catalog_service', 'openstack.cloud.os_keystone_service'],
  schema: schema as never,
  async plan(ctx, a) {
    const type = (a.service_type ?? a.type)!;
    return planWithClient<Data>(ctx, a, `service ${a.name}`, async (c) => {
      const s = await findService(c, a.name, type);
      if (a.state === 'absent') return s ? { changes: [{ summary: `delete service ${a.name}` }], data: { action: 'delete', service: s } } : { changes: [] };
      if (!s) {
        const body = { name: a.name, type, enabled: a.enabled, ...(a.description !== undefined ? { description: a.description } : {}) };
        return { changes: [{ summary: `create service ${a.name} (${type})` }], data: { action: 'create', body } };
      }
      const upd: Record<string, unknown> = {};
      if (s.type !== type) upd.type = type;
      if (a.description !== undefined && (s.description ?? '') !== a.description) upd.description = a.description;
      if ((s.enabled ?? true) !== a.enabled) upd.enabled = a.enabled;
      if (Object.keys(upd).length === 0) return { changes: [], result: { service: s, id: s.id } };
      return { changes: [{ summary: `update service ${a.name}: ${Object.keys(upd).join(', ')}` }], data: { action: 'update', service: s, body: upd } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.action === 'delete') {
      await c.json('identity', 'DELETE', `/services/${d.service!.id}`);
      return { changed: true };
    }
    const r = d.action === 'create'
      ? await c.json<{ service: CatalogService }>('identity', 'POST', '/services', { json: { service: d.body } })
      : await c.json<{ service: CatalogService }>('identity', 'PATCH', `/services/${d.service!.id}`, { json: { service: d.body } });
    return { changed: true, service: r.service, id: r.service.id };
  },
};

registerModule(osKeystoneServiceModule);
