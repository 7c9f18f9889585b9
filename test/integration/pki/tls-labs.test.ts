import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlaybook } from '../../../src/engine/run.js';

/**
 * The three TLS labs run for real (controller = this machine, implicit
 * localhost), twice each (the second run must change nothing), their output
 * checked with the openssl CLI, and lab 3's NGINX started from Debian's
 * package with ssl_verify_client on: a client certificate from the chain is
 * accepted, a connection without one is refused.
 * NGINX comes from scripts/test-setup.sh (apt-get install nginx-light).
 */

const ROOT = resolve(__dirname, '../../..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

async function lab(name: string, dir: string, vars: Record<string, unknown> = {}) {
  return runPlaybook({ playbook: join(ROOT, 'labs', name, 'site.yaml'), inventory: ['localhost,'], extraVars: [JSON.stringify({ tls_dir: dir, ...vars })], stateDir: join(dir, '.drover') });
}

function openssl(args: string[], cwd: string) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
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
  }, 120_000);
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
  }, 120_000);

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
  }, 120_000);
});

describe('tls3: client certificates and NGINX with ssl_verify_client on', () => {
  let dir: string;
  let port: number;
  let nginx: ChildProcess | undefined;
  let nginxLog = '';

  beforeAll(async () => {
    dir = tmp('tls3');
    port = await freePort();
    // The lab would start NGINX as a daemon; the test runs it in the foreground itself, so it can stop it.
    const r = await lab('tls3', dir, { nginx_listen: `127.0.0.1:${port}`, nginx_start: false });
    expect(r.exitCode).toBe(0);
    if (!NGINX) return;
    nginx = spawn(NGINX, ['-c', join(dir, 'etc/nginx.conf'), '-p', join(dir, 'etc') + '/', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (b) => (nginxLog += b));
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((res) => {
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => (s.destroy(), res(true)));
        s.on('error', () => res(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(() => {
    nginx?.kill('SIGTERM');
  });

  it('client certificate verifies with openssl (clientAuth), second run changes nothing', async () => {
    const certs = join(dir, 'etc/certs');
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', 'ca.crt', '-untrusted', 'intermediate-ca.crt', 'client.crt'], certs).out).toContain('client.crt: OK');
    expect(openssl(['x509', '-in', 'client.crt', '-noout', '-text'], certs).out).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    const second = await lab('tls3', dir, { nginx_listen: `127.0.0.1:${port}`, nginx_start: false });
    expect(second.changed).toEqual([]);
  }, 120_000);

  function request(opts: { cert?: string; key?: string }): Promise<string> {
    const certs = join(dir, 'etc/certs');
    return new Promise((res, rej) => {
      const s = connect(
        {
          host: '127.0.0.1',
          port,
          servername: 'www.leftasexercise.local',
          ca: readFileSync(join(certs, 'ca.crt')),
          ...(opts.cert ? { cert: readFileSync(join(certs, opts.cert)), key: readFileSync(join(certs, opts.key!)) } : {}),
        },
        () => s.write('GET / HTTP/1.0\r\nHost: www.leftasexercise.local\r\n\r\n'),
      );
      let out = '';
      s.on('data', (b) => (out += b));
      s.on('end', () => res(out));
      s.on('error', rej);
    });
  }

  it.skipIf(!NGINX)('NGINX accepts the client certificate (chain) and verifies as the server (server-chain)', async () => {
    // The server's chain verifies against the root alone (rejectUnauthorized defaults to true) for the wildcard name.
    const out = await request({ cert: 'client-chain.crt', key: 'client.rsa' });
    expect(out, nginxLog).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(out).toMatch(/Hello .*CN=Client/);
  });

  it.skipIf(!NGINX)('NGINX refuses a connection without a client certificate (400)', async () => {
    const out = await request({});
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toContain('No required SSL certificate was sent');
  });

  it.skipIf(!NGINX)('openssl s_client with -cert/-cert_chain (the blog\'s command) gets 200', () => {
    const certs = join(dir, 'etc/certs');
    const r = spawnSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'www.leftasexercise.local', '-CAfile', 'ca.crt', '-cert', 'client.crt', '-key', 'client.rsa', '-cert_chain', 'intermediate-ca.crt', '-verify_return_error', '-quiet', '-ign_eof'],
      { cwd: certs, input: 'GET / HTTP/1.0\r\nHost: www.leftasexercise.local\r\n\r\n', encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.stdout, r.stderr).toMatch(/HTTP\/1\.1 200 OK/);
  });
});

// Loud, not silent: the NGINX tests above need Debian's nginx (scripts/test-setup.sh installs it).
describe('environment', () => {
  it('nginx is installed (run scripts/test-setup.sh as root)', () => {
    expect(NGINX, 'nginx not found: the NGINX tests were SKIPPED; install it with scripts/test-setup.sh').toBeDefined();
  });
});
