import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runPlaybook } from '../../../src/engine/run.js';
import { PROJECT_ROOT } from '../../../src/util/project-root.js';

/**
 * The tls_ca role with this machine as both controller and "node" (implicit
 * localhost). The node paths and the trust store are redirected into a temp
 * dir so the test does not touch this machine's real trust store; on lab nodes
 * the defaults (/usr/local/share/ca-certificates + update-ca-certificates) apply.
 */
const dir = mkdtempSync(join(tmpdir(), 'drover-tls-ca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vars = JSON.stringify({
  tls_ca_dir: join(dir, 'pki'),
  tls_ca_node_dir: join(dir, 'node'),
  tls_ca_trust_dir: join(dir, 'trust'),
  tls_ca_trust_bundle: join(dir, 'pki/root-ca.crt'),
  tls_ca_update_command: 'true',
  mgmt_ip: '127.0.0.1',
});

function run(mode: 'converge' | 'verify') {
  // tls_ca is one of drover's lab roles: named explicitly, as `drover lab run` does.
  return runPlaybook({ playbook: join(dir, 'site.yaml'), inventory: ['localhost,'], extraVars: [vars], mode, stateDir: join(dir, '.drover'), rolesPath: [join(PROJECT_ROOT, 'roles')] });
}

it('creates the CA once, issues and deploys the node certificate, second run changes nothing, verify passes', async () => {
  mkdirSync(join(dir, 'trust'));
  writeFileSync(join(dir, 'site.yaml'), '- hosts: localhost\n  gather_facts: no\n  roles:\n    - tls_ca\n');
  const first = await run('converge');
  expect(first.exitCode).toBe(0);
  expect(first.changed.map((c) => c.task)).toContain('tls_ca : update ca certificates');
  expect(statSync(join(dir, 'node/server.key')).mode & 0o777).toBe(0o600);
  const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'trust/drover-lab-root-ca.crt'), '-untrusted', join(dir, 'node/server-chain.crt'), '-purpose', 'sslserver', '-verify_ip', '127.0.0.1', join(dir, 'node/server-chain.crt')], { encoding: 'utf8' });
  expect(v.stdout, v.stderr).toContain(': OK');
  const second = await run('converge');
  expect(second.exitCode).toBe(0);
  expect(second.changed).toEqual([]);
  const verify = await run('verify');
  expect(verify.exitCode).toBe(0);
}, 180_000);

it('with tls_ca_key_type ECC (secp384r1): EC root, intermediate and node key; openssl verifies; second run changes nothing', async () => {
  const d = join(dir, 'ecc');
  mkdirSync(join(d, 'trust'), { recursive: true });
  writeFileSync(join(d, 'site.yaml'), '- hosts: localhost\n  gather_facts: no\n  roles:\n    - tls_ca\n');
  const eccVars = JSON.stringify({
    tls_ca_dir: join(d, 'pki'),
    tls_ca_node_dir: join(d, 'node'),
    tls_ca_trust_dir: join(d, 'trust'),
    tls_ca_trust_bundle: join(d, 'pki/root-ca.crt'),
    tls_ca_update_command: 'true',
    mgmt_ip: '127.0.0.1',
    tls_ca_key_type: 'ECC',
    tls_ca_key_curve: 'secp384r1',
  });
  const runEcc = (mode: 'converge' | 'verify') => runPlaybook({ playbook: join(d, 'site.yaml'), inventory: ['localhost,'], extraVars: [eccVars], mode, stateDir: join(d, '.drover'), rolesPath: [join(PROJECT_ROOT, 'roles')] });
  const first = await runEcc('converge');
  expect(first.exitCode).toBe(0);
  const v = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', join(d, 'trust/drover-lab-root-ca.crt'), '-untrusted', join(d, 'node/server-chain.crt'), '-purpose', 'sslserver', '-verify_ip', '127.0.0.1', join(d, 'node/server-chain.crt')], { encoding: 'utf8' });
  expect(v.stdout, v.stderr).toContain(': OK');
  const text = spawnSync('openssl', ['x509', '-in', join(d, 'node/server-chain.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
  expect(text).toMatch(/NIST CURVE: P-384/);
  expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
  expect(text).toMatch(/Key Usage:\s+Digital Signature\n/);
  const second = await runEcc('converge');
  expect(second.changed).toEqual([]);
  expect((await runEcc('verify')).exitCode).toBe(0);
}, 180_000);
