/**
 * Planning of the system modules (apt, service, mysql_db, mysql_user,
 * rabbitmq_user, debconf, apt_repository, get_url) from recorded target
 * output: given facts + args -> expected changes and commands. The recorded
 * outputs were taken from a Debian 12 lab node (MariaDB 10.11, RabbitMQ 3.10).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { aptModule, cacheIsStale, decidePackages, parseSpec } from '../../../src/modules/apt.js';
import { parseCacheAge, parsePolicy, parseSimulation } from '../../../src/facts/apt.js';
import { parseInstalled } from '../../../src/facts/dpkg.js';
import { actionCommand, decideService, serviceModule } from '../../../src/modules/service.js';
import { parseUnitState, unitStateCommand } from '../../../src/facts/systemd.js';
import { decideDbs, mysqlDbModule } from '../../../src/modules/mysql_db.js';
import { decideUser, grantsAsPrivs, mysqlUserModule, parsePrivs } from '../../../src/modules/mysql_user.js';
import { mysqlInvocation, optionFileValue, parseAccount, parseGrants, sqlString } from '../../../src/facts/mysql.js';
import { decideRabbit, rabbitmqUserModule } from '../../../src/modules/rabbitmq_user.js';
import { parseRead, passwordMatches, readCommand } from '../../../src/facts/rabbitmq.js';
import { debconfModule } from '../../../src/modules/debconf.js';
import { parseDebconfValue } from '../../../src/facts/debconf.js';
import { aptRepositoryModule, editSources, repoFileName } from '../../../src/modules/apt_repository.js';
import { getUrlModule, urlFileName } from '../../../src/modules/get_url.js';
import { getModule } from '../../../src/modules/registry.js';
import { recordedContext } from './recorded-context.js';

const DPKG = [
  'adduser\t3.134\tii ',
  'chrony\t4.3-2+deb12u1\tii ',
  'libc6\t2.36-9+deb12u10\tii ',
  'libc6\t2.36-9+deb12u10\tii ',
  'memcached\t1.6.18-1\trc ',
  'less\t590-2.1~deb12u2\tii ',
].join('\n');

const POLICY = `chrony:
  Installed: 4.3-2+deb12u1
  Candidate: 4.3-2+deb12u2
  Version table:
     4.3-2+deb12u2 500
less:
  Installed: 590-2.1~deb12u2
  Candidate: 590-2.1~deb12u2
nosuch:
  Installed: (none)
  Candidate: (none)
`;

const SIM_MEMCACHED = `NOTE: This is only a simulation!
Reading package lists...
The following NEW packages will be installed:
  libevent-2.1-7 memcached
Inst libevent-2.1-7 (2.1.12-stable-8 Debian:12.12/stable [amd64])
Inst memcached (1.6.18-1 Debian:12.12/stable [amd64])
Conf libevent-2.1-7 (2.1.12-stable-8 Debian:12.12/stable [amd64])
Conf memcached (1.6.18-1 Debian:12.12/stable [amd64])
`;

describe('apt planning', () => {
  it('reads installed packages (installed = ii/hi; rc is not installed; multi-arch once)', () => {
    const m = parseInstalled(DPKG);
    expect(m['chrony']).toEqual({ version: '4.3-2+deb12u1', status: 'ii ' });
    expect(m['memcached']!.status).toBe('rc ');
    expect(Object.keys(m)).toHaveLength(5);
  });

  it('parses pins, rejects junk names before contacting a host', () => {
    expect(parseSpec('mariadb-server=1:10.11.*')).toMatchObject({ name: 'mariadb-server', version: '1:10.11.*' });
    expect(parseSpec('libc6:amd64')).toMatchObject({ name: 'libc6', arch: 'amd64' });
    expect(() => parseSpec('rm -rf /')).toThrow(/not a package name/);
  });

  it('decides present/latest/absent from facts', () => {
    const inst = parseInstalled(DPKG);
    expect(decidePackages([parseSpec('chrony'), parseSpec('memcached')], 'present', inst, undefined, false)).toMatchObject({
      install: ['memcached'],
      remove: [],
      changes: [{ summary: 'install memcached' }],
    });
    const pol = parsePolicy(POLICY);
    expect(pol['nosuch']).toEqual({});
    const latest = decidePackages([parseSpec('chrony'), parseSpec('less')], 'latest', inst, pol, false);
    expect(latest.install).toEqual(['chrony']);
    expect(latest.changes[0]!.summary).toBe('upgrade chrony 4.3-2+deb12u1 -> 4.3-2+deb12u2');
    expect(decidePackages([parseSpec('less'), parseSpec('memcached')], 'absent', inst, undefined, false).remove).toEqual(['less']);
    expect(decidePackages([parseSpec('memcached')], 'absent', inst, undefined, true).changes[0]!.summary).toMatch(/purge the configuration files/);
    expect(decidePackages([parseSpec('chrony=4.3-2+deb12u1')], 'present', inst, undefined, false).install).toEqual([]);
    expect(decidePackages([parseSpec('chrony=4.3*')], 'present', inst, undefined, false).install).toEqual([]);
    expect(decidePackages([parseSpec('chrony=4.4')], 'present', inst, undefined, false).install).toEqual(['chrony=4.4']);
  });

  it('cache_valid_time decides whether the index is refreshed', () => {
    expect(parseCacheAge('-\n1700000000\n1700000100\n')).toEqual({ mtime: 1700000000, now: 1700000100 });
    expect(parseCacheAge('1700000050\n1700000000\n1700000100\n').mtime).toBe(1700000050);
    expect(parseCacheAge('-\n-\n1700000100\n').mtime).toBeNull();
    expect(cacheIsStale(null, 100, 3600)).toBe(true);
    expect(cacheIsStale(1000, 2000, 3600)).toBe(false);
    expect(cacheIsStale(1000, 5000, 3600)).toBe(true);
    expect(cacheIsStale(1000, 1001, 0)).toBe(true);
  });

  it('reads the simulation', () => {
    expect(parseSimulation(SIM_MEMCACHED).inst.map((p) => p.name)).toEqual(['libevent-2.1-7', 'memcached']);
    expect(parseSimulation('Remv libfoo [1.0]\n').remv).toEqual(['libfoo']);
  });

  it('plans an install with ONE dpkg-query per host, simulation-checked, and no change on the second task', async () => {
    const dpkgAfter = DPKG.replace('memcached\t1.6.18-1\trc ', 'memcached\t1.6.18-1\tii ');
    const { ctx, sent } = recordedContext([{ stdout: DPKG }, { stdout: SIM_MEMCACHED }, { stdout: '' }, { stdout: dpkgAfter }]);
    const args = aptModule.schema.parse({ name: ['chrony', 'memcached'] });
    const plan = await aptModule.plan(ctx, args);
    expect(plan.changes.map((c) => c.summary)).toEqual(['install memcached', 'and 1 dependency: libevent-2.1-7']);
    expect(sent[0]!.command).toMatch(/^dpkg-query -W/);
    expect(sent[1]!.command).toBe("LC_ALL=C apt-get -s -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install memcached");
    // A second apt task on the same host reuses the cached facts: no dpkg-query.
    const again = await aptModule.plan(ctx, aptModule.schema.parse({ name: 'chrony' }));
    expect(again.changes).toEqual([]);
    expect(sent).toHaveLength(2);
    // Apply runs exactly the plan, noninteractively, and forgets the cached versions.
    await aptModule.apply(ctx, args, plan);
    expect(sent[2]!.command).toMatch(/^DEBIAN_FRONTEND=noninteractive .*apt-get -y -q .* install memcached$/);
    await aptModule.plan(ctx, aptModule.schema.parse({ name: 'memcached' }));
    expect(sent[3]!.command).toMatch(/^dpkg-query/);
  });

  it('fails in plan — also in check mode — with apt\'s own message for a package that does not exist', async () => {
    const { ctx } = recordedContext(
      [{ stdout: DPKG }, { rc: 100, stdout: 'Reading package lists...\n', stderr: 'E: Unable to locate package no-such-package-xyz\n' }],
      { check: true },
    );
    await expect(aptModule.plan(ctx, aptModule.schema.parse({ name: 'no-such-package-xyz' }))).rejects.toThrow(
      /apt cannot install no-such-package-xyz: E: Unable to locate package no-such-package-xyz/,
    );
  });

  it('refreshes a stale index while planning (not in check mode) and does not call it a change', async () => {
    const { ctx, sent } = recordedContext([{ stdout: '-\n1000\n99999\n' }, { stdout: 'Hit:1 http://deb.debian.org bookworm InRelease\n' }, { stdout: DPKG }]);
    const plan = await aptModule.plan(ctx, aptModule.schema.parse({ name: 'chrony', update_cache: true, cache_valid_time: 3600 }));
    expect(plan.changes).toEqual([]);
    expect(plan.result).toMatchObject({ changed: false, cache_updated: true });
    expect(sent[1]!.command).toMatch(/apt-get update -q && .*touch \/var\/lib\/apt\/periodic\/update-success-stamp/);
    // Check mode never refreshes.
    const c = recordedContext([{ stdout: '-\n1000\n99999\n' }, { stdout: DPKG }], { check: true });
    const p2 = await aptModule.plan(c.ctx, aptModule.schema.parse({ name: 'chrony', update_cache: true, cache_valid_time: 3600 }));
    expect(c.sent.map((s) => s.command).some((x) => /apt-get update/.test(x))).toBe(false);
    expect(p2.result).toMatchObject({ msg: expect.stringMatching(/not refreshed/) });
    // Fresh enough: no refresh at all.
    const f = recordedContext([{ stdout: '99000\n98000\n99999\n' }, { stdout: DPKG }]);
    await aptModule.plan(f.ctx, aptModule.schema.parse({ name: 'chrony', update_cache: true, cache_valid_time: 3600 }));
    expect(f.sent).toHaveLength(2);
  });

  it('rejects bad arguments at parse time', () => {
    expect(() => aptModule.schema.parse({ state: 'present' })).toThrow(/one of name, deb/);
    expect(() => aptModule.schema.parse({ name: 'a', pkg: 'b' })).toThrow(/aliases/);
    expect(() => aptModule.schema.parse({ deb: '/x.deb', state: 'absent' })).toThrow();
  });
});

const SHOW_ACTIVE = 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\nIsEnabled=enabled\n';
const SHOW_DEAD = 'LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=yes\nIsEnabled=disabled\n';
const SHOW_NONE = 'LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\nIsEnabled=\n';

describe('service planning', () => {
  const args = (a: Record<string, unknown>) => serviceModule.schema.parse(a);

  it('registers as service and systemd', () => {
    expect(getModule('systemd')).toBe(serviceModule);
    expect(getModule('ansible.builtin.service')).toBe(serviceModule);
  });

  it('reads the unit in one command', () => {
    const cmd = unitStateCommand('chrony');
    expect(cmd).toContain('systemctl show -p Id -p LoadState -p ActiveState -p SubState -p UnitFileState -p NeedDaemonReload -- chrony');
    // is-enabled only where show's UnitFileState may not be its answer (an alias, a SysV script).
    expect(cmd).toMatch(/\[ -n "\$_e" \] \|\| _e=\$\(systemctl is-enabled -- chrony 2>\/dev\/null\)/);
    expect(parseUnitState(SHOW_DEAD)).toMatchObject({ activeState: 'inactive', isEnabled: 'disabled', needDaemonReload: true });
  });

  it('decides steps from the state', () => {
    const dead = parseUnitState(SHOW_DEAD);
    const up = parseUnitState(SHOW_ACTIVE);
    expect(decideService(args({ name: 'x', state: 'started', enabled: true, daemon_reload: true }), dead, 'x').steps).toEqual(['daemon-reload', 'enable', 'start']);
    expect(decideService(args({ name: 'x', state: 'started', enabled: true }), up, 'x').steps).toEqual([]);
    expect(decideService(args({ name: 'x', state: 'stopped', enabled: false }), up, 'x').steps).toEqual(['disable', 'stop']);
    expect(decideService(args({ name: 'x', state: 'restarted' }), up, 'x').steps).toEqual(['restart']);
    expect(decideService(args({ name: 'x', state: 'reloaded' }), dead, 'x').steps).toEqual(['start']);
    expect(decideService(args({ name: 'x', masked: true }), up, 'x').steps).toEqual(['mask']);
    const masked = parseUnitState(SHOW_ACTIVE.replace('LoadState=loaded', 'LoadState=masked').replace('IsEnabled=enabled', 'IsEnabled=masked'));
    expect(() => decideService(args({ name: 'x', state: 'started' }), { ...masked, activeState: 'inactive' }, 'x')).toThrow(/masked/);
  });

  it('a missing unit fails a real run and a check with nothing predicted before it; after a predicted change it is unknown', async () => {
    const real = recordedContext([{ stdout: SHOW_NONE }]);
    await expect(serviceModule.plan(real.ctx, args({ name: 'nosuch', state: 'started' }))).rejects.toThrow(/could not find the requested service nosuch/);
    const alone = recordedContext([{ stdout: SHOW_NONE }], { check: true });
    await expect(serviceModule.plan(alone.ctx, args({ name: 'mariadb', state: 'started' }))).rejects.toThrow(/could not find the requested service mariadb/);
    const chk = recordedContext([{ stdout: SHOW_NONE }], { check: true, earlierChangesPredicted: true });
    const p = await serviceModule.plan(chk.ctx, args({ name: 'mariadb', state: 'started', enabled: true }));
    expect(p.changes).toEqual([]);
    expect(p.unknown).toMatch(/mariadb is not installed yet/);
  });

  it('a start that fails prints systemctl status and the journal (run in a real shell)', () => {
    const cmd = actionCommand('start', 'x', false);
    expect(cmd).toMatch(/journalctl -u x -n 20 --no-pager/);
    // A fake systemctl/journalctl on PATH shows the diagnostics reach stderr.
    const out = execFileSync(
      'bash',
      ['-c', `systemctl() { [ "$1" = start ] && return 5; echo "status of $*"; }; journalctl() { echo "journal: boom"; }; ( ${cmd} ) 2>&1; echo "rc=$?"`],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/--- systemctl status x\nstatus of status --no-pager -l -- x\n--- journalctl -u x -n 20\njournal: boom\nrc=5/);
  });
});

describe('mysql planning', () => {
  it('never puts a password in the command line', () => {
    const inv = mysqlInvocation({ login_password: 'Xq"zz\\word', login_port: 3306, login_unix_socket: '/run/mysqld/mysqld.sock', connect_timeout: 30, login_user: 'root' }, 'SELECT 1;\n');
    expect(inv.command).not.toMatch(/Xq/);
    expect(inv.stdin).toBe('"Xq\\"zz\\\\word"\nSELECT 1;\n');
    expect(inv.command).toMatch(/mysql --defaults-extra-file="\$f" -u root --protocol=SOCKET -S \/run\/mysqld\/mysqld.sock/);
    expect(() => optionFileValue('a\nb')).toThrow(/line break/);
    expect(sqlString("it's \\ x")).toBe("'it\\'s \\\\ x'");
  });

  it('the option-file trick works in a real shell (password read from stdin, file 0600, removed)', () => {
    const inv = mysqlInvocation({ login_password: 's3cr"et', login_port: 3306, login_unix_socket: '/s', connect_timeout: 30 }, 'SQL\n');
    const script = inv.command.replace(/mysql --defaults-extra-file="\$f".*$/, 'stat -c %a "$f"; cat "$f"; cat; echo "$f"');
    const out = execFileSync('bash', ['-c', script], { input: inv.stdin, encoding: 'utf8' });
    const lines = out.split('\n');
    const file = lines.slice(-2)[0]!;
    expect(lines.slice(0, -2).join('\n') + '\n').toBe('600\n[client]\npassword="s3cr\\"et"\nSQL\n');
    expect(existsSync(file)).toBe(false);
  });

  it('databases: create, alter an explicit encoding mismatch, drop', () => {
    const have = { keystone: { charset: 'utf8mb3', collation: 'utf8mb3_general_ci' } };
    const a = (x: Record<string, unknown>) => mysqlDbModule.schema.parse({ name: 'x', ...x });
    expect(decideDbs(a({}), ['keystone', 'glance'], have).sql).toEqual(['CREATE DATABASE `glance`;']);
    expect(decideDbs(a({ encoding: 'utf8' }), ['keystone'], have).sql).toEqual([]);
    expect(decideDbs(a({ encoding: 'utf8mb4' }), ['keystone'], have).sql).toEqual(['ALTER DATABASE `keystone` CHARACTER SET utf8mb4;']);
    expect(decideDbs(a({ state: 'absent' }), ['keystone', 'glance'], have).sql).toEqual(['DROP DATABASE `keystone`;']);
  });

  const ROOT_PRIV = '{"access":549755813887,"plugin":"mysql_native_password","authentication_string":"*79D0CF9A6A052105DA1E1181406C34FC87AAC89D","auth_or":[{},{"plugin":"unix_socket"}]}';
  const KS_GRANTS = [
    "GRANT USAGE ON *.* TO `keystone`@`localhost` IDENTIFIED BY PASSWORD '*2B60'",
    'GRANT ALL PRIVILEGES ON `keystone`.* TO `keystone`@`localhost`',
    'GRANT SELECT, INSERT ON `mysql`.* TO `keystone`@`localhost` WITH GRANT OPTION',
  ];

  it('privileges: Ansible syntax and SHOW GRANTS compare equal', () => {
    expect(parsePrivs('keystone.*:ALL/mysql.*:SELECT,insert,GRANT')).toEqual(grantsAsPrivs(parseGrants(KS_GRANTS)));
    expect(parsePrivs({ '*.*': 'ALL,GRANT' }).get('*.*')).toEqual(new Set(['ALL PRIVILEGES', 'GRANT']));
    expect(() => parsePrivs('keystone:ALL')).toThrow(/db.table/);
  });

  it('accounts: the server-computed hash decides the password; unix_socket is kept', () => {
    const s = parseAccount(`A\t${ROOT_PRIV}\nH\t*79D0CF9A6A052105DA1E1181406C34FC87AAC89D\nGRANT ALL PRIVILEGES ON *.* TO \`root\`@\`localhost\` WITH GRANT OPTION\n`);
    expect(s).toMatchObject({ exists: true, unixSocket: true, nativeHashes: ['*79D0CF9A6A052105DA1E1181406C34FC87AAC89D'] });
    const args = (x: Record<string, unknown>) => mysqlUserModule.schema.parse({ name: 'root', password: 'pw', ...x });
    expect(decideUser(args({}), s)).toEqual({ sql: [], changes: [] });
    const other = decideUser(args({}), { ...s, wantedHash: '*OTHER' });
    expect(other.sql).toEqual(["ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('pw') OR unix_socket;"]);
    expect(other.changes.map((c) => c.summary).join()).not.toMatch(/pw/);
    // Debian's fresh root: 'invalid' native string, unix_socket login.
    const fresh = parseAccount(`A\t${ROOT_PRIV.replace(/\*79D0[0-9A-F]+/, 'invalid')}\nH\t*79D0\n`);
    expect(decideUser(args({}), fresh).sql[0]).toMatch(/OR unix_socket;$/);
  });

  it('accounts: create with privileges, then revoke what is not wanted', () => {
    const none = parseAccount('H\t*2B60\n');
    expect(none.exists).toBe(false);
    const a = mysqlUserModule.schema.parse({ name: 'keystone', password: 'x', priv: 'keystone.*:ALL', host: '%' });
    expect(decideUser(a, none).sql).toEqual([
      "CREATE USER 'keystone'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('x');",
      "GRANT ALL PRIVILEGES ON `keystone`.* TO 'keystone'@'%';",
    ]);
    const have = { exists: true, nativeHashes: ['*2B60'], unixSocket: false, wantedHash: '*2B60', grants: parseGrants(KS_GRANTS) };
    const b = mysqlUserModule.schema.parse({ name: 'keystone', password: 'x', priv: 'keystone.*:ALL' });
    expect(decideUser(b, have).sql).toEqual([
      "REVOKE ALL PRIVILEGES ON `mysql`.* FROM 'keystone'@'localhost';",
      "REVOKE GRANT OPTION ON `mysql`.* FROM 'keystone'@'localhost';",
    ]);
    expect(decideUser(mysqlUserModule.schema.parse({ name: 'keystone', priv: 'keystone.*:ALL', append_privs: true }), have).sql).toEqual([]);
  });

  it('plan sends the password only on stdin and marks it secret', async () => {
    const { ctx, sent, secrets } = recordedContext([{ stdout: `A\t${ROOT_PRIV}\nH\t*79D0CF9A6A052105DA1E1181406C34FC87AAC89D\n` }]);
    const p = await mysqlUserModule.plan(ctx, mysqlUserModule.schema.parse({ name: 'root', password: 'Sup3rSecret' }));
    expect(p.changes).toEqual([]);
    expect(sent[0]!.command).not.toMatch(/Sup3rSecret/);
    expect(String(sent[0]!.opts?.stdin)).toMatch(/PASSWORD\('Sup3rSecret'\)/);
    expect(secrets).toContain('Sup3rSecret');
    expect(mysqlUserModule.secretArgs).toEqual(['password', 'login_password']);
  });
});

describe('rabbitmq_user planning', () => {
  // What `rabbitmqctl -q eval` prints: the base64 JSON as an Erlang binary. The hash is
  // RabbitMQ's sha256 scheme, made here for the password 'pw' with salt 17 7a 5f 2a.
  const hashOf = (pw: string, alg = 'sha256', salt = Buffer.from([0x17, 0x7a, 0x5f, 0x2a])) =>
    Buffer.concat([salt, createHash(alg).update(Buffer.concat([salt, Buffer.from(pw)])).digest()]).toString('base64');
  const held = (x: Record<string, unknown> = {}) => ({
    exists: true, tags: [], hash: hashOf('pw'), algorithm: 'rabbit_password_hashing_sha256',
    perms: [{ vhost: '/', configure: '.*', write: '.*', read: '.*' }], ...x,
  });
  const OUT = (h: Record<string, unknown>) => `<<"${Buffer.from(JSON.stringify(h)).toString('base64')}">>\n`;
  const args = (x: Record<string, unknown>) =>
    rabbitmqUserModule.schema.parse({ user: 'openstack', password: 'pw', update_password: 'always', configure_priv: '.*', read_priv: '.*', write_priv: '.*', ...x });

  it('reads the user, its permissions and its hash with one rabbitmqctl eval; names go in base64, no password is sent', () => {
    const cmd = readCommand("o'penstack", '/');
    expect(cmd.match(/rabbitmqctl -q eval/g)).toHaveLength(2); // the read, and the same read after await_startup
    expect(cmd).toContain(Buffer.from("o'penstack").toString('base64'));
    expect(cmd).not.toMatch(/authenticate_user|o'penstack/);
    expect(parseRead(OUT(held()), 'openstack', '/', 'pw')).toEqual({ exists: true, tags: [], perms: { configure: '.*', write: '.*', read: '.*' }, passwordOk: true });
    expect(parseRead(OUT({ exists: false }), 'nobody', '/').exists).toBe(false);
    // A long binary split over lines, as Erlang's printer may write it.
    const b64 = Buffer.from(JSON.stringify(held({ tags: ['monitoring'] }))).toString('base64');
    expect(parseRead(`<<"${b64.slice(0, 40)}"\n  "${b64.slice(40)}">>\n`, 'openstack', '/', 'pw')).toMatchObject({ tags: ['monitoring'], passwordOk: true });
  });

  it("checks the password against RabbitMQ's salted hashes here: sha256, sha512, md5; none set; an unknown module is an error", () => {
    expect(passwordMatches('rabbit_password_hashing_sha256', hashOf('pw'), 'pw')).toBe(true);
    expect(passwordMatches('rabbit_password_hashing_sha256', hashOf('pw'), 'pW')).toBe(false);
    expect(passwordMatches('rabbit_password_hashing_sha512', hashOf('pw', 'sha512'), 'pw')).toBe(true);
    expect(passwordMatches('rabbit_password_hashing_md5', hashOf('pw', 'md5'), 'pw')).toBe(true);
    expect(passwordMatches('undefined', hashOf('pw', 'md5'), 'pw')).toBe(true);
    expect(passwordMatches('rabbit_password_hashing_sha256', '', 'pw')).toBe(false); // clear_password
    expect(passwordMatches('my_plugin_hashing', hashOf('pw'), 'pw')).toBeUndefined();
    expect(() => parseRead(OUT(held({ algorithm: 'my_plugin_hashing' })), 'openstack', '/', 'pw')).toThrow(/hashed with my_plugin_hashing.*update_password: on_create/);
  });

  it("update_password defaults to on_create, as community.rabbitmq's", () => {
    expect(rabbitmqUserModule.schema.parse({ user: 'openstack', password: 'pw' }).update_password).toBe('on_create');
  });

  it('nothing to do when the password matches and permissions match; a changed password is detected', () => {
    const read = (h: Record<string, unknown>, pw = 'pw') => parseRead(OUT(held(h)), 'openstack', '/', pw);
    expect(decideRabbit(args({}), read({})).steps).toEqual([]);
    expect(decideRabbit(args({}), read({}, 'other')).steps).toEqual([{ op: 'password' }]);
    expect(decideRabbit(args({ update_password: 'on_create' }), parseRead(OUT(held()), 'openstack', '/')).steps).toEqual([]);
    expect(decideRabbit(args({}), read({ perms: [] })).steps).toEqual([{ op: 'perms' }]);
    expect(decideRabbit(args({}), read({ perms: [{ vhost: '/other', configure: '.*', write: '.*', read: '.*' }] })).steps).toEqual([{ op: 'perms' }]);
    expect(decideRabbit(args({ tags: 'monitoring' }), read({})).steps).toEqual([{ op: 'tags', tags: ['monitoring'] }]);
    expect(decideRabbit(args({}), { exists: false, tags: [] }).steps).toEqual([{ op: 'add' }, { op: 'perms' }]);
    expect(decideRabbit(args({ state: 'absent' }), read({})).steps).toEqual([{ op: 'delete' }]);
  });

  it('plan: the password goes nowhere (no argv, no stdin); it is checked on this machine', async () => {
    const { ctx, sent } = recordedContext([{ stdout: OUT(held({ hash: hashOf('R4bbitSecret') })) }]);
    const p = await rabbitmqUserModule.plan(ctx, args({ password: 'R4bbitSecret' }));
    expect(p.changes).toEqual([]);
    expect(sent[0]!.command).not.toMatch(/R4bbitSecret/);
    expect(sent[0]!.opts?.stdin).toBeUndefined();
  });
});

describe('debconf, apt_repository, get_url planning', () => {
  it('debconf compares the stored value (passwords.dat too)', async () => {
    expect(parseDebconfValue('Name: keystone/configure_db\nTemplate: keystone/configure_db\nValue: false\nOwners: keystone\n\n')).toBe('false');
    expect(parseDebconfValue('')).toBeUndefined();
    const same = recordedContext([{ stdout: 'Name: k/q\nValue: true\n' }]);
    expect((await debconfModule.plan(same.ctx, debconfModule.schema.parse({ name: 'k', question: 'k/q', vtype: 'boolean', value: true }))).changes).toEqual([]);
    expect(same.secrets).toEqual([]); // a boolean answer is no secret: masking "true" would mangle the whole run's output
    expect(debconfModule.secretArgs ?? []).not.toContain('value');
    const pw = recordedContext([{ stdout: 'Name: k/pw\nValue: old\n' }]);
    const p = await debconfModule.plan(pw.ctx, debconfModule.schema.parse({ name: 'k', question: 'k/pw', vtype: 'password', value: 'newSecret' }));
    expect(p.changes[0]!.summary).toBe('debconf k/pw: (another) -> (a password)');
    expect(pw.secrets).toContain('newSecret');
  });

  it('apt_repository edits one line and names the file like Ansible', () => {
    const repo = 'deb http://ubuntu-cloud.archive.canonical.com/ubuntu jammy-updates/yoga main';
    expect(repoFileName(repo)).toBe('ubuntu_cloud_archive_canonical_com_ubuntu');
    expect(repoFileName('deb [signed-by=/etc/apt/keyrings/x.gpg] https://example.org/debian stable main')).toBe('example_org_debian');
    expect(editSources('', repo, 'present')).toBe(repo + '\n');
    expect(editSources(repo + '\n', repo, 'present')).toBeUndefined();
    expect(editSources(`# ${repo}\n`, repo, 'present')).toBe(repo + '\n');
    expect(editSources(`deb x://a b\n${repo}\n`, repo, 'absent')).toBe('deb x://a b\n');
    expect(() => aptRepositoryModule.schema.parse({ repo: 'ppa:foo/bar' })).toThrow();
  });

  it('get_url: file name from the URL; bad checksums are input errors', () => {
    expect(urlFileName('http://h/a/cirros-0.4.0.img?x=1')).toBe('cirros-0.4.0.img');
    expect(() => getUrlModule.schema.parse({ url: 'http://h/x', dest: '/tmp/x', checksum: 'sha256' })).toThrow(/sha256:<hex>/);
    expect(() => getUrlModule.schema.parse({ url: 'gopher://h/x', dest: '/tmp/x' })).toThrow();
  });

  it('get_url: an existing dest with the right checksum is not downloaded', async () => {
    const sum = 'a'.repeat(64);
    const stat = `@drover-fs E 0\n@drover-fs S\t81a4\t0\t0\troot\troot\t5\t1\t2\t1\t0\t0\t0\n@drover-fs K sha256 0\n${sum}  /tmp/x\n`;
    const { ctx, sent } = recordedContext([{ stdout: stat }]);
    const p = await getUrlModule.plan(ctx, getUrlModule.schema.parse({ url: 'http://h/x', dest: '/tmp/x', checksum: `sha256:${sum}` }));
    expect(p.changes).toEqual([]);
    expect(sent).toHaveLength(1);
  });
});
