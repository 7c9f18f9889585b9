import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlaybookCollecting } from '../../helpers/play.js';

/**
 * The x509_crl module against this machine: a CA and leaf certificates made
 * by the openssl CLI (so the module reads certificates it did not make), a
 * CRL revoking one by path and one by serial number, checked by openssl
 * (`crl -verify` against the CA, `verify -crl_check` refuses the revoked leaf
 * and accepts the other); idempotent with ignore_timestamps, never with
 * relative times without it (as community.crypto); check mode predicts
 * without writing; crl_mode update keeps the existing entries; a format
 * change converts without re-signing.
 */

let d = '';
const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8', cwd: d });

function leaf(name: string, serial: string): void {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
  const r = openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '30', '-out', `${name}.crt`);
  if (r.status !== 0) throw new Error(r.stderr);
}

beforeAll(() => {
  d = mkdtempSync(join(tmpdir(), 'drover-x509-crl-'));
  // Subject order O, CN: the CRL's issuer must be written in the same order for openssl to match it.
  const ca = openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/O=Lab/CN=Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  if (ca.status !== 0) throw new Error(ca.stderr);
  leaf('alice', '0x1001');
  leaf('bob', '4098');
  leaf('carol', '0x7fe4a1b2c3d4e5f60718293a4b5c6d7e'); // beyond 2^53: returned as decimal text
}, 60_000);
afterAll(() => rmSync(d, { recursive: true, force: true }));

interface CrlTask {
  path?: string;
  [k: string]: unknown;
}

async function play(tasks: CrlTask[], o: { check?: boolean } = {}) {
  const body = tasks.map((t) => ({ x509_crl: { path: `${d}/crl.pem`, privatekey_path: `${d}/ca.key`, issuer: { O: 'Lab', CN: 'Test CA' }, next_update: '+7d', ...t } }));
  writeFileSync(join(d, 'site.yaml'), JSON.stringify([{ hosts: 'localhost', gather_facts: false, tasks: body }]));
  return runPlaybookCollecting({ playbook: join(d, 'site.yaml'), inventory: ['localhost,'], stateDir: join(d, '.drover'), check: o.check });
}

const BASE = {
  ignore_timestamps: true,
  revoked_certificates: [
    { path: 'DIR/alice.crt', reason: 'key_compromise' },
    { serial_number: 4098, revocation_date: '20250101000000Z', invalidity_date: '20241231120000Z', reason: 'superseded' },
  ],
};
const withDir = <T,>(v: T): T => JSON.parse(JSON.stringify(v).replaceAll('DIR', d)) as T;

describe('x509_crl', () => {
  it('check mode on a fresh host predicts the CRL and writes nothing', async () => {
    const r = await play([withDir(BASE)], { check: true });
    expect(r.summary.exitCode).toBe(0);
    expect(r.results[0]!.status).toBe('changed');
    expect(existsSync(join(d, 'crl.pem'))).toBe(false);
  });

  it('writes a CRL openssl verifies against the CA: the revoked leaves by path and serial, reasons, invalidity date', async () => {
    const r = await play([withDir(BASE)]);
    expect(r.summary.exitCode).toBe(0);
    expect(r.results[0]!.status).toBe('changed');
    const v = openssl('crl', '-in', 'crl.pem', '-noout', '-text', '-CAfile', 'ca.crt', '-verify');
    expect(v.stderr + v.stdout).toMatch(/verify OK/);
    expect(v.stdout).toMatch(/Issuer: O\s?=\s?Lab, CN\s?=\s?Test CA/);
    expect(v.stdout).toMatch(/Serial Number: 1001[\s\S]*Key Compromise/);
    expect(v.stdout).toMatch(/Serial Number: 1002[\s\S]*X509v3 CRL Reason Code:\s+Superseded[\s\S]*Invalidity Date:\s+Dec 31 12:00:00 2024 GMT/);
    expect(v.stdout).toContain('Revocation Date: Jan  1 00:00:00 2025 GMT');
    expect(v.stdout).toContain('sha256WithRSAEncryption');
    // openssl's chain check with the CRL: alice refused, carol (not listed) accepted.
    const check = (who: string) => openssl('verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.crt', `${who}.crt`);
    expect(check('alice').stdout + check('alice').stderr).toMatch(/certificate revoked/);
    expect(check('carol').stdout).toMatch(/carol.crt: OK/);
  });

  it('returns what the CRL says, as community.crypto does', async () => {
    const r = await play([withDir({ ...BASE, return_content: true })]);
    const ev = r.events.find((e) => e.type === 'task_result')!;
    expect(ev.status).toBe('ok');
    const res = (ev as unknown as { result: Record<string, unknown> }).result;
    expect(res.issuer).toEqual({ organizationName: 'Lab', commonName: 'Test CA' });
    expect(res.digest).toBe('sha256WithRSAEncryption');
    expect(res.crl).toBe(readFileSync(join(d, 'crl.pem'), 'utf8'));
    const rc = res.revoked_certificates as Record<string, unknown>[];
    expect(rc.map((e) => [e.serial_number, e.reason, e.reason_critical, e.invalidity_date])).toEqual([
      [4097, 'key_compromise', false, null],
      [4098, 'superseded', false, '20241231120000Z'],
    ]);
  });

  it('is idempotent with ignore_timestamps (second run and --check: nothing to do)', async () => {
    const before = readFileSync(join(d, 'crl.pem'));
    const again = await play([withDir(BASE)]);
    expect(again.summary.changed).toEqual([]);
    const check = await play([withDir(BASE)], { check: true });
    expect(check.summary.changed).toEqual([]);
    expect(readFileSync(join(d, 'crl.pem')).equals(before)).toBe(true);
  });

  it('relative times without ignore_timestamps make a new CRL on every run (community.crypto: "NOT idempotent")', async () => {
    const { ignore_timestamps: _, ...rest } = BASE;
    const r = await play([withDir(rest)], { check: true });
    expect(r.results[0]!.status).toBe('changed');
    expect(r.results[0]!.changes[0]!.summary).toMatch(/last_update differs/);
  });

  it('a changed list: check mode predicts it, the run re-signs; crl_mode update keeps the existing entries', async () => {
    const more = withDir({ ...BASE, revoked_certificates: [...BASE.revoked_certificates, { path: 'DIR/carol.crt' }] });
    const predicted = await play([more], { check: true });
    expect(predicted.results[0]!.status).toBe('changed');
    expect(predicted.results[0]!.changes[0]!.summary).toMatch(/revoked certificates differ/);
    // update mode with only carol: alice and bob stay.
    const upd = await play([withDir({ ignore_timestamps: true, crl_mode: 'update', revoked_certificates: [{ path: 'DIR/carol.crt' }] })]);
    expect(upd.results[0]!.status).toBe('changed');
    const res = (upd.results[0] as unknown as { result: { revoked_certificates: { serial_number: unknown }[] } }).result;
    expect(res.revoked_certificates.map((e) => e.serial_number)).toEqual([4097, 4098, BigInt('0x7fe4a1b2c3d4e5f60718293a4b5c6d7e').toString()]);
    const again = await play([withDir({ ignore_timestamps: true, crl_mode: 'update', revoked_certificates: [{ path: 'DIR/carol.crt' }] })]);
    expect(again.summary.changed).toEqual([]);
    const v = openssl('verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.crt', 'carol.crt');
    expect(v.stdout + v.stderr).toMatch(/certificate revoked/);
  });

  it('format der converts the same CRL (not re-signed); mode is the file mode', async () => {
    const pem = readFileSync(join(d, 'crl.pem'), 'utf8');
    const r = await play([withDir({ ignore_timestamps: true, crl_mode: 'update', revoked_certificates: [], format: 'der', mode: '0640' })]);
    expect(r.results[0]!.changes[0]!.summary).toMatch(/convert CRL .* to DER/);
    const der = readFileSync(join(d, 'crl.pem'));
    expect(der.toString('base64')).toBe(pem.replace(/-----[^-]+-----|\s/g, ''));
    expect(openssl('crl', '-inform', 'DER', '-in', 'crl.pem', '-noout', '-CAfile', 'ca.crt', '-verify').stderr).toMatch(/verify OK/);
    expect(spawnSync('stat', ['-c', '%a', join(d, 'crl.pem')], { encoding: 'utf8' }).stdout.trim()).toBe('640');
  });

  it('an EC CA key signs with the digest asked for; state absent removes the CRL', async () => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'ec-ca.key', '-out', 'ec-ca.crt', '-days', '30', '-subj', '/CN=EC CA', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const ec = { path: `${d}/ec.crl`, privatekey_path: `${d}/ec-ca.key`, issuer: { CN: 'EC CA' }, digest: 'sha384', ignore_timestamps: true, revoked_certificates: [{ serial_number: 7, reason: 'cessation_of_operation', reason_critical: true }] };
    const r = await play([ec]);
    expect(r.summary.exitCode).toBe(0);
    const v = spawnSync('openssl', ['crl', '-in', join(d, 'ec.crl'), '-noout', '-text', '-CAfile', join(d, 'ec-ca.crt'), '-verify'], { encoding: 'utf8' });
    expect(v.stderr).toMatch(/verify OK/);
    expect(v.stdout).toContain('ecdsa-with-SHA384');
    // openssl prints a critical reason (its chain check refuses critical entry extensions it does not handle: "unhandled critical CRL extension").
    expect(v.stdout).toMatch(/X509v3 CRL Reason Code: critical\s+Cessation Of Operation/);
    // Another digest than the existing CRL's: re-signed.
    const other = await play([{ ...ec, digest: 'sha256' }], { check: true });
    expect(other.results[0]!.changes[0]!.summary).toMatch(/signed with ecdsa-with-SHA384, not sha256/);
    const gone = await play([{ path: `${d}/ec.crl`, state: 'absent' }]);
    expect(gone.results[0]!.status).toBe('changed');
    expect(existsSync(join(d, 'ec.crl'))).toBe(false);
  });

  it('refuses bad arguments before contacting the host: no next_update, two of path/serial_number, indirect-CRL issuer', async () => {
    for (const [t, msg] of [
      [{ next_update: undefined, revoked_certificates: [] }, /needs next_update/],
      [{ revoked_certificates: [{ path: '/x', serial_number: 1 }] }, /path and serial_number are mutually exclusive/],
      [{ revoked_certificates: [{ serial_number: 1, issuer: ['DNS:ca.example.org'] }] }, /indirect CRLs\) is not supported/],
      [{ mode: 'update', crl_mode: 'update', revoked_certificates: [] }, /You cannot use both `mode` and `crl_mode`/],
    ] as const) {
      await expect(play([t as CrlTask])).rejects.toThrow(msg);
    }
  });
});
