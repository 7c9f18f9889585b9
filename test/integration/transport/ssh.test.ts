import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sshSpec, freePort, TEST_USER_SUDO_PW, TEST_USER2_PASSWORD, TEST_USER_NO_SUDO } from '../../helpers/sshd.js';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { SshConnection } from '../../../src/transport/ssh.js';
import { createConnection } from '../../../src/transport/factory.js';
import { BecomeError } from '../../../src/transport/errors.js';
import { pgrep } from '../../helpers/pgrep.js';
import { CommandTimeoutError, UnreachableError } from '../../../src/util/errors.js';

const sshd = useSshd();
const open: SshConnection[] = [];
function conn(over: Parameters<typeof sshSpec>[1] = {}): SshConnection {
  const c = new SshConnection(sshSpec(sshd, over));
  open.push(c);
  return c;
}

afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
});

function psArgs(): string {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
}

describe('SshConnection: one connection, one shell', () => {
  it('runs many commands over a single SSH connection', async () => {
    const c = conn();
    await c.open();
    for (let i = 0; i < 50; i++) {
      const r = await c.exec(`echo ${i}`);
      expect(r).toEqual({ stdout: `${i}\n`, stderr: '', rc: 0 });
    }
    expect(c.stats()).toEqual({ connects: 1, commands: 50 });
    // One connection: one monitor + one session process in sshd, not 50.
    expect(sshd.pids().length).toBeLessThanOrEqual(2);
  });

  it('keeps stdout, stderr and rc exact (no newline added, binary-safe stdin)', async () => {
    const c = conn();
    expect(await c.exec('printf abc; printf "e r r" >&2; exit 7')).toEqual({ stdout: 'abc', stderr: 'e r r', rc: 7 });
    expect(await c.exec('printf ""')).toEqual({ stdout: '', stderr: '', rc: 0 });
    expect(await c.exec("echo 'unbalanced")).toMatchObject({ rc: 2, stdout: '' });
    expect((await c.exec('echo still fine')).stdout).toBe('still fine\n');
    const bin = Buffer.from([0, 1, 2, 10, 13, 255, 254, 0x27, 0x22, 0x5c]);
    const r = await c.exec('od -An -tx1 | tr -s " \\n" " "', { stdin: bin });
    expect(r.stdout.trim()).toBe('00 01 02 0a 0d ff fe 27 22 5c');
    // stdin that looks like shell syntax and end markers is data, not commands.
    const tricky = "'; exit 3; __drover_end_x__\n$(reboot)\n__DROVER_EOF_\n";
    expect((await c.exec('cat', { stdin: tricky })).stdout).toBe(tricky);
  });

  it('feeds 1 MB of stdin and returns 1 MB of stdout', async () => {
    const c = conn();
    const big = randomBytes(1 << 20);
    const r = await c.exec('sha256sum | cut -d" " -f1', { stdin: big });
    expect(r.stdout.trim()).toBe(require_sha256(big));
    const out = await c.exec('head -c 1048576 /dev/zero | tr "\\0" x');
    expect(out.stdout.length).toBe(1 << 20);
    expect(out.rc).toBe(0);
  });

  it('applies cwd and env to one command only', async () => {
    const c = conn();
    const r = await c.exec('pwd; printf "%s|%s\\n" "$A" "$B"', { cwd: '/tmp', env: { A: "it's a $HOME `x`", B: 'b' } });
    expect(r.stdout).toBe("/tmp\nit's a $HOME `x`|b\n");
    const after = await c.exec('pwd; echo "${A-unset}"');
    expect(after.stdout).not.toContain('/tmp\n');
    expect(after.stdout).toContain('unset');
    const bad = await c.exec('true', { cwd: '/does/not/exist' });
    expect(bad.rc).not.toBe(0);
    expect(bad.stderr).toContain('/does/not/exist');
  });

  it('runs concurrent execs one after another on the same shell', async () => {
    const c = conn();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => c.exec(`sleep 0.0$((${i} % 3)); echo ${i}`)));
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it('a timeout kills the whole process group and the session stays usable', async () => {
    const c = conn();
    const mark = 3000 + Math.floor(Math.random() * 500);
    const t0 = Date.now();
    const err = await c.exec(`sleep ${mark} & sleep ${mark}.5; echo never`, { timeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(pgrep(`sleep ${mark}`)).toBe('');
    expect((await c.exec('echo alive')).stdout).toBe('alive\n');
    // A command that ignores TERM is KILLed.
    const err2 = await c.exec(`trap "" TERM; sleep ${mark}.7`, { timeoutMs: 300 }).catch((e) => e);
    expect(err2).toBeInstanceOf(CommandTimeoutError);
    expect(pgrep(`sleep ${mark}.7`)).toBe('');
    // A command exiting 143 by itself is not a timeout.
    expect((await c.exec('exit 143', { timeoutMs: 5000 })).rc).toBe(143);
  });
  it('a plain program replaces the job shell (no extra fork) and keeps its process group, output and status', async () => {
    const c = conn();
    // Run as plain words, sh is the job itself: its PID is its process group.
    const own = await c.exec('sh -c \'ps -o pid=,pgid= -p $$\'');
    const [pid, pgid] = own.stdout.trim().split(/\s+/);
    expect(pid).toBe(pgid);
    expect(await c.exec("printf '%s|' a 'b c' \"d'e\"")).toEqual({ stdout: "a|b c|d'e|", stderr: '', rc: 0 });
    expect((await c.exec('false')).rc).toBe(1);
    expect((await c.exec('/no/such/program')).rc).toBe(127);
  });
});

describe('SshConnection: timeouts of become sessions', () => {
  it('kills a timed-out command run through sudo (NOPASSWD) from a second shell, then goes on', async () => {
    const c = conn();
    const mark = 3500 + Math.floor(Math.random() * 400);
    const err = await c.exec(`sleep ${mark} & sleep ${mark}.5`, { becomeUser: 'root', timeoutMs: 400 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(pgrep(`sleep ${mark}`)).toBe('');
    expect((await c.exec('id -un', { becomeUser: 'root' })).stdout).toBe('root\n');
  });

  it('the second shell types the become password too', async () => {
    const c = conn({ user: TEST_USER_SUDO_PW, becomePassword: TEST_USER2_PASSWORD });
    const mark = 3900 + Math.floor(Math.random() * 90);
    const err = await c.exec(`sleep ${mark}.25`, { becomeUser: 'root', timeoutMs: 400 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(pgrep(`sleep ${mark}.25`)).toBe('');
    expect((await c.exec('id -un', { becomeUser: 'root' })).stdout).toBe('root\n');
  });
});

describe('SshConnection: become', () => {
  it('becomes root without password (NOPASSWD sudo) on the same connection', async () => {
    const c = conn();
    expect((await c.exec('id -un')).stdout).toBe('drover-t1\n');
    const r = await c.exec('id -u; echo "$HOME"', { becomeUser: 'root' });
    expect(r.stdout).toBe('0\n/root\n');
    expect((await c.exec('id -un', { becomeUser: TEST_USER_NO_SUDO })).stdout).toBe(`${TEST_USER_NO_SUDO}\n`);
    expect((await c.exec('id -un', { becomeUser: 'drover-t1' })).stdout).toBe('drover-t1\n');
    expect(c.stats().connects).toBe(1);
  });

  it('becomes root with a password that never shows in argv, nor does the stdin secret', async () => {
    const c = conn({ user: TEST_USER_SUDO_PW, becomePassword: TEST_USER2_PASSWORD });
    const secret = 'stdin-secret-' + randomBytes(6).toString('hex');
    const running = c.exec('read -r s; sleep 3; [ "$s" = "$EXPECTED" ] && id -un', {
      becomeUser: 'root',
      stdin: secret + '\n',
      env: { EXPECTED: secret },
    });
    // Sample the process list until the command runs (login and sudo take longer on a busy machine); no sample may show a secret.
    let ps = '';
    for (const deadline = Date.now() + 20_000; !ps.includes('sleep 3') && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      ps = psArgs();
      expect(ps).not.toContain(TEST_USER2_PASSWORD);
      expect(ps).not.toContain(secret);
    }
    expect(ps).toContain('sleep 3'); // the command is running now
    expect(await running).toEqual({ stdout: 'root\n', stderr: '', rc: 0 });
  });

  it('a wrong become password fails once, clearly and quickly, with no retry storm', async () => {
    const c = conn({ user: TEST_USER_SUDO_PW, becomePassword: 'wrong-password' });
    const t0 = Date.now();
    const err = await c.exec('id', { becomeUser: 'root' }).catch((e) => e);
    expect(err).toBeInstanceOf(BecomeError);
    expect(err.message).toMatch(/incorrect become password/);
    expect(err.message).not.toContain('wrong-password');
    expect(Date.now() - t0).toBeLessThan(8000);
    const t1 = Date.now();
    const again = await c.exec('id', { becomeUser: 'root' }).catch((e) => e);
    expect(again).toBe(err); // remembered, sudo not asked again
    expect(Date.now() - t1).toBeLessThan(100);
    expect((await c.exec('id -un')).stdout).toBe(`${TEST_USER_SUDO_PW}\n`);
  });

  it('a missing become password and a user without sudo are clear errors', async () => {
    const noPw = await conn({ user: TEST_USER_SUDO_PW })
      .exec('id', { becomeUser: 'root' })
      .catch((e) => e);
    expect(noPw).toBeInstanceOf(BecomeError);
    expect(noPw.message).toMatch(/password/);
    const noSudo = await conn({ user: TEST_USER_NO_SUDO, becomePassword: 'whatever' })
      .exec('id', { becomeUser: 'root' })
      .catch((e) => e);
    expect(noSudo).toBeInstanceOf(BecomeError);
  });
});

describe('SshConnection: connection failures', () => {
  it('a connection killed mid-command fails that command (retryable) and the next exec reconnects', async () => {
    const c = conn();
    await c.exec('true', { becomeUser: 'root' });
    const inflight = c.exec('sleep 5; echo late').catch((e) => e);
    await new Promise((r) => setTimeout(r, 300));
    sshd.killConnections();
    const err = await inflight;
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.retryable).toBe(true);
    expect(await c.exec('echo back')).toEqual({ stdout: 'back\n', stderr: '', rc: 0 });
    expect((await c.exec('id -un', { becomeUser: 'root' })).stdout).toBe('root\n');
    expect(c.stats().connects).toBe(2);
  });

  it('a closed port is unreachable after bounded retries and time', async () => {
    const port = await freePort();
    const c = conn({ port, connectRetries: 2 });
    const t0 = Date.now();
    const err = await c.open().catch((e) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toMatch(/3 attempts/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(c.stats().connects).toBe(0);
  });

  it('wrong credentials are not retried', async () => {
    const c = conn({ privateKeyFile: undefined, password: 'nope', connectRetries: 5 });
    const t0 = Date.now();
    const err = await c.open().catch((e) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/authentication failed/);
    expect(err.message).not.toContain('nope');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('logs in with a password', async () => {
    const c = conn({ user: TEST_USER_SUDO_PW, privateKeyFile: undefined, password: TEST_USER2_PASSWORD });
    expect((await c.exec('id -un')).stdout).toBe(`${TEST_USER_SUDO_PW}\n`);
  });

  it('logs in through ssh-agent', async () => {
    const sock = `${sshd.dir}/agent.sock`;
    const out = execFileSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      execFileSync('ssh-add', ['-q', sshd.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const c = conn({ privateKeyFile: undefined, agent: sock });
      expect((await c.exec('id -un')).stdout).toBe('drover-t1\n');
    } finally {
      process.kill(pid);
    }
  });

  it('goes through a jump host (ProxyJump-style)', async () => {
    const c = conn({ jump: { host: sshd.host, port: sshd.port, user: 'drover-t3' } });
    const before = sshd.pids().length;
    expect((await c.exec('id -un')).stdout).toBe('drover-t1\n');
    // Two SSH connections now exist for this client: the hop and the target.
    expect(sshd.pids().length - before).toBe(4);
    const who = execFileSync('ps', ['-eo', 'user:20,args'], { encoding: 'utf8' });
    expect(who).toMatch(/drover-t3 +sshd: drover-t3/);
    await c.close();
  });

  it('the factory builds SSH and local connections', async () => {
    const s = createConnection(sshSpec(sshd));
    open.push(s as SshConnection);
    expect((await s.exec('echo ok')).stdout).toBe('ok\n');
    const l = createConnection({ ...sshSpec(sshd), kind: 'local', name: 'localhost' });
    expect((await l.exec('echo local')).stdout).toBe('local\n');
    await l.close();
  });
});

function require_sha256(b: Buffer): string {
  return execFileSync('sha256sum', { input: b, encoding: 'utf8' }).split(' ')[0]!;
}
