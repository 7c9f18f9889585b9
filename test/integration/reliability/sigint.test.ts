/**
 * Ctrl-C (SIGINT) to the drover CLI in the middle of a run: the command in
 * flight finishes, nothing after it starts, the recap says what ran, exit 130,
 * and a handler notified before the interrupt is kept for the next run. A
 * second Ctrl-C aborts at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { FIX, ensureBuilt, runDrover, spawnDrover, until } from './cli.js';

const sshd = useSshd();

beforeAll(async () => {
  await ensureBuilt();
});

function pending(dir: string): unknown {
  const f = readdirSync(join(dir, '.drover')).find((x) => x.startsWith('state-'))!;
  return JSON.parse(readFileSync(join(dir, '.drover', f), 'utf8')).pending;
}

describe('SIGINT to the CLI', () => {
  it('one Ctrl-C: the in-flight task finishes, the run stops, exit 130, pending handlers kept and fired once next time', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const args = ['play', join(FIX, 'sigint.yaml'), '-i', t.inventory];
    const r = spawnDrover([...args, '-e', 'slow=3']);
    await r.waitFor(/TASK \[Slow\]/);
    r.child.kill('SIGINT');
    const e = await r.exit;
    const out = r.stdout();
    expect(e.code, out + r.stderr()).toBe(130);
    expect(out).toMatch(/\[WARNING\]: interrupted: finishing the tasks in flight/);
    // In flight: finished on both hosts (its result is printed and its side effect happened).
    expect(out).toMatch(/TASK \[Slow\][\s\S]*changed: \[h[12]\][\s\S]*changed: \[h[12]\]/);
    for (const h of ['h1', 'h2']) expect(readFileSync(join(t.workdirs[h]!, 'slow.log'), 'utf8')).toBe('done\n');
    // Nothing after it.
    expect(out).not.toMatch(/TASK \[After slow\]|RUNNING HANDLER/);
    for (const h of ['h1', 'h2']) expect(existsSync(join(t.workdirs[h]!, 'after.txt'))).toBe(false);
    // The recap says what ran; the stop names what is pending.
    expect(out).toMatch(/PLAY RECAP[\s\S]*\nh1 +: ok=2 +changed=2 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=0/);
    expect(out).toMatch(/stopped by Ctrl-C; handlers pending for the next run: restart app on h1, restart app on h2/);
    expect(pending(t.dir)).toEqual(expect.arrayContaining([{ host: 'h1', handler: 'restart app' }, { host: 'h2', handler: 'restart app' }]));

    const next = await runDrover([...args, '-e', 'slow=0']);
    expect(next.code, next.stdout).toBe(0);
    expect(next.stdout).toMatch(/RUNNING HANDLER \[restart app\]/);
    for (const h of ['h1', 'h2']) expect(readFileSync(join(t.workdirs[h]!, 'restarts.log'), 'utf8')).toBe('restarted\n');
    expect(pending(t.dir)).toEqual([]);
    const third = await runDrover([...args, '-e', 'slow=0']);
    expect(third.stdout).not.toMatch(/RUNNING HANDLER/);
    for (const h of ['h1', 'h2']) expect(readFileSync(join(t.workdirs[h]!, 'restarts.log'), 'utf8')).toBe('restarted\n');
  });

  it('a second Ctrl-C aborts at once; the pending handler is still on file; the orphaned remote command runs to its end', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const r = spawnDrover(['play', join(FIX, 'sigint.yaml'), '-i', t.inventory, '-e', 'slow=4']);
    await r.waitFor(/TASK \[Slow\]/);
    r.child.kill('SIGINT');
    await r.waitFor(/\[WARNING\]: interrupted/);
    const second = Date.now();
    r.child.kill('SIGINT');
    const e = await r.exit;
    expect(Date.now() - second).toBeLessThan(1500);
    // Node's default SIGINT action: killed by the signal (a shell shows 130).
    expect(e.signal).toBe('SIGINT');
    expect(r.stdout()).not.toMatch(/RECAP/);
    expect(pending(t.dir)).toEqual([{ host: 'h1', handler: 'restart app' }]);
    // Observed: no tty, so no SIGHUP on the target: the command drover no longer waits for still completes.
    expect(existsSync(join(t.workdirs.h1!, 'slow.log'))).toBe(false);
    expect(await until(() => existsSync(join(t.workdirs.h1!, 'slow.log')), 10_000, 100)).toBe(true);
  });
});
