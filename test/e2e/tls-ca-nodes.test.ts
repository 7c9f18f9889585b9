import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from '../../src/providers/local/provider.js';
import { BLOG_NODES } from '../../src/providers/select.js';
import { runPlaybook } from '../../src/engine/run.js';
import { ROOT, assertSubnetFree, isRoot, seedBaseImage } from './lab-helpers.js';
import { REL_SITE, printMeasured, secs, siteEnv } from '../helpers/e2e-site.js';

/**
 * Issue 6, the tls_ca role on real local nodes (labs/tls-nodes/site.yaml on
 * lab1's three nodes): the lab CA (root -> intermediate) is made on this
 * machine, every node trusts the root through its system store and gets a
 * server certificate for its hostname and mgmt IP (key 0600 + chain); the
 * controller node serves HTTPS with them, and `curl https://controller:8443/`
 * from a compute node verifies against the installed CA. The second run
 * changes nothing. Then renewal (issue 20 part 4): two services on the
 * controller node with their own certificates (tls_ca_services); when one
 * certificate nears expiry the next run re-issues it and restarts its service
 * only (systemd InvocationID), the other is left alone; then changed=0 and
 * --check 0. Needs root. Own drover home, subnet and bridge
 * (DROVER_E2E_TLS_HOME, default /var/lib/drover-rel; 10.93.0.0/24; drover93;
 * machine prefix "r"); the nodes are left down at the end.
 */
const ENV = siteEnv('TLS', REL_SITE);
const LAB = 'lab1';
const measured: Record<string, string> = {};


describe.skipIf(!isRoot)('tls_ca role on real nodes (issue 6): CA chains, trust store, curl verifies', () => {
  const p = new LocalProvider({ env: ENV, log: (m) => process.stderr.write(`  [drover] ${m}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'drover-tls-nodes-'));
  const pki = join(dir, 'pki');
  const ip = (node: string) => p.place(BLOG_NODES).find((n) => n.name === node)!.ip;
  const ssh = (node: string, cmd: string) =>
    spawnSync(
      'ssh',
      ['-i', p.paths.sshKey(LAB), '-o', `UserKnownHostsFile=${p.paths.knownHosts(LAB)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5', `root@${ip(node)}`, cmd],
      { encoding: 'utf8', timeout: 120_000 },
    );
  const run = () =>
    runPlaybook({
      playbook: join(ROOT, 'labs', 'tls-nodes', 'site.yaml'),
      inventory: [p.inventoryPath(LAB)],
      // The CA stays in the test's temp dir, not in the checkout's labs/tls-nodes/.pki.
      extraVars: [`tls_ca_dir=${pki}`],
      stateDir: join(dir, '.drover'),
      // A lab's roles are drover's own (roles/ at the project root), passed explicitly as `drover lab run` does.
      rolesPath: [join(ROOT, 'roles')],
    });

  beforeAll(async () => {
    assertSubnetFree(ENV.DROVER_SUBNET!, ENV.DROVER_BRIDGE!);
    seedBaseImage(ENV.DROVER_HOME!);
    await p.destroy(LAB);
    const t0 = Date.now();
    const up = await p.up(LAB, BLOG_NODES);
    expect(up.started).toEqual(['controller', 'compute1', 'compute2']);
    measured['lab up (3 fresh nodes)'] = secs(Date.now() - t0);
  }, 600_000);

  afterAll(async () => {
    await p.down(LAB);
    rmSync(dir, { recursive: true, force: true });
    printMeasured('tls_ca on real nodes', measured);
  }, 300_000);

  it('first run: CA on this machine, root trusted on every node, node certs deployed, HTTPS service up', async () => {
    const r = await run();
    measured['first run (CA + 3 node certs + service + curl install)'] = secs(r.durationMs);
    expect(r.exitCode).toBe(0);
    const changed = new Set(r.changed.map((c) => `${c.host}: ${c.task}`));
    for (const h of ['controller', 'compute1', 'compute2']) {
      expect(changed).toContain(`${h}: tls_ca : Trust the lab root CA`);
      expect(changed).toContain(`${h}: tls_ca : update ca certificates`);
      expect(changed).toContain(`${h}: tls_ca : Deploy the node key`);
    }
    // The CA lives on the controller machine (this one), keys private.
    for (const f of ['root-ca.key', 'intermediate-ca.key', 'nodes/controller.key']) expect(statSync(join(pki, f)).mode & 0o777, f).toBe(0o600);
    const chain = spawnSync('openssl', ['verify', '-CAfile', join(pki, 'root-ca.crt'), '-untrusted', join(pki, 'intermediate-ca.crt'), join(pki, 'nodes/compute2.crt')], { encoding: 'utf8' });
    expect(chain.stdout, chain.stderr).toMatch(/: OK/);
  }, 900_000);

  it('each node: root in the system store, key 0600, a chain for its hostname and mgmt IP', () => {
    for (const h of ['controller', 'compute1', 'compute2']) {
      const r = ssh(
        h,
        [
          'stat -c "%a %U" /etc/drover/tls/server.key',
          'test -L /etc/ssl/certs/drover-lab-root-ca.pem && echo trusted',
          'openssl x509 -in /etc/drover/tls/server-chain.crt -noout -subject -ext subjectAltName',
          'grep -c "BEGIN CERTIFICATE" /etc/drover/tls/server-chain.crt',
          `openssl verify -purpose sslserver -verify_hostname ${h} -untrusted /etc/drover/tls/server-chain.crt /etc/drover/tls/server-chain.crt`,
          `openssl verify -purpose sslserver -verify_ip ${ip(h)} -untrusted /etc/drover/tls/server-chain.crt /etc/drover/tls/server-chain.crt`,
        ].join(' && '),
      );
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout;
      expect(out).toMatch(/^600 root$/m);
      expect(out).toMatch(/^trusted$/m);
      expect(out).toMatch(new RegExp(`subject=.*CN = ${h}`));
      expect(out).toMatch(new RegExp(`DNS:${h}, IP Address:${ip(h).replace(/\./g, '\\.')}`));
      expect(out).toMatch(/^2$/m); // server + intermediate
      expect(out.match(/: OK$/gm)).toHaveLength(2);
    }
  });

  it('curl https://controller:8443/ from a compute node verifies against the installed CA (by name and by IP)', async () => {
    // The service may take a moment after its (re)start.
    const probe = 'for i in $(seq 50); do curl -sS --fail -o /dev/null https://controller:8443/ 2>/dev/null && break; sleep 0.2; done';
    ssh('compute1', probe);
    for (const h of ['compute1', 'compute2']) {
      const byName = ssh(h, 'curl -sS --fail https://controller:8443/');
      expect(byName.status, byName.stderr).toBe(0);
      expect(byName.stdout).toMatch(/s_server/);
      const byIp = ssh(h, `curl -sS --fail -o /dev/null -w '%{ssl_verify_result} %{http_code}' https://${ip('controller')}:8443/`);
      expect(byIp.stdout, byIp.stderr).toBe('0 200');
    }
    // What the curl trusted is the installed root, and the name check is real:
    const noTrust = ssh('compute1', 'curl -sS --fail --cacert /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt --capath /nonexistent https://controller:8443/');
    expect(noTrust.status).toBe(60); // peer certificate cannot be authenticated with the given CA certificates
    const wrongName = ssh('compute1', `curl -sS --fail --resolve wrongname:8443:${ip('controller')} https://wrongname:8443/`);
    expect(wrongName.status).toBe(60);
    expect(wrongName.stderr).toMatch(/no alternative certificate subject name matches/);
    // The server sends the chain: a client that knows only the root verifies both hops.
    const sc = ssh('compute2', `openssl s_client -connect controller:8443 -servername controller -verify_return_error -CAfile /etc/ssl/certs/drover-lab-root-ca.pem </dev/null 2>&1`);
    expect(sc.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    expect(sc.stdout).toMatch(/depth=2 .*drover lab root CA/);
  });

  it('second run changes nothing', async () => {
    const r = await run();
    measured['second run (changed=0)'] = secs(r.durationMs);
    expect(r.exitCode).toBe(0);
    expect(r.changed).toEqual([]);
  }, 600_000);

  // --- renewal: two services on the controller node, each with its own certificate.
  const services = join(dir, 'services.yaml');
  const aged = join(dir, 'age-alpha.yaml');
  const SERVICES_PLAY = `
- hosts: controller
  become: yes
  vars:
    tls_ca_services:
      - {name: alpha, unit: drover-tls-alpha, not_after: "+90d"}
      - {name: beta, unit: drover-tls-beta, not_after: "+90d"}
  pre_tasks:
    - name: Units for two TLS services (openssl s_server, each with its own certificate)
      copy:
        dest: "/etc/systemd/system/drover-tls-{{item.name}}.service"
        content: |
          [Service]
          ExecStart=/usr/bin/openssl s_server -quiet -www -accept {{item.port}} -key /etc/drover/tls/{{item.name}}.key -cert /etc/drover/tls/{{item.name}}-chain.crt -cert_chain /etc/drover/tls/{{item.name}}-chain.crt
        mode: "0644"
      loop: [{name: alpha, port: 8444}, {name: beta, port: 8445}]
      register: units
    - name: systemd reads the units
      command: systemctl daemon-reload
      when: units.changed
  roles:
    - tls_ca
  tasks:
    - name: Both services running
      service: {name: "drover-tls-{{item}}", state: started}
      loop: [alpha, beta]
`;
  // What time does to a certificate, done at once: alpha's certificate on the
  // controller machine re-issued by the same CA, same key and CSR, valid for one day.
  const AGE_ALPHA = (pki: string) => `
- hosts: localhost
  gather_facts: no
  tasks:
    - openssl_certificate:
        path: ${pki}/nodes/controller-alpha.crt
        csr_path: ${pki}/nodes/controller-alpha.csr
        provider: ownca
        ownca_path: ${pki}/intermediate-ca.crt
        ownca_privatekey_path: ${pki}/intermediate-ca.key
        ownca_not_after: "+1d"
        force: yes
`;
  const servicesRun = (check = false) =>
    runPlaybook({ playbook: services, inventory: [p.inventoryPath(LAB)], extraVars: [`tls_ca_dir=${pki}`], stateDir: join(dir, '.drover'), rolesPath: [join(ROOT, 'roles')], check });
  // Each start of a unit gets a new InvocationID.
  const invocation = () => {
    const id = (unit: string) => {
      const r = ssh('controller', `systemctl show -p InvocationID --value ${unit}`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim(), unit).toMatch(/^[0-9a-f]{32}$/);
      return r.stdout.trim();
    };
    return { alpha: id('drover-tls-alpha'), beta: id('drover-tls-beta') };
  };
  const deployed = (name: string) => {
    const r = ssh('controller', `openssl x509 -in /etc/drover/tls/${name}-chain.crt -noout -serial -enddate`);
    return { serial: /serial=(\S+)/.exec(r.stdout)?.[1], notAfter: new Date(/notAfter=(.+)/.exec(r.stdout)![1]!) };
  };
  let before: { alpha: string; beta: string };

  it('services: each gets its own certificate; both serve TLS that verifies against the installed root', async () => {
    writeFileSync(services, SERVICES_PLAY);
    const r = await servicesRun();
    measured['services run (2 service certificates, 2 units)'] = secs(r.durationMs);
    expect(r.exitCode).toBe(0);
    const probe = (port: number) =>
      ssh('controller', `for i in $(seq 50); do openssl s_client -connect 127.0.0.1:${port} -verify_return_error -CAfile /etc/ssl/certs/drover-lab-root-ca.pem </dev/null >/tmp/sc.$$ 2>&1 && break; sleep 0.2; done; cat /tmp/sc.$$`);
    for (const port of [8444, 8445]) expect(probe(port).stdout).toMatch(/Verify return code: 0 \(ok\)/);
    before = invocation();
    expect(before.alpha).toMatch(/^[0-9a-f]{32}$/);
    expect(before.beta).toMatch(/^[0-9a-f]{32}$/);
  }, 900_000);

  it('renewal: a certificate near expiry is re-issued on the next run and only its service restarts', async () => {
    writeFileSync(aged, AGE_ALPHA(pki));
    const age = await runPlaybook({ playbook: aged, inventory: ['localhost,'], stateDir: join(dir, '.drover-age') });
    expect(age.exitCode).toBe(0);
    const agedSerial = spawnSync('openssl', ['x509', '-in', join(pki, 'nodes/controller-alpha.crt'), '-noout', '-serial'], { encoding: 'utf8' }).stdout.trim().replace('serial=', '');
    const alphaBefore = deployed('alpha');
    const betaBefore = deployed('beta');

    const r = await servicesRun();
    measured['renewal run (alpha re-issued, alpha restarted)'] = secs(r.durationMs);
    expect(r.exitCode).toBe(0);
    const changed = r.changed.map((c) => c.task);
    expect(changed).toContain('tls_ca : Service certificates (re-issued within tls_ca_renew_before_days of expiry)');
    expect(changed).toContain('tls_ca : Deploy the service certificate chains (certificate + intermediate)');
    expect(changed).toContain('tls_ca : restart services whose certificate changed');
    expect(changed).not.toContain('tls_ca : Deploy the service keys'); // renewal keeps the key

    const alphaAfter = deployed('alpha');
    const betaAfter = deployed('beta');
    expect(alphaAfter.serial).not.toBe(alphaBefore.serial);
    expect(alphaAfter.serial?.toLowerCase()).not.toBe(agedSerial.toLowerCase());
    expect(alphaAfter.notAfter.getTime() - Date.now()).toBeGreaterThan(80 * 86400_000);
    expect(betaAfter).toEqual(betaBefore);

    const after = invocation();
    expect(after.alpha).not.toBe(before.alpha);
    expect(after.beta).toBe(before.beta);
  }, 900_000);

  it('after the renewal: the next run changes nothing, --check predicts nothing', async () => {
    const again = await servicesRun();
    expect(again.exitCode).toBe(0);
    expect(again.changed).toEqual([]);
    const check = await servicesRun(true);
    expect(check.exitCode).toBe(0);
    expect(check.changed).toEqual([]);
    const ids = invocation();
    expect(ids.beta).toBe(before.beta);
  }, 900_000);
});
