/**
 * Differential, end to end: a playbook and role written for Ansible
 * (test/fixtures/ansible-role: Jinja2 templates with macros, loops and filters,
 * set_fact, lineinfile over dict2items, handlers, a vault-encrypted vars file
 * and a `!vault` value) run unchanged with ansible-playbook and with drover's
 * CLI, each into its own directory on this machine (local connection). The
 * two trees must hold the same paths, modes and bytes; drover's second run
 * changes nothing. The vault values are masked in drover's output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/ansible-role');
const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
const ANSIBLE_PLAYBOOK = which.status === 0 ? which.stdout.trim() : undefined;
if (!ANSIBLE_PLAYBOOK) console.warn('ansible-role: skipped: ansible-playbook is not installed (scripts/test-setup.sh installs ansible-core)');

const work = mkdtempSync(join(tmpdir(), 'drover-ansible-role-'));
const env = { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCAL_TEMP: join(work, 'tmp'), ANSIBLE_CONFIG: join(work, 'none.cfg') };

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: FIXTURE, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
    child.stdin.end();
  });
}

const common = ['-i', 'hosts.ini', '--vault-password-file', 'vault-pass.txt'];
const drover = (outDir: string, extra: string[] = []) =>
  // The built CLI, as a user runs it (npm test builds first).
  run(process.execPath, [join(ROOT, 'bin/drover.js'), 'play', 'site.yml', ...common, '-e', `out_dir=${outDir}`, ...extra]);

/** Every path under dir: type, mode and content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[relative(dir, p)] = `dir ${mode}`;
        walk(p);
      } else out[relative(dir, p)] = `file ${mode} ${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!ANSIBLE_PLAYBOOK)('a role written for Ansible runs unchanged under drover', () => {
  it('leaves the same files as ansible-playbook, and a second run changes nothing', { timeout: 240_000 }, async () => {
    const byAnsible = join(work, 'ansible');
    const byDrover = join(work, 'drover');
    const [a, d] = await Promise.all([run(ANSIBLE_PLAYBOOK!, [...common, '-e', `out_dir=${byAnsible}`, 'site.yml']), drover(byDrover)]);
    expect(a.code, a.out).toBe(0);
    expect(d.code, d.out).toBe(0);
    expect(tree(byDrover)).toEqual(tree(byAnsible));
    expect(Object.keys(tree(byDrover))).toContain('conf/app.conf');
    // The vault values reach the file, never drover's output.
    expect(readFileSync(join(byDrover, 'data/secrets.env'), 'utf8')).toBe('db_password=s3cret-db-pass\napi_token=tok-12345-abcde\n');
    expect(d.out).not.toContain('s3cret-db-pass');
    expect(d.out).not.toContain('tok-12345-abcde');

    const again = await drover(byDrover);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/web1\s*:\s*ok=\d+\s+changed=0\s/);
    const check = await drover(byDrover, ['--check']);
    expect(check.out).toMatch(/web1\s*:\s*ok=\d+\s+changed=0\s/);
  });
});
