/**
 * `os_network` (openstack.cloud.network): a Neutron network, created or
 * updated where it differs (admin state, shared, external, MTU, port
 * security). Provider attributes (type, physical network, segment) cannot
 * change on an existing network: a difference is an error, not a silent
 * delete. Reads first, so check mode predicts exactly what a run does.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { applyNeutronWrite, fieldList, findNeutron, neutronUpdates, projectId, type NeutronObject, type NeutronWrite } from './common/neutron-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Network name.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the network exists (present) or is deleted (absent).'),
  admin_state_up: bool.optional().describe('Administrative state (default on create: up).'),
  shared: bool.optional().describe('Whether every project may use the network.'),
  external: bool.optional().describe('Whether the network is external (router gateways).'),
  provider_network_type: z.string().optional().describe('flat, vlan, vxlan … (admin; fixed once created).'),
  provider_physical_network: z.string().optional().describe('Physical network of a flat or VLAN network (fixed once created).'),
  provider_segmentation_id: z.coerce.number().int().optional().describe('VLAN id or VNI (fixed once created).'),
  mtu: z.coerce.number().int().positive().optional().describe('MTU of the network.'),
  port_security_enabled: bool.optional().describe('Default port security of its ports.'),
  project: z.string().optional().describe('Project (name or id) the network belongs to (default: the token\'s).'),
});

export type OsNetworkArgs = z.infer<typeof schema> & CommonArgs;

interface Network extends NeutronObject {
  admin_state_up?: boolean;
  shared?: boolean;
  'router:external'?: boolean;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
  mtu?: number;
  port_security_enabled?: boolean;
}

type Data = NeutronWrite<Network>;

/** Pure: the updatable fields as Neutron names them. */
export function networkFields(a: OsNetworkArgs): Record<string, unknown> {
  return { admin_state_up: a.admin_state_up, shared: a.shared, 'router:external': a.external, mtu: a.mtu, port_security_enabled: a.port_security_enabled };
}

/** Pure: the provider attributes asked for. */
export function providerFields(a: OsNetworkArgs): Record<string, unknown> {
  return { 'provider:network_type': a.provider_network_type, 'provider:physical_network': a.provider_physical_network, 'provider:segmentation_id': a.provider_segmentation_id };
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const osNetworkModule: Module<OsNetworkArgs, Data> = {
  name: 'os_network',
  doc: {
    short: 'Create, update or delete a Neutron network (OpenStack).',
    examples: `
- name: The flat provider network
  os_network:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: provider
    shared: true
    external: true
    provider_network_type: flat
    provider_physical_network: physnet
`,
  },
  aliases: ['openstack.cloud.network', 'openstack.cloud.os_network'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<Data>(ctx, a, `network ${a.name}`, async (c) => {
      const project = await projectId(c, a.project);
      const n = await findNeutron<Network>(c, 'networks', a.name, project);
      if (a.state === 'absent') {
        return n ? { changes: [{ summary: `delete network ${a.name}` }], data: { action: 'delete', existing: n } } : { changes: [], result: { network: null } };
      }
      if (!n) {
        const body = { name: a.name, ...defined(networkFields(a)), ...defined(providerFields(a)), ...(project ? { project_id: project } : {}) };
        return { changes: [{ summary: `create network ${a.name}` }], data: { action: 'create', body } };
      }
      const fixed = neutronUpdates(n, providerFields(a));
      if (Object.keys(fixed).length) throw new ModuleError(`network ${a.name} exists with other provider attributes (${fieldList(fixed)}): they cannot change; delete the network first`);
      const u = neutronUpdates(n, networkFields(a));
      if (Object.keys(u).length === 0) return { changes: [], result: { network: n, id: n.id } };
      return { changes: [{ summary: `update network ${a.name}: ${fieldList(u)}` }], data: { action: 'update', existing: n, body: u } };
    });
  },
  async apply(ctx, a, plan) {
    return applyNeutronWrite(await OsClient.connect(ctx, a), 'network', plan.data!);
  },
};

registerModule(osNetworkModule);
