import { beforeEach, describe, expect, it } from 'vitest';
import { authBody, clearSessions, endpointFor, identityBase } from '../../../src/modules/common/openstack-api.js';
import { curlConfig, parseCurlOutput } from '../../../src/facts/openstack.js';
import { osProjectModule, projectUpdates } from '../../../src/modules/os_project.js';
import { assignmentPath, osUserRoleModule } from '../../../src/modules/os_user_role.js';
import { endpointUpdates, osKeystoneEndpointModule } from '../../../src/modules/os_keystone_endpoint.js';
import { osUserModule } from '../../../src/modules/os_user.js';
import { recordedContext } from './recorded-context.js';

const AUTH = { auth_url: 'http://controller:5000/v3/', username: 'admin', password: 's3cret-admin', project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' };
const COMMON = { auth: AUTH, interface: 'public' as const, api_timeout: 0 };

/** What curl prints for one request with drover's config: headers, body, status mark. */
function curlOut(status: number, body: unknown, headers: Record<string, string> = {}): { stdout: string } {
  const h = Object.entries({ 'Content-Type': 'application/json', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return { stdout: `HTTP/1.1 ${status} X\r\n${h}\r\n${body === '' ? '' : JSON.stringify(body)}\n__drover_http_status__=${status}` };
}
/** What curl prints for several transfers in one run: each answer ends with the batch's status mark (its nonce read from the config sent). */
function batchOut(...outs: Array<{ stdout: string }>): (command: string, opts?: { stdin?: string | Buffer }) => { stdout: string } {
  return (_command, opts) => {
    const nonce = /__drover_http_status_([0-9a-f]+)__=/.exec(String(opts?.stdin))?.[1];
    if (!nonce) throw new Error('not a batch');
    return { stdout: outs.map((o) => o.stdout.replace('\n__drover_http_status__=', `\n__drover_http_status_${nonce}__=`) + '\n').join('') };
  };
}
const TOKEN = curlOut(201, { token: { catalog: [] } }, { 'X-Subject-Token': 'gAAAA-token-1234' });

beforeEach(() => clearSessions());

describe('curl plumbing (pure)', () => {
  it('puts url, method, headers and body into a config for stdin, quoting \\ and "', () => {
    const c = curlConfig({ method: 'POST', url: 'http://c:5000/v3/auth/tokens', headers: { 'X-Auth-Token': 'tok' }, json: { p: 'a"b\\c' } });
    expect(c).toContain('url = "http://c:5000/v3/auth/tokens"\n');
    expect(c).toContain('request = "POST"\n');
    expect(c).toContain('header = "X-Auth-Token: tok"\n');
    expect(c).toContain('data-binary = "{\\"p\\":\\"a\\\\\\"b\\\\\\\\c\\"}"\n');
    expect(c).toContain('header = "Content-Type: application/json"');
    expect(curlConfig({ method: 'PUT', url: 'http://g/v2/images/1/file', uploadFile: '/var/x.img' })).toContain('upload-file = "/var/x.img"');
  });

  it('parses headers of the final response after an interim 100 Continue', () => {
    const r = parseCurlOutput('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Subject-Token: abc\r\n\r\n{"a":1}\n__drover_http_status__=201');
    expect(r).toEqual({ status: 201, headers: { 'x-subject-token': 'abc' }, body: '{"a":1}' });
    expect(parseCurlOutput('HTTP/1.1 204 No Content\r\n\r\n\n__drover_http_status__=204').status).toBe(204);
  });

  it('builds project- and system-scoped password auth; finds catalog endpoints', () => {
    expect(authBody(AUTH)).toMatchObject({ auth: { scope: { project: { name: 'admin', domain: { name: 'Default' } } } } });
    expect(authBody({ ...AUTH, project_name: undefined, system_scope: 'all' })).toMatchObject({ auth: { scope: { system: { all: true } } } });
    expect(identityBase('http://controller:5000')).toBe('http://controller:5000/v3');
    expect(identityBase('http://controller:5000/v3/')).toBe('http://controller:5000/v3');
    const cat = [{ type: 'image', endpoints: [{ interface: 'internal', region_id: 'RegionOne', url: 'http://i:9292' }, { interface: 'public', region_id: 'RegionOne', url: 'http://p:9292/' }] }];
    expect(endpointFor(cat, 'image', 'public')).toBe('http://p:9292');
    expect(endpointFor(cat, 'image', 'admin')).toBeUndefined();
  });

  it('computes updates and assignment paths', () => {
    expect(projectUpdates({ id: '1', name: 'p', domain_id: 'default', description: 'x', enabled: true }, { description: 'x', enabled: true })).toEqual({});
    expect(projectUpdates({ id: '1', name: 'p', domain_id: 'default', enabled: false }, { description: 'y', enabled: true })).toEqual({ description: 'y', enabled: true });
    expect(endpointUpdates({ id: 'e', interface: 'public', url: 'http://a', service_id: 's' }, { url: 'http://b', enabled: true })).toEqual({ url: 'http://b' });
    expect(assignmentPath({ kind: 'system' }, { kind: 'users', id: 'u' }, 'r')).toBe('/system/users/u/roles/r');
    expect(assignmentPath({ kind: 'projects', id: 'p' }, { kind: 'users', id: 'u' }, 'r')).toBe('/projects/p/users/u/roles/r');
  });
});

describe('planning from recorded API answers', () => {
  it('os_project: an existing, equal project plans nothing; the password never reaches a command line', async () => {
    const { ctx, sent, secrets } = recordedContext([TOKEN, curlOut(200, { projects: [{ id: 'p1', name: 'service', domain_id: 'default', description: 'Service Project', enabled: true }] })]);
    const plan = await osProjectModule.plan(ctx, { ...COMMON, name: 'service', domain_id: 'default', description: 'Service Project', enabled: true, state: 'present' } as never);
    expect(plan.changes).toEqual([]);
    expect(sent.map((s) => s.command)).toEqual(['curl -q -K -', 'curl -q -K -']);
    expect(String(sent[0]!.opts?.stdin)).toContain('s3cret-admin');
    expect(sent.every((s) => !s.command.includes('s3cret'))).toBe(true);
    expect(String(sent[1]!.opts?.stdin)).toContain('url = "http://controller:5000/v3/projects?name=service&domain_id=default"');
    expect(String(sent[1]!.opts?.stdin)).toContain('X-Auth-Token: gAAAA-token-1234');
    expect(secrets).toEqual(expect.arrayContaining(['s3cret-admin', 'gAAAA-token-1234']));
  });

  it('os_project: a missing project plans a create; a differing one an update', async () => {
    let r = recordedContext([TOKEN, curlOut(200, { projects: [] })]);
    let plan = await osProjectModule.plan(r.ctx, { ...COMMON, name: 'demo', enabled: true, state: 'present' } as never);
    expect(plan.changes.map((c) => c.summary)).toEqual(['create project demo']);
    clearSessions();
    r = recordedContext([TOKEN, curlOut(200, { projects: [{ id: 'p', name: 'demo', domain_id: 'default', description: 'old', enabled: true }] })]);
    plan = await osProjectModule.plan(r.ctx, { ...COMMON, name: 'demo', description: 'new', enabled: true, state: 'present' } as never);
    expect(plan.changes.map((c) => c.summary)).toEqual(['update project demo: description']);
  });

  it('os_user_role: HEAD 204 means granted (nothing to do), 404 plans a grant', async () => {
    // The three lookups are one curl run (three transfers), then the assignment is asked.
    const lookups = batchOut(curlOut(200, { roles: [{ id: 'r1', name: 'admin' }] }), curlOut(200, { users: [{ id: 'u1', name: 'glance' }] }), curlOut(200, { projects: [{ id: 'p1', name: 'service' }] }));
    let r = recordedContext([TOKEN, lookups, curlOut(204, '')]);
    let plan = await osUserRoleModule.plan(r.ctx, { ...COMMON, user: 'glance', role: 'admin', project: 'service', state: 'present' } as never);
    expect(plan.changes).toEqual([]);
    expect(r.sent).toHaveLength(3);
    expect(String(r.sent[1]!.opts?.stdin).match(/^url = .*$/gm)).toEqual([
      'url = "http://controller:5000/v3/roles?name=admin"',
      'url = "http://controller:5000/v3/users?name=glance&domain_id=default"',
      'url = "http://controller:5000/v3/projects?name=service&domain_id=default"',
    ]);
    expect(String(r.sent[2]!.opts?.stdin)).toContain('url = "http://controller:5000/v3/projects/p1/users/u1/roles/r1"');
    expect(String(r.sent[2]!.opts?.stdin)).toContain('request = "HEAD"');
    clearSessions();
    r = recordedContext([TOKEN, lookups, curlOut(404, '')]);
    plan = await osUserRoleModule.plan(r.ctx, { ...COMMON, user: 'glance', role: 'admin', project: 'service', state: 'present' } as never);
    expect(plan.changes.map((c) => c.summary)).toEqual(['grant role admin for user glance on project service']);
  });

  it('os_user: the password is checked by authenticating as the user; a 401 plans a password change', async () => {
    const user = curlOut(200, { users: [{ id: 'u1', name: 'glance', domain_id: 'default', enabled: true }] });
    let r = recordedContext([TOKEN, user, curlOut(201, { token: {} }, { 'X-Subject-Token': 'user-token-xyz' })]);
    let plan = await osUserModule.plan(r.ctx, { ...COMMON, name: 'glance', password: 'glance-pw-1', update_password: 'always', enabled: true, state: 'present' } as never);
    expect(plan.changes).toEqual([]);
    expect(String(r.sent[2]!.opts?.stdin)).toContain('glance-pw-1');
    expect(r.secrets).toContain('user-token-xyz');
    clearSessions();
    r = recordedContext([TOKEN, user, curlOut(401, { error: { message: 'The request you have made requires authentication.' } })]);
    plan = await osUserModule.plan(r.ctx, { ...COMMON, name: 'glance', password: 'glance-pw-2', update_password: 'always', enabled: true, state: 'present' } as never);
    expect(plan.changes.map((c) => c.summary)).toEqual(['user glance: set password']);
  });

  it('check mode: an API that does not answer yet makes the task unknown, not failed', async () => {
    const { ctx } = recordedContext([{ rc: 7, stderr: 'curl: (7) Failed to connect to controller port 5000' }], { check: true });
    const plan = await osKeystoneEndpointModule.plan(ctx, { ...COMMON, service: 'glance', endpoint_interface: 'public', url: 'http://c:9292', enabled: true, state: 'present' } as never);
    expect(plan.changes).toEqual([]);
    expect(plan.unknown).toMatch(/not reachable/);
  });

  it('a failed authentication names the user and the URL, not the password', async () => {
    const { ctx } = recordedContext([curlOut(401, { error: { message: 'The request you have made requires authentication.' } })]);
    await expect(osProjectModule.plan(ctx, { ...COMMON, name: 'x', enabled: true, state: 'present' } as never)).rejects.toThrow(
      /authentication as admin at http:\/\/controller:5000\/v3 failed: HTTP 401 The request you have made requires authentication\./,
    );
  });
});

describe('token cache', () => {
  it('re-authenticates when the cached catalog lacks a service created later in the run', async () => {
    const { OsClient } = await import('../../../src/modules/common/openstack-api.js');
    const withImage = curlOut(201, { token: { catalog: [{ type: 'image', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://controller:9292' }] }] } }, { 'X-Subject-Token': 'gAAAA-token-2' });
    const r = recordedContext([TOKEN, withImage, curlOut(200, { images: [] })]);
    const c = await OsClient.connect(r.ctx, COMMON);
    await c.json('image', 'GET', '/v2/images?name=cirros');
    expect(String(r.sent[2]!.opts?.stdin)).toContain('url = "http://controller:9292/v2/images?name=cirros"');
  });
});

describe('curl not on the target', () => {
  const noCurl = { rc: 127, stderr: 'main: line 6: exec: curl: not found\n' };
  const args = { ...COMMON, name: 'service', domain_id: 'default', state: 'present', enabled: true };

  it('fails a real run, and check mode when nothing before it was predicted to change', async () => {
    await expect(osProjectModule.plan(recordedContext([noCurl]).ctx, (args as never))).rejects.toThrow(/need curl on the target/);
    await expect(osProjectModule.plan(recordedContext([noCurl], { check: true }).ctx, (args as never))).rejects.toThrow(/need curl on the target/);
  });

  it('is unknown in check mode after an earlier predicted change (keystone\'s install brings curl: lab4 on fresh nodes)', async () => {
    const p = await osProjectModule.plan(recordedContext([noCurl], { check: true, earlierChangesPredicted: true }).ctx, (args as never));
    expect(p.changes).toEqual([]);
    expect(p.unknown).toMatch(/curl is not installed yet \(an earlier task may install it\)/);
  });
});
