/**
 * `os_subnet` (openstack.cloud.subnet): a Neutron subnet of a network,
 * created or updated where it differs (gateway, DHCP, DNS servers, allocation
 * pool). Its network, CIDR and IP version cannot change: a difference is an
 * error. Reads first, so check mode predicts exactly what a run does.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { applyNeutronWrite, fieldList, findNeutron, neutronUpdates, projectId, requireNeutron, type NeutronObject, type NeutronWrite } from './common/neutron-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Subnet name.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the subnet exists (present) or is deleted (absent).'),
  network_name: z.string().optional().describe('Network (name or id) the subnet belongs to; required to create.'),
  network: z.string().optional().describe('Alias of network_name.'),
  cidr: z.string().optional().describe('Address range, e.g. 172.16.0.0/24; required to create (fixed once created).'),
  ip_version: z.coerce.number().int().refine((v) => v === 4 || v === 6, 'ip_version is 4 or 6').default(4).describe('4 or 6 (fixed once created).'),
  gateway_ip: z.string().optional().describe('Gateway address (default on create: the first address).'),
  no_gateway_ip: bool.default(false).describe('No gateway at all.'),
  enable_dhcp: bool.default(true).describe('Whether the DHCP agent serves the subnet.'),
  dns_nameservers: z.array(z.string()).optional().describe('DNS servers handed out by DHCP.'),
  allocation_pool_start: z.string().optional().describe('First address of the allocation pool (with allocation_pool_end).'),
  allocation_pool_end: z.string().optional().describe('Last address of the allocation pool.'),
  project: z.string().optional().describe('Project (name or id) the subnet belongs to (default: the token\'s).'),
});

export type OsSubnetArgs = z.infer<typeof schema> & CommonArgs;

interface Subnet extends NeutronObject {
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip?: string | null;
  enable_dhcp?: boolean;
  dns_nameservers?: string[];
  allocation_pools?: Array<{ start: string; end: string }>;
}

type Data = NeutronWrite<Subnet>;

/** Pure: the updatable fields as Neutron names them (undefined: not asked for). */
export function subnetFields(a: OsSubnetArgs): Record<string, unknown> {
  if (Boolean(a.allocation_pool_start) !== Boolean(a.allocation_pool_end)) throw new ModuleError('allocation_pool_start and allocation_pool_end go together');
  if (a.no_gateway_ip && a.gateway_ip) throw new ModuleError('gateway_ip and no_gateway_ip exclude each other');
  return {
    gateway_ip: a.no_gateway_ip ? null : a.gateway_ip,
    enable_dhcp: a.enable_dhcp,
    dns_nameservers: a.dns_nameservers,
    allocation_pools: a.allocation_pool_start ? [{ start: a.allocation_pool_start, end: a.allocation_pool_end }] : undefined,
  };
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const osSubnetModule: Module<OsSubnetArgs, Data> = {
  name: 'os_subnet',
  doc: {
    short: 'Create, update or delete a Neutron subnet (OpenStack).',
    examples: `
- name: The provider network's subnet
  os_subnet:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: provider-subnet
    network_name: provider
    cidr: 172.16.0.0/24
    gateway_ip: 172.16.0.1
    allocation_pool_start: 172.16.0.2
    allocation_pool_end: 172.16.0.50
    dns_nameservers: [1.1.1.1]
`,
  },
  aliases: ['openstack.cloud.subnet', 'openstack.cloud.os_subnet'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<Data>(ctx, a, `subnet ${a.name}`, async (c) => {
      const fields = subnetFields(a);
      const project = await projectId(c, a.project);
      const s = await findNeutron<Subnet>(c, 'subnets', a.name, project);
      if (a.state === 'absent') {
        return s ? { changes: [{ summary: `delete subnet ${a.name}` }], data: { action: 'delete', existing: s } } : { changes: [], result: { subnet: null } };
      }
      const netName = a.network_name ?? a.network;
      if (!s) {
        if (!netName || !a.cidr) throw new ModuleError(`subnet ${a.name} does not exist: network_name and cidr are needed to create it`);
        // In check mode the network may come from an earlier task of the same run.
        const net = await findNeutron(c, 'networks', netName);
        if (!net && !ctx.check) throw new ModuleError(`network ${netName} not found`);
        const body = { name: a.name, network_id: net?.id ?? netName, cidr: a.cidr, ip_version: a.ip_version, ...defined(fields), ...(project ? { project_id: project } : {}) };
        return { changes: [{ summary: `create subnet ${a.name} (${a.cidr}) on network ${netName}` }], data: { action: 'create', body } };
      }
      const fixed: string[] = [];
      if (a.cidr && a.cidr !== s.cidr) fixed.push(`cidr ${s.cidr}`);
      if (a.ip_version !== s.ip_version) fixed.push(`ip_version ${s.ip_version}`);
      if (netName) {
        const net = await requireNeutron(c, 'networks', netName, 'network');
        if (net.id !== s.network_id) fixed.push(`network ${s.network_id}`);
      }
      if (fixed.length) throw new ModuleError(`subnet ${a.name} exists with ${fixed.join(', ')}: these cannot change; delete the subnet first`);
      const u = neutronUpdates(s, fields);
      if (Object.keys(u).length === 0) return { changes: [], result: { subnet: s, id: s.id } };
      return { changes: [{ summary: `update subnet ${a.name}: ${fieldList(u)}` }], data: { action: 'update', existing: s, body: u } };
    });
  },
  async apply(ctx, a, plan) {
    return applyNeutronWrite(await OsClient.connect(ctx, a), 'subnet', plan.data!);
  },
};

registerModule(osSubnetModule);
