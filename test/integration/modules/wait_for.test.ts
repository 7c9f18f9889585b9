/**
 * wait_for and fact gathering for real, over the real SSH transport: ports
 * opened and closed by this test (the target is this machine via loopback),
 * files created while the remote loop waits.
 */
import { createServer, type Server } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitForModule } from '../../../src/modules/wait_for.js';
import { setupModule } from '../../../src/modules/setup.js';
import { freePort } from '../../helpers/sshd.js';
import { useSshdTarget } from '../../helpers/sshd-fixture.js';
import { runModule } from '../../helpers/task-context.js';

const target = useSshdTarget('wait');
const { ctx } = target;

function listen(port: number, onConn?: (s: import('node:net').Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => (onConn ? onConn(s) : s.end()));
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

const close = (srv: Server) => new Promise<void>((r) => srv.close(() => r()));

describe('wait_for a port', () => {
  it('is ok at plan time when the port is already open (no apply)', async () => {
    const port = await freePort();
    const srv = await listen(port);
    try {
      const sent: string[] = [];
      const r = await runModule(waitForModule, { port, timeout: 5 }, ctx({ sent }));
      expect(r).toMatchObject({ status: 'ok', result: { changed: false, elapsed: 0, port } });
      expect(sent).toHaveLength(1);
    } finally {
      await close(srv);
    }
  });

  it('waits in ONE remote loop for a port the test opens later', async () => {
    const port = await freePort();
    const sent: string[] = [];
    let srv: Server | undefined;
    // Opened late enough that the loop has waited a whole second even when a loaded machine starts it late.
    const opener = setTimeout(async () => (srv = await listen(port)), 3000);
    try {
      const t = Date.now();
      const r = await runModule(waitForModule, { port, timeout: 20, sleep: 0.3 }, ctx({ sent }));
      expect(r.status).toBe('ok');
      expect(r.plan.unknown).toMatch(/not yet/);
      expect(Date.now() - t).toBeGreaterThanOrEqual(2900);
      expect(r.result.elapsed).toBeGreaterThanOrEqual(1);
      expect(sent).toHaveLength(2); // the plan's probe + the one loop
    } finally {
      clearTimeout(opener);
      if (srv) await close(srv);
    }
  });

  it('times out with a clear message when nothing listens', async () => {
    const port = await freePort();
    const t = Date.now();
    const r = await runModule(waitForModule, { port, timeout: 2, sleep: 0.5 }, ctx());
    expect(r.status).toBe('failed');
    expect(r.result.msg).toMatch(new RegExp(`^Timeout when waiting for 127\\.0\\.0\\.1:${port} \\(waited [23]s, timeout 2s\\)$`));
    expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t).toBeLessThan(8000);
  });

  it('state=stopped waits until the port closes', async () => {
    const port = await freePort();
    const srv = await listen(port);
    const closer = setTimeout(() => srv.close(), 1200);
    try {
      const r = await runModule(waitForModule, { port, state: 'stopped', timeout: 20, sleep: 0.3 }, ctx());
      expect(r.status).toBe('ok');
      expect(r.plan.unknown).toBeDefined();
    } finally {
      clearTimeout(closer);
      srv.close();
    }
  });

  it('search_regex matches what the service sends (a banner)', async () => {
    const port = await freePort();
    const srv = await listen(port, (s) => s.write('SSH-2.0-FakeServer_1.0\r\n'));
    try {
      const ok = await runModule(waitForModule, { port, search_regex: 'SSH-2\\.0-\\w+', timeout: 5 }, ctx());
      expect(ok.status).toBe('ok');
      const no = await runModule(waitForModule, { port, search_regex: 'HTTP/1', timeout: 1, connect_timeout: 1 }, ctx());
      expect(no.status).toBe('failed');
      expect(no.result.msg).toMatch(/Timeout when waiting for search string "HTTP\/1" on 127\.0\.0\.1/);
    } finally {
      await close(srv);
    }
  });
});

describe('wait_for a path', () => {
  it('waits for a file to appear with the regex in it, and for it to go', async () => {
    const f = `${target.work}/app.log`;
    const writer = setTimeout(() => writeFileSync(f, 'booting\nready on 8080\n'), 1000);
    try {
      const r = await runModule(waitForModule, { path: f, search_regex: 'ready on \\d+', timeout: 20, sleep: 0.2 }, ctx());
      expect(r).toMatchObject({ status: 'ok', result: { path: f, search_regex: 'ready on \\d+' } });
    } finally {
      clearTimeout(writer);
    }
    // Removed from the controller side: the connection's shell is busy with the wait loop.
    const remover = setTimeout(() => rmSync(f, { force: true }), 800);
    const gone = await runModule(waitForModule, { path: f, state: 'absent', timeout: 20, sleep: 0.2 }, ctx());
    clearTimeout(remover);
    expect(gone.status).toBe('ok');
  });
});

describe('facts on the real host', () => {
  it('setup gathers Ansible-named facts in one round trip', async () => {
    const before = target.conn.stats().commands;
    const r = await runModule(setupModule, {}, ctx());
    expect(target.conn.stats().commands - before).toBe(1);
    const f = r.result.facts as Record<string, unknown>;
    expect(f.ansible_user_id).toBe('drover-t1');
    expect(f.ansible_distribution).toBe('Debian');
    expect(f.ansible_distribution_release).toBe('bookworm');
    expect(f.ansible_os_family).toBe('Debian');
    expect(f.ansible_pkg_mgr).toBe('apt');
    expect(f.ansible_system).toBe('Linux');
    expect((f.ansible_env as Record<string, string>).HOME).toBe('/home/drover-t1');
    expect(f.ansible_memtotal_mb as number).toBeGreaterThan(0);
    expect(f.ansible_processor_vcpus as number).toBeGreaterThan(0);
    expect(f.ansible_interfaces).toContain('lo');
    expect(String((f.ansible_date_time as Record<string, string>).epoch)).toMatch(/^\d{10}$/);
    expect(Math.abs(Number((f.ansible_date_time as Record<string, string>).epoch) - Date.now() / 1000)).toBeLessThan(60);
    expect((f.ansible_facts as Record<string, unknown>).hostname).toBe(f.ansible_hostname);
    expect(r.status).toBe('ok');
  });
});
