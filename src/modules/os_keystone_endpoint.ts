/**
 * `os_keystone_endpoint` (openstack.cloud.endpoint): one endpoint of a catalog
 * service per interface and region; its URL is updated in place when it
 * differs (no delete + create, so the endpoint id stays).
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { findService, servicesPath } from './os_keystone_service.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  service: z.string().min(1).describe('Service name or id.'),
  endpoint_interface: z.enum(['public', 'internal', 'admin']).describe('Which interface of the service this endpoint is.'),
  url: z.string().min(1).describe("The endpoint's URL (updated in place when it differs)."),
  region: z.string().optional().describe('Region id, e.g. RegionOne.'),
  enabled: bool.default(true).describe('Whether the endpoint is enabled.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the endpoint exists (present) or is deleted (absent).'),
});

export type OsEndpointArgs = z.infer<typeof schema> & CommonArgs;

interface Endpoint {
  id: string;
  interface: string;
  url: string;
  region_id?: string | null;
  service_id: string;
  enabled?: boolean;
}

interface Data {
  action: 'create' | 'update' | 'delete';
  endpoint?: Endpoint;
  body?: Record<string, unknown>;
}

/** Pure: what differs between an endpoint and the arguments. */
export function endpointUpdates(e: Endpoint, a: Pick<OsEndpointArgs, 'url' | 'enabled'>): Record<string, unknown> {
  const u: Record<string, unknown> = {};
  if (e.url !== a.url) u.url = a.url;
  if ((e.enabled ?? true) !== a.enabled) u.enabled = a.enabled;
  return u;
}

export const osKeystoneEndpointModule: Module<OsEndpointArgs, Data> = {
  name: 'os_keystone_endpoint',
  doc: {
    short: 'Create or update a Keystone catalog endpoint of a service (OpenStack).',
    examples: `
- name: The public endpoint of the image service
  os_keystone_endpoint:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    service: glance
    endpoint_interface: public
    url: http://controller:9292
    region: RegionOne
`,
  },
  aliases: ['os_endpoint', 'openstack.cloud.endpoint', 'openstack.cloud.os_keystone_endpoint'],
  schema: schema as never,
  async plan(ctx, a) {
    const what = `${a.endpoint_interface} endpoint of ${a.service}`;
    return planWithClient<Data>(ctx, a, what, async (c) => {
      // Every endpoint, filtered here: both reads are known up front (one curl process), and
      // the items of a loop over the interfaces share that one read while none of them writes.
      const q = a.region ? `/endpoints?region_id=${encodeURIComponent(a.region)}` : '/endpoints';
      await c.prefetch('identity', [servicesPath(), q]);
      const s = await findService(c, a.service);
      if (!s) {
        if (a.state === 'absent') return { changes: [] };
        if (ctx.check) return { changes: [{ summary: `create ${what} at ${a.url} (service not there yet)` }] };
        throw new ModuleError(`${what}: service ${a.service} not found`);
      }
      const list = (await c.json<{ endpoints: Endpoint[] }>('identity', 'GET', q)).endpoints.filter(
        (e) => e.service_id === s.id && e.interface === a.endpoint_interface && (!a.region || e.region_id === a.region),
      );
      if (list.length > 1) throw new ModuleError(`${what}: ${list.length} endpoints match; remove the extra ones`);
      const e = list[0];
      if (a.state === 'absent') return e ? { changes: [{ summary: `delete ${what}` }], data: { action: 'delete', endpoint: e } } : { changes: [] };
      if (!e) {
        const body = { service_id: s.id, interface: a.endpoint_interface, url: a.url, enabled: a.enabled, ...(a.region ? { region_id: a.region } : {}) };
        return { changes: [{ summary: `create ${what} at ${a.url}` }], data: { action: 'create', body } };
      }
      const u = endpointUpdates(e, a);
      if (Object.keys(u).length === 0) return { changes: [], result: { endpoint: e, id: e.id } };
      return { changes: [{ summary: `update ${what}: ${u.url ? `url ${e.url} -> ${a.url}` : Object.keys(u).join(', ')}` }], data: { action: 'update', endpoint: e, body: u } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.action === 'delete') {
      await c.json('identity', 'DELETE', `/endpoints/${d.endpoint!.id}`);
      return { changed: true };
    }
    let body = d.body!;
    if (d.action === 'create' && !body.service_id) {
      const s = await findService(c, a.service);
      if (!s) throw new ModuleError(`service ${a.service} not found`);
      body = { ...body, service_id: s.id };
    }
    const r = d.action === 'create'
      ? await c.json<{ endpoint: Endpoint }>('identity', 'POST', '/endpoints', { json: { endpoint: body } })
      : await c.json<{ endpoint: Endpoint }>('identity', 'PATCH', `/endpoints/${d.endpoint!.id}`, { json: { endpoint: body } });
    return { changed: true, endpoint: r.endpoint, id: r.endpoint.id };
  },
};

registerModule(osKeystoneEndpointModule);
