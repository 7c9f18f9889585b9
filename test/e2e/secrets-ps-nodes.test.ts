import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LocalProvider } from '../../src/providers/local/provider.js';
import type { LabNode } from '../../src/providers/types.js';
import { createConnection } from '../../src/transport/factory.js';
import type { Connection } from '../../src/transport/connection.js';
import type { Module } from '../../src/modules/types.js';
import { aptModule } from '../../src/modules/apt.js';
import { mysqlDbModule } from '../../src/modules/mysql_db.js';
import { mysqlUserModule } from '../../src/modules/mysql_user.js';
import { rabbitmqUserModule } from '../../src/modules/rabbitmq_user.js';
import { osProjectModule } from '../../src/modules/os_project.js';
import { osUserModule } from '../../src/modules/os_user.js';
import { osKeystoneRoleModule } from '../../src/modules/os_keystone_role.js';
import { osUserRoleModule } from '../../src/modules/os_user_role.js';
import { osKeystoneServiceModule } from '../../src/modules/os_keystone_service.js';
import { osKeystoneEndpointModule } from '../../src/modules/os_keystone_endpoint.js';
import { clearSessions } from '../../src/modules/common/openstack-api.js';
import { makeTaskContext, runModule } from '../helpers/task-context.js';
import { assertSubnetFree, seedBaseImage } from './lab-helpers.js';

/**
 * Passwords never appear in the target's argv (issue 15): while mysql_user,
 * mysql_db (login password), rabbitmq_user and the os_* modules set and check
 * passwords on a fresh Debian 12 node, a sampler on the node lists every
 * process's full command line (`ps -ww -eo args`, unique lines kept) in a
 * loop. Afterwards no password or token is in what it saw, and it did see
 * the programs the modules ran (mysql, rabbitmqctl, curl) and a canary put in
 * argv on purpose — so the check is not vacuous. Secrets are looked for with `grep -F -f -` (patterns on
 * stdin), never on a command line of their own.
 *
 * The os_* modules talk to a small fake Keystone (v3 identity API: tokens,
 * projects, users, roles, assignments, services, endpoints) served by this
 * test on the node's bridge address; it answers after 300 ms so that each
 * curl the modules start is sampled, and records what it was sent, so the
 * test also shows the secrets did reach the API (on curl's stdin config).
 * A real Keystone would need MariaDB, Apache and keystone-manage bootstrap;
 * what is tested here is the target side, which is the same.
 *
 * Own DROVER_HOME/subnet/bridge (DROVER_E2E_SECRETS_HOME, default
 * /var/lib/drover-e2e-secrets; 10.98.0.0/24). Needs root.
 */
const HOME = process.env.DROVER_E2E_SECRETS_HOME ?? '/var/lib/drover-e2e-secrets';
const ENV = { ...process.env, DROVER_HOME: HOME, DROVER_SUBNET: process.env.DROVER_E2E_SECRETS_SUBNET ?? '10.98.0.0/24', DROVER_BRIDGE: 'drover-e2e-sec', DROVER_MACHINE_PREFIX: 'es-' };
const LAB = 'e2e-secrets';
const NODES: LabNode[] = [{ name: 'secnode', group: 'controller_nodes', hostOctet: 61 }];
const isRoot = process.getuid?.() === 0;

/** A unique, greppable secret. */
const secret = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

/** The smallest Keystone v3 the os_* modules need, in memory. */
function fakeKeystone(adminPassword: string, token: string) {
  const store: Record<string, Array<Record<string, unknown>>> = { projects: [], users: [], roles: [], services: [], endpoints: [], groups: [] };
  const assignments = new Set<string>();
  const passwords = new Map<string, string>();
  const received: string[] = [];
  let base = '';
  let n = 0;
  const singular: Record<string, string> = { projects: 'project', users: 'user', roles: 'role', services: 'service', endpoints: 'endpoint', groups: 'group' };
  const body = (req: IncomingMessage) =>
    new Promise<string>((r) => {
      let b = '';
      req.setEncoding('utf8').on('data', (d: string) => (b += d)).on('end', () => r(b));
    });
  const server = createServer(async (req, res) => {
    const text = await body(req);
    received.push(`${req.method} ${req.url} ${req.headers['x-auth-token'] ?? ''} ${text}`);
    await new Promise((r) => setTimeout(r, 300)); // long enough for the sampler to see curl
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/v3/, '');
    if (req.method === 'POST' && path === '/auth/tokens') {
      const u = (JSON.parse(text) as { auth: { identity: { password: { user: { name: string; password: string } } } } }).auth.identity.password.user;
      const ok = (u.name === 'admin' && u.password === adminPassword) || passwords.get(u.name) === u.password;
      if (!ok) return send(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
      return send(201, { token: { catalog: [{ type: 'identity', name: 'keystone', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: base }] }] } }, { 'x-subject-token': u.name === 'admin' ? token : `user-${u.name}` });
    }
    if (req.headers['x-auth-token'] !== token) return send(401, { error: { code: 401, message: 'bad token' } });
    const m = /^\/(\w+)(?:\/([\w-]+))?$/.exec(path);
    const assign = /^\/(projects|domains)\/([\w-]+)\/(users|groups)\/([\w-]+)\/roles\/([\w-]+)$/.exec(path);
    if (assign) {
      if (req.method === 'HEAD') return send(assignments.has(path) ? 204 : 404);
      if (req.method === 'PUT') return assignments.add(path), send(204);
      if (req.method === 'DELETE') return assignments.delete(path), send(204);
    }
    if (m && m[1] === 'domains' && m[2]) return send(m[2] === 'default' ? 200 : 404, { domain: { id: 'default', name: 'Default' } });
    const coll = m ? store[m[1]!] : undefined;
    if (!m || !coll) return send(404, { error: { message: `no ${path}` } });
    const key = singular[m[1]!]!;
    if (req.method === 'GET' && !m[2]) {
      const list = coll.filter((o) => [...url.searchParams].every(([k, v]) => o[k] === undefined || String(o[k]) === v));
      return send(200, { [m[1]!]: list });
    }
    const found = coll.find((o) => o.id === m[2]);
    if (req.method === 'GET') return found ? send(200, { [key]: found }) : send(404, {});
    if (req.method === 'POST') {
      const o: Record<string, unknown> = { ...(JSON.parse(text) as Record<string, Record<string, unknown>>)[key], id: `${key}${++n}`.padEnd(8, '0') };
      if (m[1] === 'users' && typeof o.password === 'string') passwords.set(String(o.name), o.password);
      delete o.password;
      coll.push(o);
      return send(201, { [key]: o });
    }
    if (req.method === 'PATCH' && found) {
      const upd = (JSON.parse(text) as Record<string, Record<string, unknown>>)[key]!;
      if (m[1] === 'users' && typeof upd.password === 'string') passwords.set(String(found.name), upd.password);
      Object.assign(found, { ...upd, password: undefined });
      return send(200, { [key]: found });
    }
    if (req.method === 'DELETE' && found) return coll.splice(coll.indexOf(found), 1), send(204);
    return send(404, {});
  });
  return {
    server,
    received,
    passwords,
    listen: (host: string) =>
      new Promise<string>((r) =>
        server.listen(0, host, () => {
          const a = server.address();
          base = `http://${host}:${typeof a === 'object' && a ? a.port : 0}/v3`;
          r(base);
        }),
      ),
  };
}

describe.skipIf(!isRoot)('no password in the target\'s ps (real node)', () => {
  const p = new LocalProvider({ env: ENV, log: (m) => process.stderr.write(`  [drover] ${m}\n`) });
  let conn: Connection;
  const run = (m: Module, args: Record<string, unknown>, check = false) => runModule(m, args, makeTaskContext(conn, { check }));
  const sh = async (cmd: string, stdin?: string) => {
    const r = await conn.exec(cmd, stdin === undefined ? {} : { stdin });
    return r.stdout;
  };

  /**
   * Start sampling the node's process list into /tmp/ps-NAME.log (unique lines) until stopSampling,
   * every `pause` seconds (0: back to back, for short-lived programs such as the mysql client).
   */
  async function startSampling(name: string, pause = 0): Promise<void> {
    const wait = pause ? `; sleep ${pause}` : '';
    await sh(`rm -f /tmp/ps-stop; (end=$(($(date +%s)+600)); while [ $(date +%s) -lt $end ] && [ ! -e /tmp/ps-stop ]; do ps -ww -eo args${wait}; done | awk '!seen[$0]++' > /tmp/ps-${name}.log 2>&1) >/dev/null 2>&1 &`);
  }

  /**
   * Stop sampling; which of `secrets` the log holds (none, we hope) and whether each of `programs`
   * was seen. A canary put in argv on purpose just before must be found: the check works.
   */
  async function stopSampling(name: string, secrets: string[], programs: RegExp[]): Promise<{ leaked: string[]; seen: boolean[] }> {
    const canary = secret('Canary');
    await sh(`sh -c 'sleep 0.6' ${canary}`);
    await sh('touch /tmp/ps-stop; sleep 0.5');
    const log = `/tmp/ps-${name}.log`;
    // Patterns on stdin: the check itself never puts a secret in argv.
    const hits = (await sh(`grep -o -F -f - ${log} | sort -u; true`, [canary, ...secrets].join('\n') + '\n')).split('\n').filter(Boolean);
    expect(hits, 'the sampler saw the canary in argv').toContain(canary);
    const all = await sh(`cat ${log}`);
    return { leaked: hits.filter((h) => h !== canary), seen: programs.map((re) => re.test(all)) };
  }

  beforeAll(async () => {
    assertSubnetFree(ENV.DROVER_SUBNET, ENV.DROVER_BRIDGE);
    seedBaseImage(HOME);
    await p.destroy(LAB);
    await p.up(LAB, NODES);
    conn = createConnection({
      name: 'secnode',
      kind: 'ssh',
      host: p.place(NODES)[0]!.ip,
      port: 22,
      user: 'root',
      privateKeyFile: p.paths.sshKey(LAB),
      hostKeyChecking: 'strict',
      knownHostsFile: p.paths.knownHosts(LAB),
      connectTimeoutMs: 10_000,
      connectRetries: 3,
      keepaliveIntervalMs: 5000,
    });
    await conn.open();
    expect((await run(aptModule, { name: ['mariadb-server', 'rabbitmq-server', 'curl', 'procps'], update_cache: true })).changed).toBe(true);
  });

  afterAll(async () => {
    await conn?.close();
    await p.destroy(LAB);
  });

  it('mysql_user and mysql_db: account passwords on stdin, the login password through a 0600 option file', async () => {
    const rootPw = secret('RootPw');
    const userPws = [secret('UserPw1'), secret('UserPw2'), secret('UserPw3')];
    await startSampling('mysql');
    expect((await run(mysqlUserModule, { name: 'root', password: rootPw })).changed).toBe(true);
    const login = { login_user: 'root', login_password: rootPw, login_host: '127.0.0.1' };
    expect((await run(mysqlDbModule, { name: 'secrets_db', ...login })).changed).toBe(true);
    for (const pw of userPws) {
      expect((await run(mysqlUserModule, { name: 'app', host: 'localhost', password: pw, priv: 'secrets_db.*:ALL', ...login })).changed).toBe(true);
      expect((await run(mysqlUserModule, { name: 'app', host: 'localhost', password: pw, priv: 'secrets_db.*:ALL', ...login })).changed).toBe(false);
    }
    const r = await stopSampling('mysql', [rootPw, ...userPws], [/^mysql --defaults-extra-file=/m]);
    expect(r.leaked).toEqual([]);
    expect(r.seen, 'the sampler saw the mysql client run with a login password').toEqual([true]);
    // The option file is gone.
    expect(await sh('ls /tmp/tmp.* 2>/dev/null | wc -l')).toBe('0\n');
  });

  it('rabbitmq_user: add_user, change_password and authenticate_user read the password on stdin', async () => {
    const pws = [secret('RabbitPw1'), secret('RabbitPw2')];
    await startSampling('rabbit', 0.1); // rabbitmqctl runs for a second or more
    const u = { user: 'openstack', update_password: 'always', vhost: '/', configure_priv: '.*', read_priv: '.*', write_priv: '.*' };
    expect((await run(rabbitmqUserModule, { ...u, password: pws[0] })).changed).toBe(true); // add_user
    expect((await run(rabbitmqUserModule, { ...u, password: pws[0] })).changed).toBe(false); // authenticate_user accepts it
    expect((await run(rabbitmqUserModule, { ...u, password: pws[1] })).changed).toBe(true); // change_password
    expect((await run(rabbitmqUserModule, { ...u, password: pws[1] })).changed).toBe(false);
    const r = await stopSampling('rabbit', pws, [/rabbitmqctl.* add_user/, /rabbitmqctl.* change_password/, /rabbitmqctl.* authenticate_user/]);
    expect(r.leaked).toEqual([]);
    expect(r.seen, 'the sampler saw rabbitmqctl add_user, change_password and authenticate_user').toEqual([true, true, true]);
    expect((await conn.exec('rabbitmqctl -q authenticate_user openstack', { stdin: `${pws[1]}\n` })).rc).toBe(0);
  });

  it('os_* modules: the admin password, the token and user passwords travel in curl\'s config on stdin', async () => {
    const adminPw = secret('AdminPw');
    const token = secret('gAAAAAToken');
    const userPws = [secret('OsUserPw1'), secret('OsUserPw2')];
    const ks = fakeKeystone(adminPw, token);
    const authUrl = await ks.listen(p.cfg.bridgeIp);
    clearSessions();
    try {
      await startSampling('os', 0.05); // each curl waits 300 ms for the fake Keystone
      const auth = { auth: { auth_url: authUrl, username: 'admin', password: adminPw, project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' }, api_timeout: 5 };
      expect((await run(osProjectModule, { ...auth, name: 'service', description: 'Service Project' })).changed).toBe(true);
      expect((await run(osKeystoneRoleModule, { ...auth, name: 'member' })).changed).toBe(true);
      expect((await run(osUserModule, { ...auth, name: 'glance', password: userPws[0], update_password: 'always', default_project: 'service' })).changed).toBe(true);
      expect((await run(osUserModule, { ...auth, name: 'glance', password: userPws[0], update_password: 'always', default_project: 'service' })).changed).toBe(false); // authenticates as glance
      expect((await run(osUserModule, { ...auth, name: 'glance', password: userPws[1], update_password: 'always', default_project: 'service' })).changed).toBe(true); // PATCH password
      expect((await run(osUserRoleModule, { ...auth, user: 'glance', role: 'member', project: 'service' })).changed).toBe(true);
      expect((await run(osUserRoleModule, { ...auth, user: 'glance', role: 'member', project: 'service' })).changed).toBe(false);
      expect((await run(osKeystoneServiceModule, { ...auth, name: 'glance', service_type: 'image', description: 'OpenStack Image' })).changed).toBe(true);
      expect((await run(osKeystoneEndpointModule, { ...auth, service: 'glance', endpoint_interface: 'public', url: 'http://controller:9292', region: 'RegionOne' })).changed).toBe(true);
      const r = await stopSampling('os', [adminPw, token, ...userPws], [/^curl -q -K -$/m]);
      expect(r.leaked).toEqual([]);
      expect(r.seen, 'the sampler saw curl run').toEqual([true]);
      // They did reach the API: the admin password in a token request, the token on every call, the user's new password in a PATCH.
      expect(ks.received.some((x) => x.startsWith('POST /v3/auth/tokens') && x.includes(adminPw))).toBe(true);
      expect(ks.received.filter((x) => x.includes(` ${token} `)).length).toBeGreaterThan(8);
      expect(ks.received.some((x) => x.startsWith('PATCH /v3/users/') && x.includes(userPws[1]!))).toBe(true);
      expect(ks.passwords.get('glance')).toBe(userPws[1]);
    } finally {
      ks.server.close();
    }
  });
});
