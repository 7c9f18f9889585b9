/**
 * `drover play --list-tasks / --list-hosts` print what ansible-playbook
 * prints, byte for byte, for the playbook written for Ansible
 * (test/fixtures/ansible-role) — with a variable the run needs left out, as
 * the lists do not need it. `--syntax-check` is `drover check`: it names
 * that missing variable and exits 4 (Ansible's parse-only check passes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/ansible-role');
const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
const ANSIBLE_PLAYBOOK = which.status === 0 ? which.stdout.trim() : undefined;
const env = { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_CONFIG: '/nonexistent/ansible.cfg' };
const args = ['site.yml', '-i', 'hosts.ini', '--vault-password-file', 'vault-pass.txt'];

function run(cmd: string, argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, argv, { cwd: FIXTURE, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
    child.stdin.end();
  });
}
const drover = (flag: string) => run(process.execPath, [join(ROOT, 'bin/drover.js'), 'play', ...args, flag]);

describe.skipIf(!ANSIBLE_PLAYBOOK)('play --list-tasks / --list-hosts / --syntax-check', () => {
  for (const flag of ['--list-tasks', '--list-hosts']) {
    it(`${flag} prints what ansible-playbook prints`, { timeout: 60_000 }, async () => {
      const [a, d] = await Promise.all([run(ANSIBLE_PLAYBOOK!, [...args, flag]), drover(flag)]);
      expect(a.code, a.err).toBe(0);
      expect(d.code, d.err).toBe(0);
      expect(d.out).toBe(a.out);
    });
  }

  it('--syntax-check is drover check: the variable only the run would get is named, exit 4', { timeout: 60_000 }, async () => {
    const d = await drover('--syntax-check');
    expect(d.code).toBe(4);
    expect(d.err).toMatch(/roles\/webapp\/tasks\/main\.yml:3:15: undefined variable 'out_dir'/);
  });
});
