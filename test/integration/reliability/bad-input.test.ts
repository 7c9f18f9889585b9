/**
 * Bad input the core suite (test/unit/bad-input) does not reach: inventories
 * and connection settings. Each case runs through `drover check` AND
 * `drover play` (real CLI): one message with file:line:col, exit 4, and no
 * connection to the loopback listener every host points at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FIX, ROOT, ensureBuilt, runDrover } from './cli.js';

let server: net.Server;
let connections = 0;
let port: number;
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), 'drover-rel-bad-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  copyFileSync(join(dir, 'key'), join(dir, 'key644'));
  chmodSync(join(dir, 'key644'), 0o644);
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

interface Case {
  playbook: string;
  /** INI text; PORT and DIR are replaced. */
  inventory: string;
  /** [line, col] in the inventory (or the playbook when `inPlaybook`). */
  at: [number, number];
  inPlaybook?: boolean;
  message: RegExp;
}

const conn = 'ansible_host=127.0.0.1 ansible_port=PORT';
const cases: Record<string, Case> = {
  'inventory host with an empty address (ansible_host=)': {
    playbook: 'connect.yaml',
    inventory: `[web]\nweb1 ${conn}\nweb2 ansible_host= ansible_port=PORT\n`,
    at: [3, 1],
    message: /host web2: ansible_host="" is not valid \(expected an address or host name\)/,
  },
  'private key readable by others (0644)': {
    playbook: 'connect.yaml',
    inventory: `[web]\nweb1 ${conn} ansible_ssh_private_key_file=DIR/key644\n`,
    at: [2, 1],
    message: /host web1: private key \S+key644 is accessible by others \(mode 0644\); OpenSSH refuses such keys, and so does drover \(chmod 600 \S+key644\)/,
  },
  'private key file that does not exist': {
    playbook: 'connect.yaml',
    inventory: `[web]\nweb1 ${conn} ansible_ssh_private_key_file=DIR/nokey\n`,
    at: [2, 1],
    message: /host web1: ansible_ssh_private_key_file \S+nokey does not exist/,
  },
  'port out of range': {
    playbook: 'connect.yaml',
    inventory: `[web]\nweb1 ansible_host=127.0.0.1 ansible_port=99999\n`,
    at: [2, 1],
    message: /host web1: ansible_port=99999 is not valid \(expected a port number \(1-65535\)\)/,
  },
  'malformed INI section header': {
    playbook: 'connect.yaml',
    inventory: `[web\nweb1 ${conn}\n`,
    at: [1, 1],
    message: /invalid section header: \[web/,
  },
  'host pattern with an unclosed range': {
    playbook: 'bad-pattern.yaml',
    inventory: `[web]\nweb1 ${conn}\n`,
    inPlaybook: true,
    at: [1, 11],
    message: /bad subscript in host pattern "web\[0:": unbalanced \[ \]/,
  },
};

describe('bad inventories and connection settings: exit 4 before any host is contacted', () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const cmd of ['check', 'play'] as const) {
      it(`${name} (drover ${cmd})`, async () => {
        const inv = join(dir, `${name.replace(/\W+/g, '-')}.ini`);
        writeFileSync(inv, c.inventory.replaceAll('PORT', String(port)).replaceAll('DIR', dir));
        const pb = join(FIX, 'bad', c.playbook);
        const r = await runDrover([cmd, pb, '-i', inv]);
        expect(r.code, r.stdout + r.stderr).toBe(4);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trim().split('\n');
        expect(lines, r.stderr).toHaveLength(1);
        const file = c.inPlaybook ? relative(ROOT, pb) : inv;
        const where = `${file}:${c.at[0]}:${c.at[1]}: `;
        expect(lines[0]).toContain(where);
        expect(lines[0]!.slice(lines[0]!.indexOf(where) + where.length)).toMatch(c.message);
      });
    }
  }

  it('the suites together have at least 50 cases', async () => {
    const { readFileSync } = await import('node:fs');
    const core = readFileSync(join(ROOT, 'test/unit/bad-input/check-bad-input.test.ts'), 'utf8');
    const coreCases = (core.slice(core.indexOf('const cases'), core.indexOf('};', core.indexOf('const cases'))).match(/^ {2}'[^']+': \{/gm) ?? []).length;
    expect(coreCases + Object.keys(cases).length).toBeGreaterThanOrEqual(50);
  });

  it('opened no connection to any host', () => {
    expect(connections).toBe(0);
  });
});
