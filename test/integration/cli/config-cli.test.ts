import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { TEST_USER_NO_SUDO } from '../../helpers/sshd.js';
import { ROOT, ensureBuilt } from '../reliability/cli.js';

/**
 * Issue 18 items 3 and 4, through the CLI against the loopback sshd:
 * ansible.cfg (cwd, ANSIBLE_CONFIG), ANSIBLE_* over the file, flags over
 * both, `drover config dump` origins, the unsupported-settings warning,
 * roles_path, ~/.ssh/config aliases (HOME is a temp dir), -F, and the ssh -o
 * options of ansible_ssh_common_args.
 */

const BIN = join(ROOT, 'bin/drover.js');
const sshd = useSshd();

/** A clean environment: no ANSIBLE_* of the machine's, HOME a fresh directory (no ~/.ansible.cfg, ~/.ssh). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANSIBLE_') && k !== 'SSH_AUTH_SOCK') env[k] = v;
  return { ...env, HOME: mkdtempSync(join(tmpdir(), 'drover-home-')), NO_COLOR: '1', ...extra };
}

function drover(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-cfg-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Hosts on the loopback sshd that name no user (the configuration supplies it). */
function hostLines(names: string[], extra = ''): string {
  return names.map((n) => `${n} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.keyFile} drover_known_hosts_file=${sshd.knownHostsFile}${extra}`).join('\n') + '\n';
}

const WHOAMI = ['- hosts: all', '  gather_facts: false', '  tasks:', '    - command: whoami', '      register: who', '    - debug: var=who.stdout', ''].join('\n');

beforeAll(ensureBuilt);

describe('ansible.cfg and ANSIBLE_* (issue 18 item 3)', () => {
  it('./ansible.cfg gives inventory, remote_user and forks; ANSIBLE_* wins over it, a flag over both; config dump names each origin', async () => {
    const dir = project();
    writeFileSync(join(dir, 'hosts.ini'), '[web]\n' + hostLines(['h1', 'h2']));
    writeFileSync(join(dir, 'ansible.cfg'), ['[defaults]', 'inventory = hosts.ini', `remote_user: ${sshd.user}   ; the login user`, '# a comment', 'forks = 1', ''].join('\n'));
    writeFileSync(join(dir, 'site.yaml'), WHOAMI);
    const env = cleanEnv();

    const r = await drover(['play', 'site.yaml'], dir, env);
    expect(r.err).toBe('');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`ok: [h1] => {\n    "who.stdout": "${sshd.user}"\n}`);
    expect(r.out).toContain(`ok: [h2] => {\n    "who.stdout": "${sshd.user}"\n}`);

    // forks = 1: the hosts' commands never overlap.
    writeFileSync(join(dir, 'forks.yaml'), ['- hosts: all', '  gather_facts: false', '  tasks:', '    - shell: "date +%s%N; sleep 0.3; date +%s%N"', '      register: t', '    - debug: var=t.stdout_lines', ''].join('\n'));
    const f = await drover(['play', 'forks.yaml'], dir, env);
    expect(f.code, f.out).toBe(0);
    const spans = [...f.out.matchAll(/"t\.stdout_lines": \[\s*"(\d+)",\s*"(\d+)"\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])] as const).sort((a, b) => a[0] - b[0]);
    expect(spans).toHaveLength(2);
    expect(spans[1]![0]).toBeGreaterThanOrEqual(spans[0]![1]);

    // The environment wins over the file: another test user logs in with the same key.
    const e = await drover(['play', 'site.yaml'], dir, { ...env, ANSIBLE_REMOTE_USER: TEST_USER_NO_SUDO });
    expect(e.code, e.out).toBe(0);
    expect(e.out).toContain(`"who.stdout": "${TEST_USER_NO_SUDO}"`);
    // ad-hoc -u wins over both.
    const u = await drover(['h1', '-m', 'command', '-a', 'whoami', '-u', sshd.user], dir, { ...env, ANSIBLE_REMOTE_USER: TEST_USER_NO_SUDO });
    expect(u.code, u.out + u.err).toBe(0);
    expect(u.out).toContain(`h1 | CHANGED | rc=0 >>\n${sshd.user}`);

    // ansible-inventory reads the configured inventory too.
    const list = await drover(['inventory', 'list'], dir, env);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/^hosts \(2\):\n +h1 +\[web\]\n[^]*\n  h2 +\[web\]\n/);

    const dump = await drover(['config', 'dump'], dir, { ...env, ANSIBLE_FORKS: '3' });
    expect(dump.code).toBe(0);
    expect(dump.out).toContain(`config file: ${join(dir, 'ansible.cfg')}`);
    expect(dump.out).toMatch(new RegExp(`\\[defaults\\] inventory +${join(dir, 'hosts.ini')} +${join(dir, 'ansible.cfg')}\\n`));
    expect(dump.out).toMatch(new RegExp(`\\[defaults\\] remote_user +${sshd.user} +${join(dir, 'ansible.cfg')}\\n`));
    expect(dump.out).toMatch(/\[defaults\] forks +3 +env: ANSIBLE_FORKS\n/);
    expect(dump.out).toMatch(/\[defaults\] timeout +10 +default\n/);
    expect(dump.out).toMatch(/\[privilege_escalation\] become_method +sudo +default +\(sudo is the only method drover supports\)\n/);
    const changed = await drover(['config', 'dump', '--only-changed'], dir, env);
    expect(changed.out.trimEnd().split('\n').slice(2).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['[defaults] inventory', '[defaults] forks', '[defaults] remote_user']);
  });

  it('ANSIBLE_CONFIG names the file (a directory: its ansible.cfg); the cwd has none; no inventory anywhere is exit 4', async () => {
    const dir = project();
    const elsewhere = project();
    writeFileSync(join(elsewhere, 'hosts.ini'), hostLines(['h1']));
    writeFileSync(join(elsewhere, 'ansible.cfg'), `[defaults]\ninventory = hosts.ini\nremote_user = ${sshd.user}\n`);
    writeFileSync(join(dir, 'site.yaml'), WHOAMI);
    for (const cfg of [join(elsewhere, 'ansible.cfg'), elsewhere]) {
      const r = await drover(['play', 'site.yaml'], dir, cleanEnv({ ANSIBLE_CONFIG: cfg }));
      expect(r.err).toBe('');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`"who.stdout": "${sshd.user}"`);
    }
    const none = await drover(['play', 'site.yaml'], dir, cleanEnv());
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/needs an inventory: -i FILE.*ANSIBLE_INVENTORY/);
    // ANSIBLE_INVENTORY alone.
    const inv = await drover(['play', 'site.yaml'], dir, cleanEnv({ ANSIBLE_INVENTORY: join(elsewhere, 'hosts.ini'), ANSIBLE_REMOTE_USER: sshd.user }));
    expect(inv.code, inv.out + inv.err).toBe(0);
  });

  it('settings drover does not support: one warning naming them all; the run goes on', async () => {
    const dir = project();
    writeFileSync(join(dir, 'hosts.ini'), hostLines(['h1']));
    writeFileSync(join(dir, 'ansible.cfg'), ['[defaults]', 'inventory = hosts.ini', `remote_user = ${sshd.user}`, 'gathering = smart', 'stdout_callback = yaml', '[persistent_connection]', 'command_timeout = 30', ''].join('\n'));
    writeFileSync(join(dir, 'site.yaml'), WHOAMI);
    const r = await drover(['play', 'site.yaml'], dir, cleanEnv({ ANSIBLE_NOCOWS: '1' }));
    expect(r.code, r.out).toBe(0);
    const warnings = r.err.trimEnd().split('\n');
    expect(warnings).toEqual([
      `[WARNING]: drover does not support these Ansible settings; they have no effect: [defaults] gathering, [defaults] stdout_callback, [persistent_connection] command_timeout (${join(dir, 'ansible.cfg')}); ANSIBLE_NOCOWS (environment)`,
    ]);
    // A private_key_file that does not exist is found before any host is contacted, by check and play alike.
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\ninventory = h.ini\nprivate_key_file = keys/nope\n');
    writeFileSync(join(dir, 'h.ini'), `h1 ansible_host=127.0.0.1 ansible_port=${sshd.port}\n`);
    const before = sshd.log();
    for (const cmd of ['check', 'play']) {
      const k = await drover([cmd, 'site.yaml'], dir, cleanEnv());
      expect(k.code, k.err).toBe(4);
      expect(k.err).toContain(`host h1: ansible_ssh_private_key_file ${join(dir, 'keys/nope')} does not exist`);
    }
    expect(sshd.log()).toBe(before);
    // A setting drover reads with a bad value is an input error naming file and line.
    writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\ninventory = hosts.ini\nforks = many\n');
    const bad = await drover(['play', 'site.yaml'], dir, cleanEnv());
    expect(bad.code).toBe(4);
    expect(bad.err).toContain(`${join(dir, 'ansible.cfg')}:3: [defaults] forks: "many" is not valid for forks`);
  });

  it("the blog labs' ansible.cfg works: host_key_checking = False, roles_path = ../roles, pipelining; drover's own lab roles are never picked up implicitly", async () => {
    const top = project();
    const lab = join(top, 'Lab1');
    mkdirSync(join(top, 'roles', 'mariaDB', 'tasks'), { recursive: true });
    mkdirSync(lab);
    writeFileSync(join(top, 'roles', 'mariaDB', 'tasks', 'main.yml'), '- command: echo from the lab role\n  register: r\n- debug: var=r.stdout\n');
    writeFileSync(join(lab, 'ansible.cfg'), '[defaults]\nhost_key_checking = False\nroles_path = ../roles\n\n[ssh_connection]\npipelining = true\n');
    // No known_hosts anywhere: only host_key_checking = False lets the connection through.
    writeFileSync(join(lab, 'hosts.ini'), `h1 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${sshd.user} ansible_ssh_private_key_file=${sshd.keyFile}\n`);
    writeFileSync(join(lab, 'site.yaml'), '- hosts: all\n  gather_facts: false\n  roles:\n    - mariaDB\n');
    const env = cleanEnv();
    const r = await drover(['play', '-i', 'hosts.ini', 'site.yaml'], lab, env);
    expect(r.err).toBe('');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('"r.stdout": "from the lab role"');
    // ANSIBLE_HOST_KEY_CHECKING=true wins over the file: strict checking refuses the unknown key.
    const strict = await drover(['play', '-i', 'hosts.ini', 'site.yaml'], lab, { ...env, ANSIBLE_HOST_KEY_CHECKING: 'true' });
    expect(strict.code).toBe(3);
    // A user's `roles: [mariadb]` does not silently get drover's lab role of that name.
    writeFileSync(join(lab, 'user.yaml'), '- hosts: all\n  gather_facts: false\n  roles:\n    - mariadb\n');
    const mine = await drover(['play', '-i', 'hosts.ini', 'user.yaml'], lab, env);
    expect(mine.code).toBe(4);
    expect(mine.err).toMatch(/role 'mariadb' not found/);
    expect(mine.err).not.toContain(join(ROOT, 'roles'));
  });
});

describe('OpenSSH client configuration (issue 18 item 4)', () => {
  it('a ~/.ssh/config alias (HostName, Port, User, IdentityFile, UserKnownHostsFile) reaches the sshd; -F names another file; inventory vars win', async () => {
    const dir = project();
    const env = cleanEnv();
    const sshDir = join(env.HOME!, '.ssh');
    mkdirSync(sshDir, { mode: 0o700 });
    const block = ['Host box', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keyFile}`, `  UserKnownHostsFile ${sshd.knownHostsFile}`, '', 'Host *', '  ServerAliveInterval 10', ''].join('\n');
    writeFileSync(join(sshDir, 'config'), block);
    const r = await drover(['box', '-i', 'box,', '-m', 'command', '-a', 'whoami'], dir, env);
    expect(r.err).toBe('');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toBe(`box | CHANGED | rc=0 >>\n${sshd.user}\n`);
    // ansible_user in the inventory wins over the config's User.
    writeFileSync(join(dir, 'hosts.ini'), `box ansible_user=${TEST_USER_NO_SUDO}\n`);
    const v = await drover(['box', '-i', 'hosts.ini', '-m', 'command', '-a', 'whoami'], dir, env);
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.out).toContain(TEST_USER_NO_SUDO);
    // -F: that file instead of ~/.ssh/config (whose alias is then unknown).
    const other = join(dir, 'ssh_config');
    writeFileSync(other, block.replace('Host box', 'Host other'));
    const withF = await drover(['play', '-i', 'other,', '-F', other, join(dir, 'site.yaml')], dir, (writeFileSync(join(dir, 'site.yaml'), WHOAMI), env));
    expect(withF.code, withF.out + withF.err).toBe(0);
    expect(withF.out).toContain(`"who.stdout": "${sshd.user}"`);
    const unknown = await drover(['box', '-i', 'box,', '-F', other, '-m', 'ping'], dir, env);
    expect(unknown.code).toBe(3);
  });

  it('ansible_ssh_common_args: -o StrictHostKeyChecking=no is honoured; options drover cannot honour get one warning naming them', async () => {
    const dir = project();
    const env = cleanEnv();
    const base = `h1 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${sshd.user} ansible_ssh_private_key_file=${sshd.keyFile}`;
    // No known_hosts: strict checking refuses the host ...
    writeFileSync(join(dir, 'strict.ini'), `${base}\n`);
    const strict = await drover(['h1', '-i', 'strict.ini', '-m', 'ping'], dir, env);
    expect(strict.code).toBe(3);
    // ... and -o StrictHostKeyChecking=no lets it through.
    writeFileSync(join(dir, 'off.ini'), `${base} ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n`);
    const off = await drover(['h1', '-i', 'off.ini', '-m', 'ping'], dir, env);
    expect(off.err).toBe('');
    expect(off.code, off.out).toBe(0);
    // Options with no drover equivalent: named once (two hosts, one warning), the run goes on.
    writeFileSync(
      join(dir, 'warn.ini'),
      `[web]\n${base}\n${base.replace('h1', 'h2')}\n[web:vars]\nansible_ssh_common_args='-o StrictHostKeyChecking=no -o ForwardAgent=yes -C -o ControlMaster=auto'\n`,
    );
    const w = await drover(['web', '-i', 'warn.ini', '-m', 'ping'], dir, env);
    expect(w.code, w.out).toBe(0);
    expect(w.err.trimEnd().split('\n')).toEqual([expect.stringMatching(/^\[WARNING\]: ansible_ssh_common_args: drover cannot honour -o ForwardAgent=yes, -C; it connects without them/)]);
  });
});
