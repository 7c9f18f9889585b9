import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../src/engine/run.js';
import { droverInProcess } from '../../helpers/in-process-cli.js';

/**
 * The three TLS labs. First their certificates, checked with the openssl CLI
 * (NGINX left out: tls_nginx_state=absent). Then each lab as the blog's
 * reader runs it, on this machine: `drover lab test tlsN` (converge, converge
 * again changing nothing, check mode predicting nothing, verify = the blog's
 * s_client commands in roles/tls_nginx/verify) with NGINX on the blog's port
 * 443, the blog's commands run here as written, verify failing when the
 * server is down or its chain is wrong, and `drover lab destroy tlsN`
 * stopping NGINX. Needs root (port 443) and Debian's nginx
 * (scripts/test-setup.sh installs it).
 */

const ROOT = resolve(__dirname, '../../..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** The lab's certificates only: its NGINX play stops nothing and starts nothing. */
async function lab(name: string, dir: string, vars: Record<string, unknown> = {}) {
  return runPlaybook({
    playbook: join(ROOT, 'labs', name, 'site.yaml'),
    inventory: ['localhost,'],
    extraVars: [JSON.stringify({ tls_dir: dir, tls_nginx_state: 'absent', ...vars })],
    stateDir: join(dir, '.drover'),
    rolesPath: [join(ROOT, 'roles')],
  });
}

function openssl(args: string[], cwd: string, input?: string) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

const dirs: string[] = [];
const tmp = (n: string) => {
  const d = mkdtempSync(join(tmpdir(), `drover-${n}-`));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('tls1: self-signed server certificate', () => {
  it('creates key (0600), CSR and certificate with the two DNS SANs; second run changes nothing', async () => {
    const dir = tmp('tls1');
    const first = await lab('tls1', dir);
    expect(first.exitCode).toBe(0);
    expect(first.changed.length).toBe(4);
    const certs = join(dir, 'etc/certs');
    expect(statSync(join(certs, 'server.rsa')).mode & 0o777).toBe(0o600);
    const text = openssl(['x509', '-in', 'server.crt', '-noout', '-text'], certs).out;
    expect(text).toMatch(/Subject: C ?= ?DE, L ?= ?Big city, O ?= ?Leftasexercise blog, CN ?= ?Leftasexercise, emailAddress ?= ?me@leftasexercise.com/);
    expect(text).toMatch(/DNS:\*\.leftasexercise\.local, DNS:leftasexercise\.local/);
    expect(openssl(['verify', '-CAfile', 'server.crt', 'server.crt'], certs).rc).toBe(0);
    expect(openssl(['req', '-verify', '-noout', '-in', join(dir, 'server.csr')], certs).rc).toBe(0);
    const before = readFileSync(join(certs, 'server.crt'), 'utf8');
    const second = await lab('tls1', dir);
    expect(second.exitCode).toBe(0);
    expect(second.changed).toEqual([]);
    expect(readFileSync(join(certs, 'server.crt'), 'utf8')).toBe(before);
  }, 300_000);
});

describe('tls2: root -> intermediate (pathlen:0) -> server, plus server-chain.crt', () => {
  it('openssl verifies the chain; second run changes nothing', async () => {
    const dir = tmp('tls2');
    expect((await lab('tls2', dir)).exitCode).toBe(0);
    const certs = join(dir, 'etc/certs');
    const v = openssl(['verify', '-CAfile', 'ca.crt', '-untrusted', 'intermediate-ca.crt', 'server.crt'], certs);
    expect(v.out).toContain('server.crt: OK');
    expect(openssl(['x509', '-in', 'intermediate-ca.crt', '-noout', '-text'], certs).out).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(readFileSync(join(certs, 'server-chain.crt'), 'utf8')).toBe(readFileSync(join(certs, 'server.crt'), 'utf8') + readFileSync(join(certs, 'intermediate-ca.crt'), 'utf8'));
    const second = await lab('tls2', dir);
    expect(second.exitCode).toBe(0);
    expect(second.changed).toEqual([]);
  }, 300_000);

  it('a certificate that no longer matches is re-issued; a new key ripples through CSR, certificate and chain', async () => {
    const dir = tmp('tls2b');
    expect((await lab('tls2', dir)).exitCode).toBe(0);
    const certs = join(dir, 'etc/certs');
    const caBefore = readFileSync(join(certs, 'ca.crt'), 'utf8');

    // Someone replaced server.crt with one for another SAN (signed by the right CA, with openssl).
    const ext = join(dir, 'ext.cnf');
    spawnSync('sh', ['-c', `printf 'subjectAltName=DNS:other.example\n' > ${ext}`]);
    const x = spawnSync('openssl', ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', 'intermediate-ca.crt', '-CAkey', 'intermediate-ca.rsa', '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', 'server.crt'], { cwd: certs, encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    let r = await lab('tls2', dir);
    expect(r.exitCode).toBe(0);
    expect(r.changed.map((c) => c.task)).toEqual(['Create certificate for the server', 'Build server-chain.crt']);
    expect(openssl(['x509', '-in', 'server.crt', '-noout', '-ext', 'subjectAltName'], certs).out).toMatch(/DNS:\*\.leftasexercise\.local, DNS:leftasexercise\.local/);

    // A new server key (valid, right size: the key task keeps it) invalidates the CSR and the certificate.
    spawnSync('openssl', ['genrsa', '-traditional', '-out', join(certs, 'server.rsa'), '2048']);
    r = await lab('tls2', dir);
    expect(r.exitCode).toBe(0);
    expect(r.changed.map((c) => c.task)).toEqual(['Create CSR for the server', 'Create certificate for the server', 'Build server-chain.crt']);
    const a = openssl(['rsa', '-in', 'server.rsa', '-noout', '-modulus'], certs).out;
    expect(a).toBe(openssl(['x509', '-in', 'server.crt', '-noout', '-modulus'], certs).out);
    expect(readFileSync(join(certs, 'ca.crt'), 'utf8')).toBe(caBefore);
    expect((await lab('tls2', dir)).changed).toEqual([]);
  }, 300_000);
});

/** GET /index.html over the blog's s_client command; -ign_eof: the request comes on stdin, not typed. */
const GET = 'GET /index.html HTTP/1.0\n\n';
const PORT_443_FREE = () => spawnSync('ss', ['-Hltn', 'sport = :443'], { encoding: 'utf8' }).stdout.trim() === '';

/** drover lab … in a scratch directory (its .drover/ inventory lands there); the labs come from the project. */
async function drover(cwd: string, ...args: string[]) {
  const back = process.cwd();
  process.chdir(cwd);
  try {
    return await droverInProcess(...args);
  } finally {
    process.chdir(back);
  }
}

describe.skipIf(!NGINX)('the TLS labs as the blog runs them: NGINX on port 443', () => {
  const work = tmp('tls-work');
  const labDir = (n: string) => join(work, n);
  const started: string[] = [];

  beforeAll(() => {
    expect(PORT_443_FREE(), 'port 443 is taken: these tests run NGINX on it').toBe(true);
  });
  afterAll(async () => {
    for (const n of started) await drover(work, 'lab', 'destroy', n, '-e', `tls_dir=${labDir(n)}`);
  });

  async function labTest(n: string) {
    mkdirSync(labDir(n), { recursive: true });
    started.push(n);
    const r = await drover(work, 'lab', 'test', n, '-e', `tls_dir=${labDir(n)}`);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`lab ${n}: converged as check mode predicted, idempotent, check mode clean, verified`);
    expect(r.out).toMatch(/unknown=0/);
  }

  async function destroy(n: string) {
    const r = await drover(work, 'lab', 'destroy', n, '-e', `tls_dir=${labDir(n)}`);
    expect(r.code, r.out + r.err).toBe(0);
    expect(PORT_443_FREE()).toBe(true);
  }

  it('tls1: lab test passes; the blog\'s s_client gets the welcome page over the self-signed certificate; down, verify fails', async () => {
    await labTest('tls1');
    const d = labDir('tls1');
    expect(readFileSync(join(d, 'etc/conf.d/default.conf'), 'utf8')).toMatch(/listen {15}443 ssl;\n {4}ssl_certificate {6}\S+\/etc\/certs\/server\.crt;\n {4}ssl_certificate_key {2}\S+\/etc\/certs\/server\.rsa;/);
    const r = openssl(['s_client', '--connect', '127.0.0.1:443', '-ign_eof'], d, GET);
    expect(r.out).toContain('Verify return code: 18 (self-signed certificate)');
    expect(r.out).toMatch(/HTTP\/1\.1 200 OK[\s\S]*<title>Welcome to nginx!<\/title>/);

    await destroy('tls1');
    const down = await drover(work, 'lab', 'verify', 'tls1', '-e', `tls_dir=${d}`);
    expect(down.code).toBe(2);
    expect(down.out).toMatch(/TASK \[tls_nginx : Lab 1: openssl s_client --connect 127\.0\.0\.1:443[^\n]*\nfailed: \[localhost\]/);
  }, 600_000);

  it('tls2: lab test passes; the blog\'s openssl x509 loop and s_client -CAfile etc/certs/ca.crt verify the chain', async () => {
    await labTest('tls2');
    const d = labDir('tls2');
    const texts = ['server.crt', 'intermediate-ca.crt', 'ca.crt'].map((c) => openssl(['x509', '-in', `etc/certs/${c}`, '-noout', '-text'], d).out);
    expect(texts[0]).toMatch(/Issuer: .*CN ?= ?Intermediate CA[\s\S]*Subject: .*CN ?= ?Server/);
    expect(texts[1]).toMatch(/Issuer: .*CN ?= ?Root CA[\s\S]*Subject: .*CN ?= ?Intermediate CA/);
    expect(texts[2]).toMatch(/Issuer: .*CN ?= ?Root CA[\s\S]*Subject: .*CN ?= ?Root CA/);
    const r = openssl(['s_client', '--connect', 'localhost:443', '-CAfile', 'etc/certs/ca.crt', '-ign_eof'], d, GET);
    expect(r.out).toContain('Verify return code: 0 (ok)');
    expect(r.out).toContain('<title>Welcome to nginx!</title>');
    await destroy('tls2');
  }, 600_000);

  it('tls3: lab test passes; the blog\'s s_client -cert -cert_chain -key and curl get in, no certificate and the revoked one do not', async () => {
    await labTest('tls3');
    const d = labDir('tls3');
    const blog = openssl(['s_client', '--connect', 'localhost:443', '-CAfile', 'etc/certs/ca.crt', '-cert', 'etc/certs/client.crt', '-cert_chain', 'etc/certs/intermediate-ca.crt', '-key', 'etc/certs/client.rsa', '-ign_eof'], d, GET);
    expect(blog.out).toContain('Verify return code: 0 (ok)');
    expect(blog.out).toMatch(/HTTP\/1\.1 200 OK[\s\S]*<title>Welcome to nginx!<\/title>/);
    const none = openssl(['s_client', '--connect', 'localhost:443', '-CAfile', 'etc/certs/ca.crt', '-ign_eof'], d, GET);
    expect(none.out).toMatch(/HTTP\/1\.1 400 Bad Request[\s\S]*No required SSL certificate was sent/);
    const revoked = openssl(['s_client', '--connect', 'localhost:443', '-CAfile', 'etc/certs/ca.crt', '-cert', 'etc/certs/client2.crt', '-cert_chain', 'etc/certs/intermediate-ca.crt', '-key', 'etc/certs/client2.rsa', '-ign_eof'], d, GET);
    expect(revoked.out).toMatch(/HTTP\/1\.1 400 Bad Request[\s\S]*The SSL certificate error/);
    // The certificates behind it, with the openssl CLI: both clients chain to the root with clientAuth; the
    // CRLs (client2 revoked by the intermediate, nothing by the root) leave client good and client2 not.
    const certs = join(d, 'etc/certs');
    for (const c of ['client.crt', 'client2.crt']) {
      expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', 'ca.crt', '-untrusted', 'intermediate-ca.crt', c], certs).out).toContain(`${c}: OK`);
    }
    expect(openssl(['x509', '-in', 'client.crt', '-noout', '-text'], certs).out).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    const crl = ['-crl_check_all', '-CRLfile', 'crl.pem', '-CAfile', 'ca.crt', '-untrusted', 'intermediate-ca.crt'];
    expect(openssl(['verify', ...crl, 'client.crt'], certs).out).toContain('client.crt: OK');
    expect(openssl(['verify', ...crl, 'client2.crt'], certs).out).toContain('certificate revoked');
    const curl = spawnSync('curl', ['-sS', '--cacert', 'etc/certs/ca.crt', '--cert', 'etc/certs/client-chain.crt', '--key', 'etc/certs/client.rsa', '--resolve', 'www.leftasexercise.local:443:127.0.0.1', 'https://www.leftasexercise.local/'], { cwd: d, encoding: 'utf8', timeout: 30_000 });
    expect(curl.stdout, curl.stderr).toContain('<title>Welcome to nginx!</title>');
  }, 600_000);

  it('tls3: a server chain without the intermediate fails verify; the next run rebuilds it and restarts NGINX', async () => {
    const d = labDir('tls3');
    const certs = join(d, 'etc/certs');
    writeFileSync(join(certs, 'server-chain.crt'), readFileSync(join(certs, 'server.crt')));
    expect(spawnSync(join(d, '.tls-nginx/tls-nginx.sh'), ['restart'], { encoding: 'utf8' }).stdout.trim()).toBe('started');
    const bad = await drover(work, 'lab', 'verify', 'tls3', '-e', `tls_dir=${d}`);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/verifies the server's chain[^\n]*\nfailed: \[localhost\][\s\S]*verify error:num=21:unable to verify the first certificate/);

    const fix = await drover(work, 'lab', 'run', 'tls3', '-e', `tls_dir=${d}`);
    expect(fix.code, fix.out + fix.err).toBe(0);
    expect(fix.out).toMatch(/TASK \[Build server-chain\.crt\][^\n]*\nchanged:/);
    expect(fix.out).toMatch(/RUNNING HANDLER \[tls_nginx : restart tls-nginx\][^\n]*\nchanged:/);
    const good = await drover(work, 'lab', 'verify', 'tls3', '-e', `tls_dir=${d}`);
    expect(good.code, good.out).toBe(0);
    await destroy('tls3');
  }, 600_000);

  it('lab verify on a lab with nothing to verify is an error, not a silent pass', async () => {
    const own = join(work, 'own');
    mkdirSync(join(own, 'labs/tls1'), { recursive: true });
    writeFileSync(join(own, 'labs/tls1/site.yaml'), '- hosts: localhost\n  gather_facts: no\n  tasks:\n    - debug: msg=hello\n');
    const r = await drover(own, 'lab', 'verify', 'tls1');
    expect(r.code).toBe(4);
    expect(r.err).toContain('lab tls1 has nothing to verify: no role it uses has verify/ tasks');
  });
});

// Loud, not silent: the NGINX tests above need Debian's nginx (scripts/test-setup.sh installs it).
describe('environment', () => {
  it('nginx is installed (run scripts/test-setup.sh as root)', () => {
    expect(NGINX, 'nginx not found: the NGINX tests were SKIPPED; install it with scripts/test-setup.sh').toBeDefined();
  });
});
