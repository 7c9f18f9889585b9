import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { LocalProvider } from '../../src/providers/local/provider.js';
import type { LabNode } from '../../src/providers/types.js';
import { createConnection } from '../../src/transport/factory.js';
import type { Connection } from '../../src/transport/connection.js';
import type { Module } from '../../src/modules/types.js';
import { aptModule } from '../../src/modules/apt.js';
import { serviceModule } from '../../src/modules/service.js';
import { mysqlDbModule } from '../../src/modules/mysql_db.js';
import { mysqlUserModule } from '../../src/modules/mysql_user.js';
import { rabbitmqUserModule } from '../../src/modules/rabbitmq_user.js';
import { getUrlModule } from '../../src/modules/get_url.js';
import { makeTaskContext, runModule } from '../helpers/task-context.js';
import { assertSubnetFree, seedBaseImage } from './lab-helpers.js';

/**
 * The system modules against a real, fresh Debian 12 node (systemd-nspawn,
 * systemd inside, apt through apt-cacher-ng): check-mode predictions equal
 * the real changes, second runs change nothing, failures carry apt's message
 * and the unit's journal, and no password is ever visible in `ps`.
 * Own DROVER_HOME/subnet/bridge (DROVER_E2E_MODULES_HOME, default
 * /var/lib/drover-e2e-modules; 10.92.0.0/24): it touches no one's lab. Needs root.
 */
const HOME = process.env.DROVER_E2E_MODULES_HOME ?? '/var/lib/drover-e2e-modules';
const ENV = { ...process.env, DROVER_HOME: HOME, DROVER_SUBNET: process.env.DROVER_E2E_MODULES_SUBNET ?? '10.92.0.0/24', DROVER_BRIDGE: 'drover-e2e-mod', DROVER_MACHINE_PREFIX: 'em-' };
const LAB = 'e2e-modules';
const NODES: LabNode[] = [{ name: 'modnode', group: 'controller_nodes', hostOctet: 51 }];
const isRoot = process.getuid?.() === 0;


describe.skipIf(!isRoot)('system modules on a real node', () => {
  const p = new LocalProvider({ env: ENV, log: (m) => process.stderr.write(`  [drover] ${m}\n`) });
  let conn: Connection;
  let server: Server;
  let serverUrl = '';
  let served = 'first version of the file\n';
  const ctx = (check = false) => makeTaskContext(conn, { check });
  const sh = async (cmd: string) => (await conn.exec(cmd)).stdout;
  const run = (m: Module, args: Record<string, unknown>, check = false) => runModule(m, args, ctx(check));
  const summaries = (r: { plan: { changes: Array<{ summary: string }> } }) => r.plan.changes.map((c) => c.summary.replace(/ \((the database server is not there yet|RabbitMQ is not installed yet|not installed yet: an earlier task must install it)\)$/, ''));

  beforeAll(async () => {
    assertSubnetFree(ENV.DROVER_SUBNET, ENV.DROVER_BRIDGE);
    seedBaseImage(HOME);
    await p.destroy(LAB);
    await p.up(LAB, NODES);
    const ip = p.place(NODES)[0]!.ip;
    conn = createConnection({
      name: 'modnode',
      kind: 'ssh',
      host: ip,
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
    server = createServer((req, res) => {
      if (req.url === '/file.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(served);
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, p.cfg.bridgeIp, () => r()));
    const addr = server.address();
    serverUrl = `http://${p.cfg.bridgeIp}:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    await conn?.close();
    server?.close();
    await p.destroy(LAB);
  });

  it('apt: check mode on a fresh node predicts the installs the real run makes; then nothing to do', async () => {
    const args = { name: ['memcached', 'tree'], update_cache: true, cache_valid_time: 3600 };
    const predicted = await run(aptModule, args, true);
    expect(predicted.changed).toBe(true);
    const installs = (r: { plan: { changes: Array<{ summary: string }> } }) => r.plan.changes.map((c) => c.summary).filter((s) => s.startsWith('install '));
    expect(installs(predicted)).toEqual(['install memcached', 'install tree']);
    const real = await run(aptModule, args);
    expect(real.changed).toBe(true);
    expect(installs(real)).toEqual(installs(predicted));
    expect(await sh("dpkg-query -W -f='${db:Status-Abbrev}' memcached tree")).toBe('ii ii ');
    const again = await run(aptModule, args);
    expect(again.changed).toBe(false);
    expect(again.plan.result).toMatchObject({ cache_updated: false });
    expect((await run(aptModule, args, true)).changed).toBe(false);
    // absent: predicted, done, then nothing.
    expect(summaries(await run(aptModule, { name: 'tree', state: 'absent' }, true))).toEqual([expect.stringMatching(/^remove tree /)]);
    expect((await run(aptModule, { name: 'tree', state: 'absent' })).changed).toBe(true);
    expect((await run(aptModule, { name: 'tree', state: 'absent' })).changed).toBe(false);
  });

  it('apt: a package that does not exist fails with apt\'s message (real run and check mode)', async () => {
    await expect(run(aptModule, { name: 'no-such-package-drover' })).rejects.toThrow(/E: Unable to locate package no-such-package-drover/);
    await expect(run(aptModule, { name: 'no-such-package-drover' }, true)).rejects.toThrow(/Unable to locate package/);
  });

  it('service: predictions equal the real steps; a unit that fails to start shows its journal', async () => {
    const stop = { name: 'memcached', state: 'stopped', enabled: false };
    const predicted = await run(serviceModule, stop, true);
    expect(summaries(predicted)).toEqual(['disable memcached', 'stop memcached']);
    expect(summaries(await run(serviceModule, stop))).toEqual(summaries(predicted));
    expect((await sh('systemctl is-active memcached; systemctl is-enabled memcached')).split('\n').slice(0, 2)).toEqual(['inactive', 'disabled']);
    const start = { name: 'memcached', state: 'started', enabled: true };
    expect(summaries(await run(serviceModule, start, true))).toEqual(['enable memcached', 'start memcached (now inactive)']);
    expect((await run(serviceModule, start)).changed).toBe(true);
    expect((await run(serviceModule, start)).changed).toBe(false);
    expect((await run(serviceModule, { name: 'memcached', state: 'restarted' })).changed).toBe(true);

    await conn.exec(
      "printf '[Unit]\\nDescription=drover failing unit\\n[Service]\\nType=oneshot\\nExecStart=/bin/sh -c \"echo drover-boom-marker >&2; exit 3\"\\n' > /etc/systemd/system/drover-fail.service",
    );
    const err = await run(serviceModule, { name: 'drover-fail', state: 'started', daemon_reload: true }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/systemctl start drover-fail failed/);
    expect((err as Error).message).toMatch(/--- journalctl -u drover-fail -n 20/);
    expect((err as Error).message).toMatch(/drover-boom-marker/);
    await expect(run(serviceModule, { name: 'no-such-unit-drover', state: 'started' })).rejects.toThrow(/could not find the requested service/);
  });

  it('mysql_db / mysql_user: predictions, idempotence, password change detected, unix_socket kept, no password in ps', async () => {
    await run(aptModule, { name: 'mariadb-server' });
    const db = { name: 'drover_e2e', encoding: 'utf8mb4' };
    const user = { name: 'drover', host: 'localhost', password: 'Fi7st-Pass-word', priv: 'drover_e2e.*:ALL' };
    const pd = await run(mysqlDbModule, db, true);
    const pu = await run(mysqlUserModule, user, true);
    expect(summaries(pd)).toEqual(['create database drover_e2e character set utf8mb4']);
    expect(summaries(pu)).toEqual(["create user 'drover'@'localhost' with a password", "'drover'@'localhost': privileges on drover_e2e.*: (none) -> ALL PRIVILEGES"]);
    expect(summaries(await run(mysqlDbModule, db))).toEqual(summaries(pd));
    expect(summaries(await run(mysqlUserModule, user))).toEqual(summaries(pu));
    expect((await run(mysqlDbModule, db)).changed).toBe(false);
    expect((await run(mysqlUserModule, user)).changed).toBe(false);
    expect((await run(mysqlUserModule, user, true)).changed).toBe(false);
    // A different password is detected by the server-side hash comparison.
    const changedPw = { ...user, password: 'Sec0nd-Pass-word' };
    expect(summaries(await run(mysqlUserModule, changedPw, true))).toEqual(["'drover'@'localhost': set the password"]);

    // Root: a password, and the unix socket login kept (`sudo mysql` keeps working).
    const rootArgs = { name: 'root', password: 'R00t-Pass-word' };
    expect((await run(mysqlUserModule, rootArgs)).changed).toBe(true);
    expect((await run(mysqlUserModule, rootArgs)).changed).toBe(false);
    expect(await sh('mysql -N -B -e "select current_user()"')).toBe('root@localhost\n');
    // Login with a password over TCP (through the 0600 option file).
    expect((await run(mysqlDbModule, { name: 'drover_tcp', login_host: '127.0.0.1', login_user: 'root', login_password: 'R00t-Pass-word' })).changed).toBe(true);

    // ps on the node while passwords are set: sample fast in the background, then look.
    await conn.exec('(end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ] && [ ! -e /tmp/ps-stop ]; do ps -eo args; done > /tmp/ps.log 2>&1) >/dev/null 2>&1 &');
    const pws = ['Th1rd-Pass-word', 'F0urth-Pass-word', 'F1fth-Pass-word', 'S1xth-Pass-word', 'Sev3nth-Pass-word'];
    for (const pw of pws) {
      expect((await run(mysqlUserModule, { ...user, password: pw, login_user: 'root', login_password: 'R00t-Pass-word', login_host: '127.0.0.1' })).changed).toBe(true);
    }
    await conn.exec('touch /tmp/ps-stop; sleep 0.3');
    const ps = await sh('cat /tmp/ps.log');
    expect(ps).toMatch(/mysql --defaults-extra-file=/); // the sampler did see the client running
    for (const pw of [...pws, 'R00t-Pass-word']) expect(ps.includes(pw)).toBe(false);
    // The option file is gone.
    expect(await sh('ls /tmp/tmp.* 2>/dev/null | wc -l')).toBe('0\n');
  });

  it('rabbitmq_user: predicted = real, second run no change, a changed password is detected (and authenticate_user agrees)', async () => {
    await run(aptModule, { name: 'rabbitmq-server' });
    const u = { user: 'openstack', password: 'Rabb1t-Pass-word', update_password: 'always', vhost: '/', configure_priv: '.*', read_priv: '.*', write_priv: '.*' };
    const predicted = await run(rabbitmqUserModule, u, true);
    expect(summaries(predicted)).toEqual(['add user openstack with a password', 'openstack: permissions on vhost /: (none) -> .* .* .* (configure write read)']);
    expect(summaries(await run(rabbitmqUserModule, u))).toEqual(summaries(predicted));
    expect((await run(rabbitmqUserModule, u)).changed).toBe(false);
    const changed = { ...u, password: 'Rabb1t-Other-word' };
    expect(summaries(await run(rabbitmqUserModule, changed, true))).toEqual(["openstack: change the password (the stored hash is not the wanted password's)"]);
    expect((await run(rabbitmqUserModule, changed)).changed).toBe(true);
    expect((await conn.exec('rabbitmqctl -q authenticate_user openstack', { stdin: 'Rabb1t-Other-word\n' })).rc).toBe(0);
    expect((await run(rabbitmqUserModule, changed)).changed).toBe(false);
  });

  it('get_url: served by the test; checksum, force, file://', async () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const a = { url: `${serverUrl}/file.txt`, dest: '/root/file.txt', mode: '0640' };
    expect(summaries(await run(getUrlModule, a, true))).toEqual([`download ${a.url} to /root/file.txt`]);
    expect((await run(getUrlModule, a)).changed).toBe(true);
    expect(await sh('cat /root/file.txt; stat -c %a /root/file.txt')).toBe(`${served}640\n`);
    expect((await run(getUrlModule, a)).changed).toBe(false);
    expect((await run(getUrlModule, { ...a, force: true })).changed).toBe(false);
    served = 'second version\n';
    expect((await run(getUrlModule, a)).changed).toBe(false); // not forced: an existing file stays
    expect((await run(getUrlModule, { ...a, force: true })).changed).toBe(true);
    expect(await sh('cat /root/file.txt')).toBe(served);
    expect((await run(getUrlModule, { ...a, checksum: `sha256:${sha(served)}` })).changed).toBe(false);
    await expect(run(getUrlModule, { ...a, dest: '/root/other.txt', checksum: `sha256:${sha('nope')}` })).rejects.toThrow(/not .* as the checksum argument says/);
    expect(await sh('ls /root/other.txt 2>&1')).toMatch(/No such file/);
    await expect(run(getUrlModule, { url: `${serverUrl}/missing`, dest: '/root/m.txt' })).rejects.toThrow(/downloading .* failed/);
    expect((await run(getUrlModule, { url: 'file:///etc/hostname', dest: '/root/hostname.copy' })).changed).toBe(true);
    expect(await sh('cat /root/hostname.copy')).toBe('modnode\n');
  });
});
