/**
 * Several API reads in one curl run, over the real sshd with the target's
 * real curl, against an HTTP server on loopback that answers as Keystone's
 * identity API does for the lookups os_user_role makes: the three lookups
 * are one command and three requests, the plan is the same as with one
 * request each, and a batch with a transfer nobody answers is asked again
 * one request at a time (so an unreachable API is still reported as such).
 * Through the engine: an os_keystone_endpoint loop over three interfaces
 * reads the catalog once for the three items while none of them writes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearSessions, httpReads } from '../../../src/modules/common/openstack-api.js';
import { osUserRoleModule } from '../../../src/modules/os_user_role.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import { useSshdTarget } from '../../helpers/sshd-fixture.js';

const target = useSshdTarget('os-batch');
let server: Server;
let base: string;
const seen: string[] = [];
/** The identity API's endpoints (created by POST /v3/endpoints). */
let endpoints: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(status === 204 ? undefined : JSON.stringify(body));
    };
    const url = req.url ?? '';
    if (req.method === 'POST' && url === '/v3/auth/tokens') return json(201, { token: { catalog: [] } }, { 'X-Subject-Token': 'gAAAA-batch-token' });
    if (req.headers['x-auth-token'] !== 'gAAAA-batch-token') return json(401, { error: { message: 'no token' } });
    if (url === '/v3/roles?name=admin') return json(200, { roles: [{ id: 'r1', name: 'admin' }] });
    if (url === '/v3/users?name=glance&domain_id=default') return json(200, { users: [{ id: 'u1', name: 'glance' }] });
    if (url === '/v3/projects?name=service&domain_id=default') return json(200, { projects: [{ id: 'p1', name: 'service' }] });
    if (req.method === 'HEAD' && url === '/v3/projects/p1/users/u1/roles/r1') return json(204, null);
    if (req.method === 'GET' && url === '/v3/services') return json(200, { services: [{ id: 's1', name: 'glance', type: 'image' }] });
    if (req.method === 'GET' && url === '/v3/endpoints?region_id=RegionOne') return json(200, { endpoints: endpoints.filter((e) => e.region_id === 'RegionOne') });
    if (req.method === 'POST' && url === '/v3/endpoints') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const e = { id: `e${endpoints.length + 1}`, ...(JSON.parse(body) as { endpoint: Record<string, unknown> }).endpoint };
        endpoints.push(e);
        json(201, { endpoint: e });
      });
      return;
    }
    return json(404, { error: { message: `no ${url}` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  clearSessions();
  seen.length = 0;
});
const PLAYBOOK = resolve(__dirname, '../../fixtures/engine/features/os-endpoint-loop.yaml');

const auth = () => ({ auth_url: `${base}/v3`, username: 'admin', password: 'admin-pw', project_name: 'admin' });

describe('os_* lookups in one curl run (real curl over the loopback sshd)', () => {
  it('os_user_role: the three lookups are one command; the grant is found', async () => {
    const sent: string[] = [];
    const ctx = target.ctx({ sent });
    const plan = await osUserRoleModule.plan(ctx, { auth: auth(), interface: 'public', api_timeout: 5, user: 'glance', role: 'admin', project: 'service', state: 'present' } as never);
    expect(plan.changes).toEqual([]);
    // token, the three lookups together, the assignment
    expect(sent).toHaveLength(3);
    expect(seen).toEqual([
      'POST /v3/auth/tokens',
      'GET /v3/roles?name=admin',
      'GET /v3/users?name=glance&domain_id=default',
      'GET /v3/projects?name=service&domain_id=default',
      'HEAD /v3/projects/p1/users/u1/roles/r1',
    ]);
  });

  it('answers come back in order, statuses and bodies intact', async () => {
    const ctx = target.ctx();
    const headers = { 'X-Auth-Token': 'gAAAA-batch-token' };
    const answers = await httpReads(ctx, [
      { method: 'GET', url: `${base}/v3/projects?name=service&domain_id=default`, headers },
      { method: 'GET', url: `${base}/v3/nosuch`, headers },
      { method: 'GET', url: `${base}/v3/roles?name=admin`, headers },
    ]);
    expect(answers?.map((a) => [a.status, JSON.parse(a.body)])).toEqual([
      [200, { projects: [{ id: 'p1', name: 'service' }] }],
      [404, { error: { message: 'no /v3/nosuch' } }],
      [200, { roles: [{ id: 'r1', name: 'admin' }] }],
    ]);
  });

  it('a transfer nobody answers: no batch answer, so the caller asks one at a time', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const answers = await httpReads(target.ctx(), [
      { method: 'GET', url: `${base}/v3/roles?name=admin`, headers: { 'X-Auth-Token': 'gAAAA-batch-token' } },
      { method: 'GET', url: `http://127.0.0.1:${port}/v3` },
    ]);
    expect(answers).toBeUndefined();
  });

  it('an endpoint loop over three interfaces: created once; converged, one read serves the three items, in check mode too', async () => {
    endpoints = [];
    const t = writeTestInventory(target.sshd, ['h1']);
    const run = async (check = false) => {
      clearSessions();
      seen.length = 0;
      const r = await runPlaybookCollecting({ playbook: PLAYBOOK, inventory: [t.inventory], extraVars: [`keystone_url=${base}`], check });
      expect(r.summary.exitCode).toBe(0);
      return r.events.filter((e) => e.type === 'item_result' && e.status === 'changed').length;
    };
    expect(await run()).toBe(3);
    expect(endpoints.map((e) => e.interface)).toEqual(['public', 'internal', 'admin']);
    // Each item wrote: the next one read again.
    expect(seen.filter((l) => l.startsWith('GET'))).toHaveLength(6);
    for (const check of [false, true]) {
      expect(await run(check)).toBe(0);
      expect(seen).toEqual(['POST /v3/auth/tokens', 'GET /v3/services', 'GET /v3/endpoints?region_id=RegionOne']);
    }
  });
});
