/**
 * Secrets through the real CLI: console at -v0 to -vvv, the event log, error
 * messages and diffs never show a secret; credentials and keys are 0600 and
 * never overwritten; host keys: unknown refused with the fingerprint and how
 * to accept it, changed refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chownSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory, type TestHosts } from '../../helpers/inventory.js';
import { FIX, ROOT, ensureBuilt, runDrover } from './cli.js';

const sshd = useSshd();
let t: TestHosts;
let uid: number;
const SECRETS = ['PlayVarSecret-111', 'InventorySecret-222', 'Generated333Token', 'OldSecret-444'];

beforeAll(async () => {
  await ensureBuilt();
  t = writeTestInventory(sshd, ['h1'], { extra: '[all:vars]\nrabbit_pass=InventorySecret-222' });
  uid = Number(execFileSync('id', ['-u', sshd.user], { encoding: 'utf8' }));
});

describe('secrets in output', () => {
  for (const v of [[], ['-v'], ['-vv'], ['-vvv']]) {
    it(`never in stdout, stderr or the event log (-D ${v.join(' ') || '-v0'})`, async () => {
      const conf = join(t.workdirs.h1!, 'app.conf');
      // The file holds an old password drover was never told about.
      writeFileSync(conf, 'password=OldSecret-444\nrabbit_url=amqp://openstack:x@controller\n');
      chownSync(conf, uid, uid);
      const events = join(t.dir, `events${v.join('')}.jsonl`);
      const r = await runDrover(['play', join(FIX, 'secrets.yaml'), '-i', t.inventory, '-D', '--events', events, ...v]);
      expect(r.code, r.stdout).toBe(2); // the last task fails on purpose
      const all = r.stdout + r.stderr + readFileSync(events, 'utf8');
      for (const s of SECRETS) expect(all, `${s} leaked`).not.toContain(s);
      // The diff is made of masked text: the old password line (a value drover never knew) and the new
      // one both read password=******** — so that line shows as unchanged context.
      expect(r.stdout).toContain('\n     password=********\n');
      expect(r.stdout).toContain('-rabbit_url=amqp://openstack:x@controller');
      expect(r.stdout).toContain('+rabbit_url=amqp://openstack:********@controller');
      // A registered no_log value is masked where a later task prints it; the playbook's own words are not.
      expect(r.stdout).toContain('token is ********');
      expect(r.stdout).toContain('TASK [Show what came back]');
      // The error message, command and stderr of the failing task are masked.
      expect(r.stdout).toMatch(/stderr: auth failed for \*{8} \/ \*{8} \/ \*{8}/);
      expect(r.stdout).toMatch(/command: echo 'auth failed for \*{8} \/ \*{8} \/ \*{8}'/);
      // The commands a task runs show at -vvv only; a no_log task's, hidden.
      if (v[0] === '-vvv') expect(r.stdout).toContain('$ <command hidden by no_log> -> rc=0');
      else expect(r.stdout).not.toMatch(/^ +\[[^\]]+\] \$ /m);
      // The no_log task's event carries Ansible's censored marker in place of its result, and no output or command.
      const noLog = readFileSync(events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.type === 'task_result' && e.task === 'Generate a token (no_log)');
      expect(noLog).toHaveLength(1);
      expect(noLog[0]).toMatchObject({ result: { censored: 'the output has been hidden due to no_log: true' } });
      expect(noLog[0]!.stdout ?? noLog[0]!.command).toBeUndefined();
      if (v[0] === '-vv' || v[0] === '-vvv') expect(r.stdout).toContain('the output has been hidden due to no_log: true');
      // The file itself has the real values.
      expect(readFileSync(conf, 'utf8')).toBe('password=PlayVarSecret-111\nrabbit_url=amqp://openstack:InventorySecret-222@controller\n');
    });
  }
});

describe('credentials and keys', () => {
  it('a credentials file (copy force: false) and a private key are 0600 and never overwritten', async () => {
    const args = ['play', join(FIX, 'credentials.yaml'), '-i', t.inventory];
    const first = await runDrover([...args, '-e', 'admin_password=FirstAdminPassword']);
    expect(first.code, first.stdout).toBe(0);
    const rc = join(t.workdirs.h1!, 'admin-openrc');
    const key = join(t.workdirs.h1!, 'server.key');
    expect(statSync(rc).mode & 0o777).toBe(0o600);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const keyBefore = readFileSync(key, 'utf8');
    expect(first.stdout).not.toContain('FirstAdminPassword');
    const second = await runDrover([...args, '-e', 'admin_password=SecondAdminPassword']);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/changed: \[h1\]/);
    expect(readFileSync(rc, 'utf8')).toBe('OS_PASSWORD=FirstAdminPassword\n');
    expect(readFileSync(key, 'utf8')).toBe(keyBefore);
  });

  it("the credentials role generates the lab's passwords once, 0600, and never prints them", async () => {
    const credDir = mkdtempSync(join(tmpdir(), 'drover-rel-cred-'));
    const dir = join(credDir, 'creds');
    const args = ['play', join(FIX, 'credentials-role.yaml'), '-i', 'localhost,', '-e', `credentials_dir=${dir}`];
    // The lab's role, from drover's own roles/: a playbook outside a lab names where it looks (roles_path).
    const rolesEnv = { ANSIBLE_ROLES_PATH: join(ROOT, 'roles') };
    const first = await runDrover(args, rolesEnv);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const file = join(dir, 'credentials.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const body = readFileSync(file, 'utf8');
    const values = [...body.matchAll(/: "([A-Za-z0-9]+)"/g)].map((m) => m[1]!);
    expect(values.length).toBe(5);
    for (const s of values) expect(first.stdout + first.stderr).not.toContain(s);
    const second = await runDrover([...args, '-v'], rolesEnv);
    expect(second.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(body);
    for (const s of values) expect(second.stdout + second.stderr).not.toContain(s);
  });
});

describe('host keys at the CLI', () => {
  it('an unknown host key: exit 3, the fingerprint and how to accept it', async () => {
    const empty = join(t.dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const inv = join(t.dir, 'unknown-key.ini');
    writeFileSync(inv, readFileSync(t.inventory, 'utf8').replace(sshd.knownHostsFile, empty));
    const r = await runDrover(['play', join(FIX, 'credentials.yaml'), '-i', inv, '-e', 'admin_password=x']);
    expect(r.code, r.stdout).toBe(3);
    // Observed: task results, including this one, go to stdout; stderr stays empty.
    const out = r.stdout + r.stderr;
    expect(out).toContain(`unreachable: [h1]`);
    expect(out).toContain(`host key for [127.0.0.1]:${sshd.port} is not known (ssh-ed25519 ${sshd.hostKeyFingerprint}`);
    expect(out).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${empty}`);
    expect(out).toContain('host_key_checking=accept-new');
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('a changed host key is refused even with accept-new: exit 3', async () => {
    const other = mkdtempSync(join(tmpdir(), 'drover-rel-hk-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(other, 'k')]);
    const pub = readFileSync(join(other, 'k.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    const known = join(other, 'known_hosts');
    writeFileSync(known, `[127.0.0.1]:${sshd.port} ${pub}\n`);
    const inv = join(t.dir, 'changed-key.ini');
    writeFileSync(inv, readFileSync(t.inventory, 'utf8').replace(sshd.knownHostsFile, known).replace('[web]', '[web:vars]\nhost_key_checking=accept-new\n[web]'));
    const r = await runDrover(['play', join(FIX, 'credentials.yaml'), '-i', inv, '-e', 'admin_password=x']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stdout).toMatch(/unreachable: \[h1\][\s\S]*CHANGED|unreachable: \[h1\][\s\S]*changed/);
    expect(r.stdout).toContain(sshd.hostKeyFingerprint);
    expect(readFileSync(known, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${pub}\n`);
    expect(existsSync(join(t.workdirs.h1!, 'never.txt'))).toBe(false);
  });
});

describe('secrets in the target\'s process list', () => {
  it('a shell script that uses a secret never shows it in ps (the script goes in the environment, not argv)', async () => {
    const secret = 'PsSecret-' + Date.now().toString(36);
    const playbook = join(t.dir, 'ps-secret.yaml');
    writeFileSync(
      playbook,
      `- hosts: all\n  gather_facts: false\n  vars:\n    db_password: ${secret}\n  tasks:\n    - shell: "sleep 2.7; test -n '{{ db_password }}' && echo ok > {{ workdir }}/ps-ok"\n`,
    );
    const run = runDrover(['play', playbook, '-i', t.inventory]);
    let seen = false;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(ps).not.toContain(secret);
      if (ps.includes('sleep 2.7')) seen = true;
      else if (seen) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(seen, 'the script was seen running').toBe(true);
    expect(readFileSync(join(t.workdirs.h1!, 'ps-ok'), 'utf8')).toBe('ok\n');
  });
});
