import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory, type TestHosts } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import type { RunOptions } from '../../../src/engine/api.js';

const FIX = resolve(__dirname, '../../fixtures/engine');

const sshd = useSshd();
let hosts: TestHosts;

async function play(playbook: string, extra: Partial<RunOptions> = {}) {
  const r = await runPlaybookCollecting({ playbook: join(FIX, playbook), inventory: [hosts.inventory], stateDir: join(hosts.dir, '.drover'), ...extra });
  const keyed = (s: string) => r.results.filter((x) => x.status === s).map((x) => `${x.host}|${x.task}`).sort();
  return { ...r, changed: keyed('changed'), unknown: keyed('unknown'), failed: keyed('failed') };
}

beforeAll(async () => {
  hosts = writeTestInventory(sshd, ['h1', 'h2', 'h3']);
});

describe('converge over a real sshd, three hosts', () => {
  it('check on a fresh host predicts the real run; the second run changes nothing; check then reports nothing', async () => {
    const predicted = await play('site.yaml', { check: true });
    expect(predicted.summary.exitCode).toBe(0);
    expect(predicted.failed).toEqual([]);

    const first = await play('site.yaml');
    expect(first.failed).toEqual([]);
    expect(first.summary.exitCode).toBe(0);
    // Every task the real run changed was predicted to change (or honestly flagged unknown), and nothing more.
    expect([...predicted.changed, ...predicted.unknown].sort()).toEqual(expect.arrayContaining(first.changed));
    for (const c of predicted.changed) expect(first.changed).toContain(c);
    expect(first.changed.length).toBeGreaterThanOrEqual(3 * 8);

    // Handler ran once per host, at the end.
    for (const h of ['h1', 'h2', 'h3']) {
      expect(readFileSync(join(hosts.workdirs[h]!, 'app/restarted'), 'utf8')).toBe('restarted\n');
      expect(readFileSync(join(hosts.workdirs[h]!, 'app/index.html'), 'utf8')).toContain(`<h1>hello from ${h}</h1>`);
      // noEscape: '&' and '+' are written as-is.
      expect(readFileSync(join(hosts.workdirs[h]!, 'app/index.html'), 'utf8')).toContain('& friends: a + b');
      expect(statSync(join(hosts.workdirs[h]!, 'app/alpha.txt')).mode & 0o777).toBe(0o640);
    }
    const handlerRuns = first.results.filter((r) => r.task === 'restart app' && r.status === 'changed');
    expect(handlerRuns.map((r) => r.host).sort()).toEqual(['h1', 'h2', 'h3']);

    const second = await play('site.yaml');
    expect(second.summary.exitCode).toBe(0);
    expect(second.changed).toEqual([]);
    expect(Object.values(second.summary.tally).every((t) => t.changed === 0)).toBe(true);

    const check = await play('site.yaml', { check: true });
    expect(check.changed).toEqual([]);
    expect(check.unknown).toEqual([]);
    expect(check.summary.exitCode).toBe(0);
  });

  it('--check changes nothing on the target', async () => {
    const wd = hosts.workdirs.h1!;
    writeFileSync(join(wd, 'app/settings.conf'), 'port=1\n');
    const r = await play('site.yaml', { check: true, diff: true, limit: 'h1' });
    expect(r.changed).toContain('h1|Lines in a config');
    const ev = r.results.find((x) => x.task === 'Lines in a config')!;
    expect(ev.changes[0]?.diff?.before).toBe('port=1\n');
    expect(ev.changes[0]?.diff?.after).toBe('port=8080\n');
    expect(readFileSync(join(wd, 'app/settings.conf'), 'utf8')).toBe('port=1\n');
    // the real run fixes it and fires the handler
    const fix = await play('site.yaml', { limit: 'h1' });
    expect(fix.changed).toEqual(['h1|Lines in a config']);
    // The handler was notified and ran (its own file is already converged, so it reports ok).
    expect(fix.results.filter((x) => x.task === 'restart app').map((x) => x.status)).toEqual(['ok']);
  });

  it('a handler notified in a failed run fires on the next run, exactly once', async () => {
    const failing = await play('handlers-fail.yaml');
    expect(failing.summary.exitCode).toBe(2);
    for (const h of ['h1', 'h2', 'h3']) expect(existsSync(join(hosts.workdirs[h]!, 'restarts.log'))).toBe(false);

    const next = await play('handlers-fail.yaml', { extraVars: ['{"fail_now": false}'] });
    expect(next.summary.exitCode).toBe(0);
    // The file task is converged now; only the remembered handler runs.
    expect(next.changed).toEqual(['h1|count restarts', 'h2|count restarts', 'h3|count restarts']);
    const again = await play('handlers-fail.yaml', { extraVars: ['{"fail_now": false}'] });
    expect(again.changed).toEqual([]);
    for (const h of ['h1', 'h2', 'h3']) expect(readFileSync(join(hosts.workdirs[h]!, 'restarts.log'), 'utf8')).toBe('restart\n');
  });
});
