import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../src/engine/run.js';

/**
 * The openssl_* modules with EC and Ed25519 keys, the arguments spelled as in
 * Ansible (type: ECC, curve: secp384r1; type: Ed25519): a CA (self-signed
 * from its CSR), a server certificate signed by it (ownca), run against this
 * machine twice (the second run changes nothing) and checked with
 * `openssl verify -x509_strict`. `curve` is ignored unless type is ECC, as in Ansible.
 */

const PLAYBOOK = `
- hosts: localhost
  gather_facts: no
  tasks:
    - name: CA key
      openssl_privatekey: {path: "{{ d }}/ca.key", type: "{{ ca_type }}", curve: "{{ ca_curve | default('secp256r1') }}"}
    - name: CA CSR
      openssl_csr:
        path: "{{ d }}/ca.csr"
        privatekey_path: "{{ d }}/ca.key"
        common_name: Module CA
        basic_constraints: [CA:TRUE]
        basic_constraints_critical: yes
        key_usage: [keyCertSign, cRLSign]
        key_usage_critical: yes
        use_common_name_for_san: no
    - name: CA certificate
      openssl_certificate: {path: "{{ d }}/ca.crt", csr_path: "{{ d }}/ca.csr", privatekey_path: "{{ d }}/ca.key", provider: selfsigned}
    - name: server key
      openssl_privatekey: {path: "{{ d }}/server.key", type: "{{ leaf_type }}", curve: "{{ leaf_curve | default('secp256r1') }}"}
    - name: server CSR
      openssl_csr:
        path: "{{ d }}/server.csr"
        privatekey_path: "{{ d }}/server.key"
        common_name: localhost
        subject_alt_name: [DNS:localhost, IP:127.0.0.1]
        extended_key_usage: [serverAuth]
        key_usage: [digitalSignature]
    - name: server certificate
      openssl_certificate:
        path: "{{ d }}/server.crt"
        csr_path: "{{ d }}/server.csr"
        provider: ownca
        ownca_path: "{{ d }}/ca.crt"
        ownca_privatekey_path: "{{ d }}/ca.key"
        ownca_not_after: "{{ not_after | default('+90d') }}"
        renew_before_days: "{{ renew | default(30) }}"
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CASES = [
  { label: 'ECC secp384r1 CA, ECC secp256r1 server', vars: { ca_type: 'ECC', ca_curve: 'secp384r1', leaf_type: 'ECC', leaf_curve: 'secp256r1' }, caKey: /NIST CURVE: P-384/, leafKey: /NIST CURVE: P-256/, sig: 'ecdsa-with-SHA384' },
  { label: 'Ed25519 CA, Ed25519 server', vars: { ca_type: 'Ed25519', leaf_type: 'Ed25519' }, caKey: /Public Key Algorithm: ED25519/, leafKey: /Public Key Algorithm: ED25519/, sig: 'ED25519' },
  { label: 'Ed25519 CA, RSA server', vars: { ca_type: 'Ed25519', leaf_type: 'RSA' }, caKey: /Public Key Algorithm: ED25519/, leafKey: /Public-Key: \(4096 bit\)/, sig: 'ED25519' },
];

describe.each(CASES)('openssl_* modules: $label', (c) => {
  it('issues a chain openssl verifies; the second run changes nothing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'drover-kty-mod-'));
    dirs.push(d);
    writeFileSync(join(d, 'site.yaml'), PLAYBOOK);
    const run = () => runPlaybook({ playbook: join(d, 'site.yaml'), inventory: ['localhost,'], extraVars: [JSON.stringify({ d, ...c.vars })], stateDir: join(d, '.drover') });
    const first = await run();
    expect(first.exitCode).toBe(0);
    expect(first.changed.length).toBe(6);
    const v = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(d, 'ca.crt'), join(d, 'server.crt')], { encoding: 'utf8' });
    expect(v.stdout + v.stderr).toContain(': OK');
    const text = (f: string) => spawnSync('openssl', ['x509', '-in', join(d, f), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text('ca.crt')).toMatch(c.caKey);
    expect(text('server.crt')).toMatch(c.leafKey);
    expect(text('server.crt')).toContain(`Signature Algorithm: ${c.sig}`);
    expect(spawnSync('openssl', ['req', '-in', join(d, 'server.csr'), '-noout', '-verify'], { encoding: 'utf8' }).stderr).toMatch(/verify OK/i);
    const cert = readFileSync(join(d, 'server.crt'), 'utf8');
    const second = await run();
    expect(second.exitCode).toBe(0);
    expect(second.changed).toEqual([]);
    expect(readFileSync(join(d, 'server.crt'), 'utf8')).toBe(cert);
  }, 120_000);
});

describe('openssl_certificate renewal', () => {
  it('a certificate expiring within renew_before_days is re-issued on the next run (same key, new serial); otherwise left alone', async () => {
    const d = mkdtempSync(join(tmpdir(), 'drover-kty-renew-'));
    dirs.push(d);
    writeFileSync(join(d, 'site.yaml'), PLAYBOOK);
    const vars = { ca_type: 'ECC', leaf_type: 'Ed25519', not_after: '+1d' };
    const run = (extra: Record<string, unknown>) => runPlaybook({ playbook: join(d, 'site.yaml'), inventory: ['localhost,'], extraVars: [JSON.stringify({ d, ...vars, ...extra })], stateDir: join(d, '.drover') });
    expect((await run({ renew: 0 })).exitCode).toBe(0);
    const serial = () => spawnSync('openssl', ['x509', '-in', join(d, 'server.crt'), '-noout', '-serial'], { encoding: 'utf8' }).stdout;
    const pubkey = () => spawnSync('openssl', ['x509', '-in', join(d, 'server.crt'), '-noout', '-pubkey'], { encoding: 'utf8' }).stdout;
    const [s1, k1] = [serial(), pubkey()];
    // Valid for one more day, renewed when within 2 days of expiry: due.
    const due = await run({ renew: 2 });
    expect(due.exitCode).toBe(0);
    expect(due.changed.map((c) => c.task)).toEqual(['server certificate']);
    expect(serial()).not.toBe(s1);
    expect(pubkey()).toBe(k1);
    // Not within 0 days of expiry: left alone.
    const kept = await run({ renew: 0 });
    expect(kept.changed).toEqual([]);
    const v = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(d, 'ca.crt'), join(d, 'server.crt')], { encoding: 'utf8' });
    expect(v.stdout + v.stderr).toContain(': OK');
  }, 120_000);
});
