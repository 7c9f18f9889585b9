/**
 * sudo failures (wrong become password, a user without sudo) and a full disk,
 * through the real CLI against a real sshd. sudo's own log is captured by a
 * small syslog listener on /dev/log (this machine has no syslog daemon), so
 * the number of password attempts is counted where sudo counts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_USER_NOPASSWD, TEST_USER_NO_SUDO, TEST_USER_SUDO_PW } from '../../helpers/sshd.js';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { FIX, ensureBuilt, runDrover, tempFiles } from './cli.js';

const sshd = useSshd();
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'drover-rel-'));
  chmodSync(dir, 0o755);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

function host(name: string, user: string, extra = ''): string {
  const wd = join(dir, name);
  mkdirSync(wd, { recursive: true });
  execFileSync('chown', [`${user}:${user}`, wd]);
  return `${name} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${user} ansible_ssh_private_key_file=${sshd.keyFile} drover_known_hosts_file=${sshd.knownHostsFile} workdir=${wd} ${extra}`;
}

/** Listen on /dev/log while `f` runs; returns what sudo logged. Skips capture if /dev/log is taken. */
async function withSyslog<T>(f: () => Promise<T>): Promise<{ result: T; log: string | undefined }> {
  if (existsSync('/dev/log')) return { result: await f(), log: undefined };
  const out = join(dir, 'syslog.txt');
  const child: ChildProcess = spawn('python3', [join(FIX, 'syslog-listener.py'), '/dev/log', out], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  try {
    const result = await f();
    await new Promise((r) => setTimeout(r, 300));
    return { result, log: existsSync(out) ? readFileSync(out, 'utf8') : '' };
  } finally {
    child.kill();
    rmSync('/dev/log', { force: true });
  }
}

describe('sudo fails', () => {
  it('wrong become password and a user without sudo: one clear error per host, one sudo attempt, the other host goes on', async () => {
    const inv = join(dir, 'become.ini');
    writeFileSync(
      inv,
      [
        host('good', TEST_USER_NOPASSWD),
        host('wrongpw', TEST_USER_SUDO_PW, 'ansible_become_password=not-the-password'),
        host('nosudo', TEST_USER_NO_SUDO),
      ].join('\n') + '\n',
    );
    // keep_going: the first task's failure is ignored, so later become tasks try again — and must not ask sudo again.
    const { result: r, log } = await withSyslog(() => runDrover(['play', join(FIX, 'become.yaml'), '-i', inv, '-e', 'keep_going=true']));
    expect(r.code, r.stdout).toBe(2);
    const out = r.stdout;
    expect(out).toMatch(/failed \(ignored\): \[wrongpw\]\n {4}\S*become\.yaml:6:7: become root failed: incorrect become password \(sudo rejected it\)/);
    expect(out).toMatch(/failed \(ignored\): \[nosudo\]\n {4}\S*become\.yaml:6:7: become root failed: sudo asks for a password; set ansible_become_password/);
    // The second task fails at once from the remembered failure: the host then leaves the play.
    expect(out).toMatch(/TASK \[Root file two\][\s\S]*failed: \[wrongpw\]\n {4}\S*become\.yaml:11:7: become root failed: incorrect become password/);
    expect(out).not.toMatch(/TASK \[Root file three\][\s\S]*\[(wrongpw|nosudo)\]/);
    expect(out).toMatch(/\ngood +: ok=3 +changed=3 /);
    expect(out).toMatch(/\nwrongpw +: ok=0 +changed=0 +unreachable=0 +failed=1 +skipped=0 +rescued=0 +ignored=1/);
    expect(out).toMatch(/\nnosudo +: ok=0 +changed=0 +unreachable=0 +failed=1 +skipped=0 +rescued=0 +ignored=1/);
    expect(out).not.toContain('not-the-password');
    for (const f of ['one.txt', 'two.txt', 'three.txt']) expect(existsSync(join(dir, 'good', f))).toBe(true);
    expect(existsSync(join(dir, 'wrongpw', 'one.txt'))).toBe(false);
    // No retry storm: sudo saw the wrong password once (it would allow three tries per call).
    if (log !== undefined) {
      const attempts = [...log.matchAll(/sudo: +drover-t2 : (\d+) incorrect password attempts?/g)].map((m) => Number(m[1]));
      expect(attempts, log).toEqual([1]);
      expect(log.match(/pam_unix\(sudo:auth\): authentication failure;.*user=drover-t2/g) ?? [], log).toHaveLength(1);
      // sudo -n for the user with no password set: sudo never prompts, nothing is tried.
      expect(log).not.toMatch(/user=drover-t3|drover-t3 : .*incorrect password/);
    }
    // Without sudo's log (someone else owns /dev/log), by time: each failed sudo costs pam's ~2-3 s delay;
    // three tasks each asking again would take 9 s or more.
    else expect(r.ms).toBeLessThan(9000);
  });
});

describe('disk full', () => {
  const mnt = () => join(dir, 'full');
  beforeAll(() => {
    mkdirSync(mnt(), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0777', 'tmpfs', mnt()]);
  });
  afterAll(() => {
    try {
      execFileSync('umount', [mnt()]);
    } catch {
      /* not mounted */
    }
  });

  it('a copy and a template that do not fit: clear error, originals intact, no partial or temp file', async () => {
    writeFileSync(join(mnt(), 'app.conf'), 'original app\n', { mode: 0o666 });
    writeFileSync(join(mnt(), 'tpl.conf'), 'original tpl\n', { mode: 0o666 });
    const inv = join(dir, 'full.ini');
    writeFileSync(inv, host('fullhost', TEST_USER_NOPASSWD, `full_dir=${mnt()}`) + '\n');
    const vars = join(dir, 'big.json');
    writeFileSync(vars, JSON.stringify({ big: 'x'.repeat(200_000) }));
    const r = await runDrover(['play', join(FIX, 'disk-full.yaml'), '-i', inv, '-e', `@${vars}`]);
    expect(r.code, r.stdout).toBe(2);
    for (const [task, file] of [
      ['Too big for the disk \\(copy\\)', 'app.conf'],
      ['Too big for the disk \\(template\\)', 'tpl.conf'],
    ]) {
      expect(r.stdout).toMatch(
        new RegExp(`TASK \\[${task}\\][^\\n]*\\nfailed[^\\n]*\\[fullhost\\]\\n {4}\\S*disk-full\\.yaml:\\d+:7: write failed for ${mnt()}/${file}: cat: write error: No space left on device`),
      );
    }
    expect(readFileSync(join(mnt(), 'app.conf'), 'utf8')).toBe('original app\n');
    expect(readFileSync(join(mnt(), 'tpl.conf'), 'utf8')).toBe('original tpl\n');
    expect(readdirSync(mnt()).sort()).toEqual(['app.conf', 'tpl.conf']);
    expect(tempFiles(mnt())).toEqual([]);
  });
});
