import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa, issueLeaf } from '../../../src/pki/authority.js';
import { chainPem } from '../../../src/pki/chain.js';
import type { KeySpec } from '../../../src/pki/keys.js';

/**
 * NGINX does mutual TLS with drover's certificates of every key type: one
 * NGINX (Debian's, from scripts/test-setup.sh) with a server per key type —
 * server chain root -> intermediate -> server, `ssl_verify_client on`
 * against the root — and the blog's `openssl s_client -cert -key
 * -cert_chain` as the client: 200 with the client certificate, 400 without.
 */

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

const TYPES: Array<{ label: string; key: KeySpec }> = [
  { label: 'rsa', key: { type: 'RSA', size: 2048 } },
  { label: 'p256', key: { type: 'ECC', curve: 'secp256r1' } },
  { label: 'p384', key: { type: 'ECC', curve: 'secp384r1' } },
  { label: 'ed25519', key: { type: 'Ed25519' } },
];

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

let dir: string;
let nginx: ChildProcess | undefined;
let nginxLog = '';
const ports: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-kty-nginx-'));
  mkdirSync(join(dir, 'logs'));
  const servers: string[] = [];
  for (const t of TYPES) {
    const root = await createRootCa({ subject: { CN: `${t.label} root` }, key: t.key });
    const inter = await createIntermediateCa(root, { subject: { CN: `${t.label} intermediate` }, pathlen: 0, key: t.key });
    const server = await issueLeaf(inter, { kind: 'server', subject: { CN: 'localhost' }, san: ['DNS:localhost'], key: t.key });
    const client = await issueLeaf(inter, { kind: 'client', subject: { CN: `${t.label} client` }, key: t.key });
    const files: Record<string, string> = {
      'ca.crt': root.certPem,
      'intermediate-ca.crt': inter.certPem,
      'server-chain.crt': chainPem(server.certPem, [inter.certPem]),
      'server.key': server.keyPem,
      'client.crt': client.certPem,
      'client.key': client.keyPem,
    };
    mkdirSync(join(dir, t.label));
    for (const [n, v] of Object.entries(files)) writeFileSync(join(dir, t.label, n), v, { mode: 0o600 });
    ports[t.label] = await freePort();
    const d = join(dir, t.label);
    servers.push(`
    server {
        listen 127.0.0.1:${ports[t.label]} ssl;
        ssl_certificate ${d}/server-chain.crt;
        ssl_certificate_key ${d}/server.key;
        ssl_client_certificate ${d}/ca.crt;
        ssl_verify_client on;
        ssl_verify_depth 2;
        location / { return 200 "Hello $ssl_client_s_dn\\n"; }
    }`);
  }
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents { worker_connections 64; }\nhttp {\n    access_log ${dir}/logs/access.log;\n    default_type text/plain;\n${servers.join('\n')}\n}\n`,
  );
  if (!NGINX) return;
  nginx = spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir + '/', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stderr!.on('data', (b) => (nginxLog += b));
  const last = ports[TYPES[TYPES.length - 1]!.label]!;
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((res) => {
      const s = connect({ host: '127.0.0.1', port: last, rejectUnauthorized: false }, () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(() => {
  nginx?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function sClient(label: string, withCert: boolean) {
  const d = join(dir, label);
  const args = ['s_client', '-connect', `127.0.0.1:${ports[label]}`, '-servername', 'localhost', '-verify_hostname', 'localhost', '-CAfile', 'ca.crt', '-verify_return_error', '-quiet', '-ign_eof'];
  if (withCert) args.push('-cert', 'client.crt', '-key', 'client.key', '-cert_chain', 'intermediate-ca.crt');
  return spawnSync('openssl', args, { cwd: d, input: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n', encoding: 'utf8', timeout: 20_000 });
}

describe.skipIf(!NGINX).each(TYPES)('NGINX mutual TLS, $label chain', (t) => {
  it('openssl s_client with -cert/-key/-cert_chain gets 200 and NGINX saw the client certificate', () => {
    const r = sClient(t.label, true);
    expect(r.stdout, r.stderr + nginxLog).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.stdout).toContain(`Hello CN=${t.label} client`);
  });

  it('without a client certificate NGINX answers 400', () => {
    const r = sClient(t.label, false);
    expect(r.stdout, r.stderr + nginxLog).toMatch(/^HTTP\/1\.1 400/);
    expect(r.stdout).toContain('No required SSL certificate was sent');
  });
});

// Loud, not silent: the tests above need Debian's nginx (scripts/test-setup.sh installs it).
it('nginx is installed (run scripts/test-setup.sh as root)', () => {
  expect(NGINX, 'nginx not found: the NGINX tests were SKIPPED; install it with scripts/test-setup.sh').toBeDefined();
});
