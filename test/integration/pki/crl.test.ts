import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { certFacts, parseCertificate } from '../../../src/pki/cert.js';
import { runCa, runCrl, runIntermediate, runIssue, runRenew, runRevoke, runSign } from '../../../src/pki/commands.js';

/**
 * `drover pki revoke` and `drover pki crl`: the CRL is read by `openssl crl`,
 * `openssl verify -crl_check_all` refuses the revoked client and accepts the
 * other, and NGINX with `ssl_crl` refuses the revoked client certificate
 * while it accepts the other (mutual TLS, EC root, Ed25519 intermediate).
 */

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

let dir: string;
const f = (...p: string[]) => join(dir, ...p);
let out: string[] = [];
let nginx: ChildProcess | undefined;
let nginxLog = '';
let port = 0;

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  return { rc: r.status, out: `${r.stdout}${r.stderr}` };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-crl-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  await runCa({ cn: 'CRL Root', kty: 'EC', out: f('ca') });
  await runIntermediate({ ca: f('ca'), cn: 'CRL Intermediate', kty: 'Ed25519', pathlen: '0', out: f('inter') });
  await runIssue({ ca: f('inter'), server: true, cn: 'localhost', kty: 'EC', out: f('certs') });
  await runIssue({ ca: f('inter'), client: true, cn: 'alice', kty: 'EC', out: f('certs') });
  await runIssue({ ca: f('inter'), client: true, cn: 'bob', kty: 'Ed25519', out: f('certs') });
}, 60_000);

afterAll(() => {
  vi.restoreAllMocks();
  nginx?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('pki revoke and pki crl', () => {
  it('revoke writes revoked.json and a CRL openssl reads: issuer, AKI, CRL number, the serial and reason', async () => {
    out = [];
    await runRevoke(f('certs/alice.crt'), { ca: f('inter'), reason: 'key-compromise' });
    expect(out.join('')).toMatch(/alice\.crt: revoked \("CN=alice", serial [0-9a-f]+, keyCompromise\); .*crl\.pem \(CRL number 1, 1 revoked, next update in 7 days\)/);
    const serial = certFacts(parseCertificate(readFileSync(f('certs/alice.crt'), 'utf8'))).serial.toUpperCase();
    const text = openssl(['crl', '-in', 'inter/crl.pem', '-noout', '-text']).out;
    expect(text).toMatch(/Issuer: CN ?= ?CRL Intermediate/);
    expect(text).toMatch(/X509v3 CRL Number:\s+1\n/);
    expect(text).toMatch(/X509v3 Authority Key Identifier:/);
    expect(text).toContain(`Serial Number: ${serial}`);
    expect(text).toMatch(/Key Compromise/);
    expect(text).toMatch(/Signature Algorithm: ED25519/);
    expect(openssl(['crl', '-in', 'inter/crl.pem', '-noout', '-CAfile', 'inter/ca.crt']).out).toMatch(/verify OK/);

    out = [];
    await runRevoke(f('certs/alice.crt'), { ca: f('inter') });
    expect(out.join('')).toMatch(/already revoked .* \(CRL number 2, 1 revoked/);
    await expect(runRevoke(f('inter/ca.crt'), { ca: f('inter') })).rejects.toThrow(/"CN=CRL Intermediate" was not issued by this CA "CN=CRL Intermediate"/);
    await expect(runRevoke(f('certs/bob.crt'), { ca: f('inter'), reason: 'oops' })).rejects.toThrow(/unknown revocation reason "oops"/);

    // The root's CRL (empty): openssl -crl_check_all and NGINX want one for every CA of the chain.
    out = [];
    await runCrl({ ca: f('ca'), crlDays: '30' });
    expect(out.join('')).toMatch(/ca[/\\]crl\.pem \(CRL number 1, 0 revoked, next update in 30 days\)/);
    writeFileSync(f('crls.pem'), readFileSync(f('inter/crl.pem'), 'utf8') + readFileSync(f('ca/crl.pem'), 'utf8'));
  });

  it('openssl verify -crl_check_all: the revoked client is refused, the other verifies', () => {
    const v = (leaf: string) => openssl(['verify', '-x509_strict', '-crl_check_all', '-CRLfile', 'crls.pem', '-purpose', 'sslclient', '-CAfile', 'ca/ca.crt', '-untrusted', 'inter/ca.crt', leaf]);
    const alice = v('certs/alice.crt');
    expect(alice.rc).not.toBe(0);
    expect(alice.out).toMatch(/certificate revoked/);
    expect(v('certs/bob.crt').out).toContain('certs/bob.crt: OK');
  });
});

describe('crlDistributionPoints (--crl-url)', () => {
  it('intermediate, issue and sign put the URL in the certificate; renew keeps it; a URL that is not http(s) is refused', async () => {
    await runIntermediate({ ca: f('ca'), cn: 'CDP Intermediate', kty: 'EC', out: f('cdp-inter'), crlUrl: ['http://pki.lab/root.crl'] });
    await runIssue({ ca: f('cdp-inter'), server: true, cn: 'cdp.lab', kty: 'EC', out: f('cdp'), crlUrl: ['http://pki.lab/inter.crl', 'https://mirror.lab/inter.crl'] });
    // What openssl shows after the extension's name: the distribution points' URIs.
    const cdp = (file: string) => openssl(['x509', '-in', file, '-noout', '-ext', 'crlDistributionPoints']).out;
    expect(cdp('cdp-inter/ca.crt')).toMatch(/URI:http:\/\/pki\.lab\/root\.crl/);
    expect(cdp('cdp/cdp.lab.crt')).toMatch(/URI:http:\/\/pki\.lab\/inter\.crl[\s\S]*URI:https:\/\/mirror\.lab\/inter\.crl/);
    expect(openssl(['verify', '-x509_strict', '-CAfile', 'ca/ca.crt', '-untrusted', 'cdp-inter/ca.crt', 'cdp/cdp.lab.crt']).out).toContain(': OK');
    await runRenew(f('cdp/cdp.lab.crt'), { ca: f('cdp-inter'), days: '10' });
    expect(cdp('cdp/cdp.lab.crt')).toMatch(/URI:http:\/\/pki\.lab\/inter\.crl/);
    spawnSync('openssl', ['req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', f('s.key'), '-out', f('s.csr'), '-subj', '/CN=signed.lab']);
    await runSign(f('s.csr'), { ca: f('cdp-inter'), profile: 'server', out: f('cdp'), crlUrl: ['http://pki.lab/inter.crl'] });
    expect(cdp('cdp/signed.lab.crt')).toMatch(/URI:http:\/\/pki\.lab\/inter\.crl/);
    await expect(runIssue({ ca: f('cdp-inter'), client: true, cn: 'x', out: f('cdp'), crlUrl: ['pki.lab/inter.crl'] })).rejects.toThrow(/--crl-url pki.lab\/inter.crl: expected an http/);
  });
});

describe.skipIf(!NGINX)('NGINX with ssl_crl', () => {
  beforeAll(async () => {
    port = await freePort();
    mkdirSync(f('logs'));
    writeFileSync(
      f('nginx.conf'),
      `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log info;\nevents { worker_connections 64; }\nhttp {\n  access_log ${dir}/logs/access.log;\n  default_type text/plain;\n  server {\n    listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${dir}/certs/localhost-chain.crt;\n    ssl_certificate_key ${dir}/certs/localhost.key;\n    ssl_client_certificate ${dir}/ca/ca.crt;\n    ssl_verify_client on;\n    ssl_verify_depth 2;\n    ssl_crl ${dir}/crls.pem;\n    location / { return 200 "Hello $ssl_client_s_dn\\n"; }\n  }\n}\n`,
    );
    nginx = spawn(NGINX!, ['-c', f('nginx.conf'), '-p', dir + '/', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (b) => (nginxLog += b));
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((res) => {
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => (s.destroy(), res(true)));
        s.on('error', () => res(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  const get = (who: string) =>
    spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', 'ca/ca.crt', '-cert', `certs/${who}.crt`, '-key', `certs/${who}.key`, '-cert_chain', 'inter/ca.crt', '-verify_return_error', '-quiet', '-ign_eof'], {
      cwd: dir,
      input: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n',
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('the client that is not revoked gets 200', () => {
    const r = get('bob');
    expect(r.stdout, r.stderr + nginxLog).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.stdout).toContain('Hello CN=bob');
  });

  it('the revoked client is refused (400, certificate error), NGINX logs "certificate revoked" (at info level)', () => {
    const r = get('alice');
    expect(r.stdout, r.stderr + nginxLog).toMatch(/^HTTP\/1\.1 400/);
    expect(r.stdout).toContain('The SSL certificate error');
    expect(readFileSync(f('logs/error.log'), 'utf8')).toMatch(/certificate revoked/);
  });
});
