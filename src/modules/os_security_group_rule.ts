/**
 * `os_security_group_rule` (openstack.cloud.security_group_rule): one rule
 * of a Neutron security group, created or deleted. A rule is found the way
 * the collection finds it: the rules of the group whose fields equal every
 * field the task gives — direction, ethertype, protocol (none for `any`/`0`),
 * ports (-1 means "not given"; for tcp/udp a minimum of 1 and a maximum of
 * 65535 mean the whole range and are not compared), remote_ip_prefix,
 * remote_group, description, project. Fields the task does not give are not
 * compared (a rule without remote_ip_prefix matches one for 0.0.0.0/0; with
 * no protocol it matches a rule of any protocol). More than one match is an
 * error. Reads first, so check mode predicts exactly what a run does.
 *
 * Where it differs from openstack.cloud.security_group_rule: in check mode a
 * security group (or remote group) that does not exist yet — an earlier task
 * of the run may create it — predicts the rule's creation instead of failing.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { projectId, type NeutronObject } from './common/neutron-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const port = z.coerce.number().int().min(-1).max(65535);

// ether_type, the collection's name of ethertype, is renamed before the arguments are checked (one key in the JSON schema).
const schema = z.preprocess(
  (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !('ether_type' in v)) return v;
    const { ether_type, ...rest } = v as Record<string, unknown>;
    if ('ethertype' in rest && rest.ethertype !== ether_type) return v; // both, and different: strictObject rejects ether_type
    return { ...rest, ethertype: ether_type };
  },
  z.strictObject({
  ...commonArgs,
  security_group: z.string().min(1).describe('Security group (name or id).'),
  project: z.string().optional().describe('Project (name or id) of the group.'),
  protocol: z.union([z.string(), z.number()]).transform(String).optional().describe('tcp, udp, icmp, … or 0-255; any: all.'),
  port_range_min: port.optional().describe('First port, or ICMP type.'),
  port_range_max: port.optional().describe('Last port, or ICMP code.'),
  direction: z.enum(['ingress', 'egress']).default('ingress').describe('ingress or egress.'),
  ethertype: z.enum(['IPv4', 'IPv6']).default('IPv4').describe('IPv4 or IPv6 (alias: ether_type).'),
  remote_ip_prefix: z.string().optional().describe('Remote addresses (CIDR).'),
  remote_group: z.string().optional().describe('Remote security group (name or id).'),
  description: z.string().optional().describe('Rule description.'),
  state: z.enum(['present', 'absent']).default('present').describe('present or absent.'),
  }),
);

export type OsSecurityGroupRuleArgs = z.infer<typeof schema> & CommonArgs;

interface SecurityGroup extends NeutronObject {
  security_group_rules?: Rule[];
}

export interface Rule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description?: string;
  project_id?: string;
  [k: string]: unknown;
}

/**
 * Pure: the rule as it is created (the collection's _define_prototype):
 * `any`/`0` sends no protocol; -1 ports are not sent for icmp, ipv6-icmp,
 * tcp and udp; `any` sends no ports at all.
 */
export function rulePrototype(a: OsSecurityGroupRuleArgs, ids: { securityGroup: string; remoteGroup?: string; project?: string }): Record<string, unknown> {
  const p: Record<string, unknown> = { direction: a.direction };
  if (a.description !== undefined) p.description = a.description;
  if (a.remote_ip_prefix !== undefined) p.remote_ip_prefix = a.remote_ip_prefix;
  if (ids.project !== undefined) p.project_id = ids.project;
  p.security_group_id = ids.securityGroup;
  if (ids.remoteGroup !== undefined) p.remote_group_id = ids.remoteGroup;
  p.ethertype = a.ethertype;
  const proto = a.protocol;
  if (proto !== undefined && proto !== 'any' && proto !== '0') p.protocol = proto;
  const skipMinusOne = proto !== undefined && ['icmp', 'ipv6-icmp', 'tcp', 'udp'].includes(proto);
  if (proto !== 'any' && proto !== '0') {
    if (a.port_range_max !== undefined && !(skipMinusOne && a.port_range_max === -1)) p.port_range_max = a.port_range_max;
    if (a.port_range_min !== undefined && !(skipMinusOne && a.port_range_min === -1)) p.port_range_min = a.port_range_min;
  }
  return p;
}

/** Pure: what a rule must equal to match (the collection's _find_matches): for tcp/udp the full range's ends are not compared. */
export function matchFields(prototype: Record<string, unknown>): Record<string, unknown> {
  const m = { ...prototype };
  if (m.protocol === 'tcp' || m.protocol === 'udp') {
    if (m.port_range_max === -1 || m.port_range_max === 65535) delete m.port_range_max;
    if (m.port_range_min === -1 || m.port_range_min === 1) delete m.port_range_min;
  }
  return m;
}

/** Pure: the group's rules that match. */
export function matchingRules(rules: Rule[], prototype: Record<string, unknown>): Rule[] {
  const m = matchFields(prototype);
  return rules.filter((r) => Object.entries(m).every(([k, v]) => (r[k] ?? null) === v));
}

/** Pure: "ingress IPv4 tcp 22:22 rule" for a change summary. */
export function describeRule(p: Record<string, unknown>): string {
  const ports = p.port_range_min !== undefined || p.port_range_max !== undefined ? ` ${p.port_range_min ?? ''}:${p.port_range_max ?? ''}` : '';
  const remote = p.remote_ip_prefix !== undefined ? ` from ${p.remote_ip_prefix}` : '';
  return `${p.direction} ${p.ethertype} ${p.protocol ?? 'any'}${ports}${remote} rule`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A security group by name or id (within a project when one is given); two of the same name are an error, as in the collection. */
async function findGroup(c: OsClient, nameOrId: string, project?: string): Promise<SecurityGroup | undefined> {
  const q = `name=${encodeURIComponent(nameOrId)}${project ? `&project_id=${encodeURIComponent(project)}` : ''}`;
  const named = (await c.json<{ security_groups: SecurityGroup[] }>('network', 'GET', `/v2.0/security-groups?${q}`)).security_groups.filter((g) => g.name === nameOrId);
  if (named.length > 1) throw new ModuleError(`${named.length} security groups are named ${nameOrId}${project ? ' in that project' : ''}: give the project or an id`);
  if (named[0]) return named[0];
  if (UUID.test(nameOrId)) {
    const res = await c.call('network', 'GET', `/v2.0/security-groups/${nameOrId}`);
    if (res.status === 200) return (JSON.parse(res.body) as { security_group: SecurityGroup }).security_group;
  }
  return undefined;
}

interface Data {
  create?: Record<string, unknown>;
  delete?: Rule;
}

export const osSecurityGroupRuleModule: Module<OsSecurityGroupRuleArgs, Data> = {
  name: 'os_security_group_rule',
  doc: {
    short: 'Create or delete a rule of a Neutron security group (OpenStack).',
    examples: `
# A rule matches as in openstack.cloud.security_group_rule: only the fields
# given are compared (no protocol: any rule; no remote_ip_prefix: any prefix);
# -1 ports mean none; for tcp/udp a range 1-65535 matches any. More than one
# match fails. project is looked up in Keystone: a non-admin user leaves it
# out (the token's project is the one searched). Unlike the collection: in
# check mode a security group that does not exist yet predicts a create.
- name: The demo project's default security group allows SSH
  os_security_group_rule:
    auth: &demo
      auth_url: http://controller:5000/v3
      username: demo
      password: DEMO_PASS
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    security_group: default
    protocol: tcp
    port_range_min: 22
    port_range_max: 22

- name: ... and ICMP
  openstack.cloud.security_group_rule:
    auth: *demo
    security_group: default
    protocol: icmp
`,
  },
  aliases: ['openstack.cloud.security_group_rule'],
  schema: schema as never,
  async plan(ctx, a) {
    if (a.remote_ip_prefix !== undefined && a.remote_group !== undefined) throw new ModuleError('parameters are mutually exclusive: remote_ip_prefix|remote_group');
    return planWithClient<Data>(ctx, a, `rule of security group ${a.security_group}`, async (c) => {
      const project = await projectId(c, a.project);
      const group = await findGroup(c, a.security_group, project);
      const remote = a.remote_group !== undefined ? await findGroup(c, a.remote_group) : undefined;
      const missing = !group ? `security group ${a.security_group}` : a.remote_group !== undefined && !remote ? `remote group ${a.remote_group}` : undefined;
      if (missing) {
        // In check mode the group may come from an earlier task of the same run.
        if (ctx.check && a.state === 'present') {
          const p = rulePrototype(a, { securityGroup: group?.id ?? a.security_group, remoteGroup: remote?.id ?? a.remote_group, project });
          return { changes: [{ summary: `create ${describeRule(p)} in security group ${a.security_group} (${missing} does not exist yet)` }] };
        }
        throw new ModuleError(`${missing} not found${a.project ? ` in project ${a.project}` : ''}`);
      }
      const proto = rulePrototype(a, { securityGroup: group!.id, remoteGroup: remote?.id, project });
      let rules = group!.security_group_rules;
      if (!rules) rules = (await c.json<{ security_group_rules: Rule[] }>('network', 'GET', `/v2.0/security-group-rules?security_group_id=${encodeURIComponent(group!.id)}`)).security_group_rules;
      const found = matchingRules(rules, proto);
      if (found.length > 1) throw new ModuleError(`${found.length} rules of security group ${a.security_group} match the given parameters (${found.map((r) => r.id).join(', ')}): give more of them`);
      const rule = found[0];
      if (a.state === 'absent') {
        return rule ? { changes: [{ summary: `delete ${describeRule(proto)} ${rule.id} from security group ${a.security_group}` }], data: { delete: rule } } : { changes: [], result: { rule: null } };
      }
      if (rule) return { changes: [], result: { rule, id: rule.id } };
      return { changes: [{ summary: `create ${describeRule(proto)} in security group ${a.security_group}` }], data: { create: proto } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.delete) {
      await c.json('network', 'DELETE', `/v2.0/security-group-rules/${d.delete.id}`);
      return { changed: true, rule: null };
    }
    const r = (await c.json<{ security_group_rule: Rule }>('network', 'POST', '/v2.0/security-group-rules', { json: { security_group_rule: d.create } })).security_group_rule;
    return { changed: true, rule: r, id: r.id };
  },
};

registerModule(osSecurityGroupRuleModule);
