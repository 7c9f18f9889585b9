/**
 * drover itself is killed (SIGKILL) in the middle of things: a target file is
 * never half-written, temp files do not pile up, and a handler notified before
 * the kill fires on the next run, exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync, chownSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory, type TestHosts } from '../../helpers/inventory.js';
import { FIX, ensureBuilt, runDrover, spawnDrover, tempFiles, until } from './cli.js';

const sshd = useSshd();
let t: TestHosts;
let bigSrc: string;
let uid: number;

beforeAll(async () => {
  await ensureBuilt();
  t = writeTestInventory(sshd, ['h1']);
  uid = Number(execFileSync('id', ['-u', sshd.user], { encoding: 'utf8' }));
  // ~24 MB of text: long enough to be caught in flight on loopback.
  const dir = mkdtempSync(join(tmpdir(), 'drover-rel-big-'));
  bigSrc = join(dir, 'big.txt');
  writeFileSync(bigSrc, randomBytes(18 * 1024 * 1024).toString('base64').replace(/.{100}/g, '$&\n'));
});

const wd = () => t.workdirs.h1!;
const play = (file: string, ...extra: string[]) => ['play', join(FIX, file), '-i', t.inventory, ...extra];

function seed(name: string, content: string): string {
  const p = join(wd(), name);
  writeFileSync(p, content);
  chownSync(p, uid, uid);
  return p;
}

/** The remote side of a killed run may still be working: wait until no process of the test user mentions `marker`. */
async function remoteQuiet(marker: string): Promise<void> {
  await until(() => {
    try {
      execFileSync('pgrep', ['-u', sshd.user, '-f', marker]);
      return false;
    } catch {
      return true;
    }
  }, 20_000, 100);
}

describe('drover killed with SIGKILL', () => {
  it('as a large copy starts (planning or sending its content): the target keeps its old content, no temp file', async () => {
    const target = seed('big.txt', 'old\n');
    const r = spawnDrover(play('slow-write.yaml', '-l', 'h1', '-e', 'mode=big', '-e', 'version=1', '-e', `big_src=${bigSrc}`));
    await r.waitFor(/TASK \[Big copy\]/);
    r.child.kill('SIGKILL');
    const e = await r.exit;
    expect(e.signal).toBe('SIGKILL');
    // The shell on the target has not received the whole content: it never starts the write.
    const lengths = new Set<number>();
    const t0 = Date.now();
    await until(() => {
      lengths.add(readFileSync(target).length);
      expect(tempFiles(wd())).toEqual([]);
      return Date.now() - t0 > 3000;
    }, 5000, 10);
    expect([...lengths]).toEqual([4]);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
  });

  it('while the temp file is being written: the target is the old or the new content, never partial; the temp file goes away', async () => {
    const target = seed('big.txt', 'old\n');
    const big = readFileSync(bigSrc, 'utf8');
    const r = spawnDrover(play('slow-write.yaml', '-l', 'h1', '-e', 'mode=big', '-e', 'version=1', '-e', `big_src=${bigSrc}`));
    // Kill the moment the hidden temp file appears next to the target.
    const seen = await until(() => tempFiles(wd()).length > 0, 30_000, 2);
    r.child.kill('SIGKILL');
    await r.exit;
    expect(seen, 'temp file never seen').toBe(true);
    // Sample the target while the orphaned remote job may still be finishing.
    const samples = new Set<number>();
    await until(() => {
      const s = readFileSync(target, 'utf8');
      samples.add(s.length);
      expect(s === 'old\n' || s === big, `partial target: ${s.length} bytes`).toBe(true);
      return tempFiles(wd()).length === 0;
    }, 20_000, 5);
    expect(tempFiles(wd())).toEqual([]);
    // Observed: the write script keeps running on the target after drover dies (no tty, no SIGHUP), so it completes.
    expect([...samples].every((n) => n === 4 || n === big.length)).toBe(true);
    expect(readFileSync(target, 'utf8').length).toBe(big.length);
  });

  it('while a template waits for its validate command: old content until the rename, then the new; no temp file left', async () => {
    const target = seed('conf.txt', 'version=old\n');
    const r = spawnDrover(play('slow-write.yaml', '-l', 'h1', '-e', 'mode=validate', '-e', 'version=new', '-e', 'big_src=/dev/null', '-e', 'validate_sleep=2'));
    expect(await until(() => tempFiles(wd()).length > 0, 30_000, 5)).toBe(true);
    r.child.kill('SIGKILL');
    await r.exit;
    expect(readFileSync(target, 'utf8')).toBe('version=old\n');
    const seen = new Set<string>();
    await until(() => {
      seen.add(readFileSync(target, 'utf8'));
      return tempFiles(wd()).length === 0;
    }, 20_000, 10);
    await remoteQuiet("sleep 2; test -s");
    seen.add(readFileSync(target, 'utf8'));
    expect([...seen].every((s) => s === 'version=old\n' || s === 'version=new\nhost=h1\n'), JSON.stringify([...seen])).toBe(true);
    expect(tempFiles(wd())).toEqual([]);
    // The validation and rename finish on the target although drover is gone.
    expect(readFileSync(target, 'utf8')).toBe('version=new\nhost=h1\n');
  });

  it('after a task notified a handler: the next run fires the handler exactly once', async () => {
    const state = join(t.dir, '.drover');
    const r = spawnDrover(play('notify-then-hang.yaml', '-e', 'version=kill-1', '-e', 'long=37'));
    await r.waitFor(/TASK \[Notifier\][\s\S]*changed: \[h1\][\s\S]*TASK \[Long\]/);
    r.child.kill('SIGKILL');
    await r.exit;
    try {
      execFileSync('pkill', ['-u', sshd.user, '-x', '-f', 'sleep 37']);
    } catch {
      /* already gone */
    }
    expect(existsSync(join(wd(), 'restarts.log'))).toBe(false);
    const pending = readFileSync(execFileSync('sh', ['-c', `ls ${state}/state-*.json`], { encoding: 'utf8' }).trim(), 'utf8');
    expect(JSON.parse(pending).pending).toEqual([{ host: 'h1', handler: 'restart app' }]);

    // Next run: nothing left to change, but the pending handler fires.
    const again = await runDrover(play('notify-then-hang.yaml', '-e', 'version=kill-1'));
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/RUNNING HANDLER \[restart app\][\s\S]*changed: \[h1\]/);
    expect(readFileSync(join(wd(), 'restarts.log'), 'utf8')).toBe('restarted\n');

    const third = await runDrover(play('notify-then-hang.yaml', '-e', 'version=kill-1'));
    expect(third.code).toBe(0);
    expect(third.stdout).not.toMatch(/RUNNING HANDLER/);
    expect(readFileSync(join(wd(), 'restarts.log'), 'utf8')).toBe('restarted\n');
  });
});
