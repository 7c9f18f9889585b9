/**
 * Read-time lookups shared by the Neutron modules (os_network, os_subnet,
 * os_router): objects found by name (optionally within a project), names or
 * ids of networks and subnets resolved, and the pure diff of wanted fields.
 */
import { ModuleError } from '../../util/errors.js';
import { identity, type OsClient } from './openstack-api.js';
import type { ModuleResult } from '../types.js';

export interface NeutronObject {
  id: string;
  name?: string;
  project_id?: string;
  [k: string]: unknown;
}

/** A project's id from its name or id (Ansible accepts both); undefined when none is asked for. */
export async function projectId(c: OsClient, project: string | undefined): Promise<string | undefined> {
  if (!project) return undefined;
  const p = await identity.findByName<{ id: string; name: string }>(c, 'projects', project);
  if (!p) throw new ModuleError(`project ${project} not found`);
  return p.id;
}

/**
 * One Neutron object of a collection (networks, subnets, routers) by name or
 * id; within a project when one is given. Two of the same name are an error
 * (Ansible's openstack.cloud fails the same way).
 */
export async function findNeutron<T extends NeutronObject>(c: OsClient, collection: string, nameOrId: string, project?: string, extraQuery = ''): Promise<T | undefined> {
  const q = `name=${encodeURIComponent(nameOrId)}${project ? `&project_id=${encodeURIComponent(project)}` : ''}${extraQuery}`;
  const list = (await c.json<Record<string, T[]>>('network', 'GET', `/v2.0/${collection}?${q}`))[collection] ?? [];
  const named = list.filter((x) => x.name === nameOrId);
  if (named.length > 1) throw new ModuleError(`${named.length} ${collection} are named ${nameOrId}${project ? ' in that project' : ''}: give an id`);
  if (named[0]) return named[0];
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(nameOrId)) {
    const res = await c.call('network', 'GET', `/v2.0/${collection}/${nameOrId}`);
    if (res.status === 200) return Object.values(JSON.parse(res.body) as Record<string, T>)[0];
  }
  return undefined;
}

/** Like findNeutron, but the object must exist (a network or subnet another argument names). */
export async function requireNeutron<T extends NeutronObject>(c: OsClient, collection: string, nameOrId: string, what: string): Promise<T> {
  const o = await findNeutron<T>(c, collection, nameOrId);
  if (!o) throw new ModuleError(`${what} ${nameOrId} not found`);
  return o;
}

/** Pure: the wanted fields (undefined: not asked for) whose value differs from the object's, compared as JSON. */
export function neutronUpdates(o: Record<string, unknown>, wanted: Record<string, unknown>): Record<string, unknown> {
  const u: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wanted)) {
    if (v !== undefined && JSON.stringify(o[k] ?? null) !== JSON.stringify(v)) u[k] = v;
  }
  return u;
}

/** Pure: `name: a, b` for a change summary. */
export const fieldList = (u: Record<string, unknown>): string => Object.keys(u).join(', ');

/** What os_network and os_subnet plan for one object: create it, update fields of it, or delete it. */
export interface NeutronWrite<T extends NeutronObject> {
  action: 'create' | 'update' | 'delete';
  existing?: T;
  body?: Record<string, unknown>;
}

/** Apply a NeutronWrite to `/v2.0/<singular>s`; the task's result names the object by its singular. */
export async function applyNeutronWrite<T extends NeutronObject>(c: OsClient, singular: string, d: NeutronWrite<T>): Promise<ModuleResult> {
  const base = `/v2.0/${singular}s`;
  if (d.action === 'delete') {
    await c.json('network', 'DELETE', `${base}/${d.existing!.id}`);
    return { changed: true, [singular]: null };
  }
  const r = d.action === 'create'
    ? await c.json<Record<string, T>>('network', 'POST', base, { json: { [singular]: d.body } })
    : await c.json<Record<string, T>>('network', 'PUT', `${base}/${d.existing!.id}`, { json: { [singular]: d.body } });
  const o = r[singular]!;
  return { changed: true, [singular]: o, id: o.id };
}
