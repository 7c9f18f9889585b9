import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWait, parseVerdict, waitForModule, waitScript } from '../../../src/modules/wait_for.js';
import { ModuleError } from '../../../src/util/errors.js';
import { recordedContext } from './recorded-context.js';

const args = (a: Record<string, unknown>) => waitForModule.schema.parse(a);
const bash = (script: string) => execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });

describe('wait_for arguments', () => {
  it('has Ansible defaults', () => {
    expect(args({ port: '5672' })).toMatchObject({ host: '127.0.0.1', port: 5672, state: 'started', timeout: 300, delay: 0, sleep: 1, connect_timeout: 5 });
  });
  it('rejects contradictions', () => {
    expect(waitForModule.schema.safeParse({ port: 1, path: '/x' }).success).toBe(false);
    expect(waitForModule.schema.safeParse({ path: '/x', state: 'absent', search_regex: 'x' }).success).toBe(false);
    expect(waitForModule.schema.safeParse({ port: 70000 }).success).toBe(false);
    expect(waitForModule.schema.safeParse({ port: 1, state: 'drained' }).success).toBe(false);
  });
  it('describes the wait as Ansible words it', () => {
    expect(describeWait(args({ port: 5672 }))).toBe('127.0.0.1:5672');
    expect(describeWait(args({ port: 22, host: 'db', state: 'stopped' }))).toBe('db:22 to stop');
    expect(describeWait(args({ path: '/var/log/x', search_regex: 'ready' }))).toBe('search string "ready" in /var/log/x');
    expect(describeWait(args({ path: '/run/x.pid', state: 'absent' }))).toBe('/run/x.pid to be absent');
  });
});

describe('wait_for plan: one probe decides whether apply must wait', () => {
  it('is ok without apply when the condition already holds', async () => {
    const { ctx, sent } = recordedContext([{ stdout: 'drover-wait ok 0\n' }]);
    const plan = await waitForModule.plan(ctx, args({ port: 5672 }));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.command).toContain('/dev/tcp/');
    expect(plan).toEqual({ changes: [], result: { changed: false, elapsed: 0, state: 'started', port: 5672 } });
  });
  it('is unknown (apply waits) when it does not hold yet', async () => {
    const { ctx } = recordedContext([{ stdout: 'drover-wait notyet 0\n' }], { check: true });
    const plan = await waitForModule.plan(ctx, args({ path: '/etc/ready' }));
    expect(plan.changes).toEqual([]);
    expect(plan.unknown).toMatch(/file \/etc\/ready.*apply.*300s/);
  });
  it('with a delay, leaves the whole wait to apply (no probe)', async () => {
    const { ctx, sent } = recordedContext([]);
    expect((await waitForModule.plan(ctx, args({ port: 80, delay: 5 }))).unknown).toMatch(/delay 5s/);
    expect(sent).toEqual([]);
  });
  it('refuses output it cannot read', async () => {
    const { ctx } = recordedContext([{ stdout: '', stderr: 'bash: not found', rc: 127 }]);
    await expect(waitForModule.plan(ctx, args({ port: 80 }))).rejects.toBeInstanceOf(ModuleError);
  });
  it('only sleeps when there is nothing to watch, and not in check mode', async () => {
    const t = Date.now();
    const { ctx, sent } = recordedContext([], { check: true });
    expect((await waitForModule.plan(ctx, args({ timeout: 100 }))).result).toMatchObject({ changed: false, elapsed: 0 });
    expect(Date.now() - t).toBeLessThan(500);
    expect(sent).toEqual([]);
  });
});

describe('wait_for apply: one remote loop', () => {
  it('returns elapsed on success and a clear timeout failure', async () => {
    const ok = recordedContext([{ stdout: 'drover-wait ok 2\n' }]);
    const a = args({ port: 5672, timeout: 3 });
    expect(await waitForModule.apply(ok.ctx, a, { changes: [] })).toEqual({ changed: false, elapsed: 2, state: 'started', port: 5672 });
    expect(ok.sent).toHaveLength(1);
    const late = recordedContext([{ stdout: 'drover-wait timeout 3\n' }]);
    expect(await waitForModule.apply(late.ctx, a, { changes: [] })).toMatchObject({
      failed: true,
      changed: false,
      msg: 'Timeout when waiting for 127.0.0.1:5672 (waited 3s, timeout 3s)',
    });
    const custom = recordedContext([{ stdout: 'drover-wait timeout 3\n' }]);
    expect((await waitForModule.apply(custom.ctx, args({ port: 1, timeout: 3, msg: 'rabbit never came' }), { changes: [] })).msg).toBe('rabbit never came');
  });

  it('parses verdicts', () => {
    expect(parseVerdict('noise\ndrover-wait timeout 12\n')).toEqual({ verdict: 'timeout', elapsed: 12 });
    expect(parseVerdict('')).toBeNull();
  });
});

describe('the generated scripts, run in a real bash', () => {
  const d = mkdtempSync(join(tmpdir(), 'drover-wait-'));
  afterAll(() => rmSync(d, { recursive: true, force: true }));

  it('path present / absent / search_regex', () => {
    const f = join(d, 'log file');
    expect(bash(waitScript(args({ path: f }), true))).toBe('drover-wait notyet 0\n');
    expect(bash(waitScript(args({ path: f, state: 'absent' }), true))).toBe('drover-wait ok 0\n');
    writeFileSync(f, 'starting\n');
    expect(bash(waitScript(args({ path: f }), true))).toBe('drover-wait ok 0\n');
    expect(bash(waitScript(args({ path: f, search_regex: 'ready on port \\d+' }), true))).toBe('drover-wait notyet 0\n');
    appendFileSync(f, 'ready on port 8080\n');
    expect(bash(waitScript(args({ path: f, search_regex: 'ready on port \\d+' }), true))).toBe('drover-wait ok 0\n');
  });

  it('the loop times out after about timeout seconds', () => {
    const t = Date.now();
    const out = bash(waitScript(args({ path: join(d, 'never'), timeout: 2, sleep: 0.5 }), false));
    expect(parseVerdict(out)?.verdict).toBe('timeout');
    expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
