import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import type { RunOptions } from '../../../src/engine/api.js';

const FIX = resolve(__dirname, '../../fixtures/engine/faults');
const sshd = useSshd();

const play = (inventory: string, playbook: string, extra: Partial<RunOptions> = {}) =>
  runPlaybookCollecting({ playbook: join(FIX, playbook), inventory: [inventory], ...extra });

describe('faults over a real sshd', () => {
  it('an unreachable host leaves the play; the others finish; exit 3', async () => {
    // A port that accepts nothing: bind then close.
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const deadPort = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const t = writeTestInventory(sshd, ['h1', 'h2'], {
      group: 'all_nodes',
      extraHosts: [`dead ansible_host=127.0.0.1 ansible_port=${deadPort} ansible_user=nobody workdir=/nonexistent drover_connect_retries=1`],
    });
    const r = await play(t.inventory, 'simple.yaml', { extraVars: [JSON.stringify({ sshd_pid: sshd.pid })] });
    expect(r.summary.exitCode).toBe(3);
    expect(r.summary.tally.dead?.unreachable).toBe(1);
    for (const h of ['h1', 'h2']) expect(readFileSync(join(t.workdirs[h]!, 'two.txt'), 'utf8')).toBe('two\n');
    const dead = r.results.find((x) => x.host === 'dead')!;
    expect(dead.status).toBe('unreachable');
    expect(dead.msg).toMatch(/ECONNREFUSED|refused/i);
  });

  it('connections killed between tasks are re-opened and the run finishes', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const r = await play(t.inventory, 'simple.yaml', { extraVars: [JSON.stringify({ kill_sessions: true, sshd_pid: sshd.pid })] });
    expect(r.results.filter((x) => x.status === 'failed' || x.status === 'unreachable')).toEqual([]);
    expect(r.summary.exitCode).toBe(0);
    // The sessions really died (both hosts' connections), so the second file went over new ones.
    const kill = r.results.find((x) => x.task.startsWith('Kill every SSH session'));
    expect(kill?.result?.stdout).toMatch(/^killed [2-9]/);
    for (const h of ['h1', 'h2']) expect(readFileSync(join(t.workdirs[h]!, 'two.txt'), 'utf8')).toBe('two\n');
  });

  it('become through sudo writes a root-owned file; second run is unchanged', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const r = await play(t.inventory, 'become.yaml');
    expect(r.summary.exitCode).toBe(0);
    const st = statSync(join(t.workdirs.h1!, 'root-owned.txt'));
    expect(st.uid).toBe(0);
    expect(st.mode & 0o777).toBe(0o600);
    const again = await play(t.inventory, 'become.yaml');
    expect(again.results.filter((x) => x.status === 'changed')).toEqual([]);
  });

  it('a hung command times out on its host; the run goes on for the others', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const started = Date.now();
    const r = await play(t.inventory, 'hang.yaml');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.summary.exitCode).toBe(2);
    const hung = r.results.find((x) => x.host === 'h1' && x.task === 'Hangs on h1 only')!;
    expect(hung.status).toBe('failed');
    expect(hung.msg).toMatch(/timed out/);
    expect(hung.where).toMatch(/hang\.yaml:\d+:\d+/);
    expect(existsSync(join(t.workdirs.h2!, 'after.txt'))).toBe(true);
    expect(existsSync(join(t.workdirs.h1!, 'after.txt'))).toBe(false);
    // the sleep was killed on the target
    expect(() => execFileSync('pgrep', ['-u', sshd.user, '-f', '^sleep 3477'])).toThrow();
  });

  it('secrets are masked in events, diffs and the event log', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const log = join(t.dir, 'events.jsonl');
    const r = await play(t.inventory, 'secrets.yaml', { diff: true, eventsFile: log, verbose: 2 });
    expect(r.summary.exitCode).toBe(0);
    expect(readFileSync(join(t.workdirs.h1!, 'secret.conf'), 'utf8')).toBe('password=s3cr3t-Value-42\n');
    const all = JSON.stringify(r.events) + readFileSync(log, 'utf8');
    expect(all).not.toContain('s3cr3t-Value-42');
    expect(all).toContain('password=********');
  });
});
