/**
 * `os_router` (openstack.cloud.router): a Neutron router with its external
 * gateway (`network`) and its interfaces on subnets. When `interfaces` is
 * given it is the whole set, as in Ansible: missing ones are added, others
 * removed. Reads first, so check mode predicts exactly what a run does.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { findNeutron, projectId, type NeutronObject } from './common/neutron-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const interfaceSchema = z.union([z.string().min(1), z.strictObject({ subnet: z.string().min(1), net: z.string().optional() })]);

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Router name.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the router exists (present) or is deleted (absent).'),
  admin_state_up: bool.optional().describe('Administrative state (default on create: up).'),
  network: z.string().optional().describe('External network (name or id) of the gateway.'),
  enable_snat: bool.optional().describe('Source NAT on the gateway (Neutron\'s default: on).'),
  interfaces: z.array(interfaceSchema).optional().describe('Subnets (names or ids, or {subnet: …}) the router has an interface on: the whole set.'),
  project: z.string().optional().describe('Project (name or id) the router belongs to (default: the token\'s).'),
});

export type OsRouterArgs = z.infer<typeof schema> & CommonArgs;

interface Router extends NeutronObject {
  admin_state_up?: boolean;
  external_gateway_info?: { network_id: string; enable_snat?: boolean } | null;
}

interface Port extends NeutronObject {
  device_owner?: string;
  fixed_ips?: Array<{ subnet_id: string; ip_address: string }>;
}

interface Data {
  router?: Router;
  create?: Record<string, unknown>;
  update?: Record<string, unknown>;
  addSubnets: string[];
  removeSubnets: string[];
  delete?: boolean;
}

/** Pure: subnet ids of a router's interface ports (not its gateway port). */
export function interfaceSubnets(ports: Port[]): string[] {
  return ports.filter((p) => (p.device_owner ?? '').startsWith('network:router_interface')).flatMap((p) => (p.fixed_ips ?? []).map((f) => f.subnet_id));
}

/** Pure: the gateway as Neutron takes it, when one is asked for. */
export function gatewayInfo(networkId: string | undefined, enableSnat: boolean | undefined): Router['external_gateway_info'] | undefined {
  if (networkId === undefined) return undefined;
  return { network_id: networkId, ...(enableSnat === undefined ? {} : { enable_snat: enableSnat }) };
}

/** Pure: whether the router's gateway differs from the one asked for. */
export function gatewayDiffers(r: Router, want: NonNullable<Router['external_gateway_info']>): boolean {
  const have = r.external_gateway_info;
  return !have || have.network_id !== want.network_id || (want.enable_snat !== undefined && have.enable_snat !== want.enable_snat);
}

export const osRouterModule: Module<OsRouterArgs, Data> = {
  name: 'os_router',
  doc: {
    short: 'Create, update or delete a Neutron router, its gateway and interfaces (OpenStack).',
    examples: `
- name: The demo project's router to the provider network
  os_router:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: demo-router
    project: demo
    network: provider
    interfaces: [demo-subnet]
`,
  },
  aliases: ['openstack.cloud.router', 'openstack.cloud.os_router'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<Data>(ctx, a, `router ${a.name}`, async (c) => {
      const project = await projectId(c, a.project);
      const r = await findNeutron<Router>(c, 'routers', a.name, project);
      if (a.state === 'absent') {
        if (!r) return { changes: [], result: { router: null } };
        const subnets = interfaceSubnets((await c.json<{ ports: Port[] }>('network', 'GET', `/v2.0/ports?device_id=${r.id}`)).ports);
        return { changes: [{ summary: `delete router ${a.name}` }], data: { router: r, delete: true, addSubnets: [], removeSubnets: subnets } };
      }
      // Names resolved now; in check mode a network or subnet may come from an earlier task of the same run.
      const resolve = async (collection: string, nameOrId: string, what: string) => {
        const o = await findNeutron(c, collection, nameOrId);
        if (!o && !ctx.check) throw new ModuleError(`${what} ${nameOrId} not found`);
        return o?.id ?? nameOrId;
      };
      const gw = gatewayInfo(a.network === undefined ? undefined : await resolve('networks', a.network, 'network'), a.enable_snat);
      if (!gw && a.enable_snat !== undefined) throw new ModuleError('enable_snat needs network (the gateway)');
      const wanted = a.interfaces === undefined ? undefined : await Promise.all(a.interfaces.map((i) => resolve('subnets', typeof i === 'string' ? i : i.subnet, 'subnet')));
      const changes = [];
      const data: Data = { router: r, addSubnets: [], removeSubnets: [] };
      let have: string[] = [];
      if (!r) {
        data.create = { name: a.name, ...(a.admin_state_up === undefined ? {} : { admin_state_up: a.admin_state_up }), ...(gw ? { external_gateway_info: gw } : {}), ...(project ? { project_id: project } : {}) };
        changes.push({ summary: `create router ${a.name}${gw ? ` with its gateway on ${a.network}` : ''}` });
      } else {
        have = interfaceSubnets((await c.json<{ ports: Port[] }>('network', 'GET', `/v2.0/ports?device_id=${r.id}`)).ports);
        const update: Record<string, unknown> = {};
        if (a.admin_state_up !== undefined && r.admin_state_up !== a.admin_state_up) update.admin_state_up = a.admin_state_up;
        if (gw && gatewayDiffers(r, gw)) update.external_gateway_info = gw;
        if (Object.keys(update).length) {
          data.update = update;
          changes.push({ summary: `update router ${a.name}: ${Object.keys(update).join(', ')}` });
        }
      }
      if (wanted) {
        data.addSubnets = wanted.filter((s) => !have.includes(s));
        data.removeSubnets = have.filter((s) => !wanted.includes(s));
        for (const s of data.addSubnets) changes.push({ summary: `router ${a.name}: add an interface on subnet ${s}` });
        for (const s of data.removeSubnets) changes.push({ summary: `router ${a.name}: remove its interface on subnet ${s}` });
      }
      return changes.length ? { changes, data } : { changes: [], result: { router: r, id: r!.id } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    const iface = async (id: string, op: 'add' | 'remove', subnet: string) => c.json('network', 'PUT', `/v2.0/routers/${id}/${op}_router_interface`, { json: { subnet_id: subnet } });
    if (d.delete) {
      for (const s of d.removeSubnets) await iface(d.router!.id, 'remove', s);
      await c.json('network', 'DELETE', `/v2.0/routers/${d.router!.id}`);
      return { changed: true, router: null };
    }
    let r = d.router;
    if (d.create) r = (await c.json<{ router: Router }>('network', 'POST', '/v2.0/routers', { json: { router: d.create } })).router;
    if (d.update) r = (await c.json<{ router: Router }>('network', 'PUT', `/v2.0/routers/${r!.id}`, { json: { router: d.update } })).router;
    for (const s of d.addSubnets) await iface(r!.id, 'add', s);
    for (const s of d.removeSubnets) await iface(r!.id, 'remove', s);
    return { changed: true, router: r, id: r!.id };
  },
};

registerModule(osRouterModule);
