import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { ROOT, ensureBuilt } from '../reliability/cli.js';

const BIN = join(ROOT, 'bin/drover.js');
const sshd = useSshd();

function drover(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// The CLI runs from dist/ (npm test's pretest compiles it; ensureBuilt recompiles it when src is newer).
beforeAll(ensureBuilt);

describe('drover play (the CLI a user runs)', () => {
  it('prints tasks, diffs and a recap; exit 0; a second run changes nothing; --check predicts nothing', () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const pb = join(t.dir, 'site.yaml');
    writeFileSync(
      pb,
      [
        '- name: CLI demo',
        '  hosts: web',
        '  gather_facts: false',
        '  tasks:',
        '    - name: A config file',
        '      copy:',
        '        content: "listen={{inventory_hostname}}\\n"',
        '        dest: "{{workdir}}/app.conf"',
        '',
      ].join('\n'),
    );
    const first = drover(['play', pb, '-i', t.inventory, '--diff'], t.dir);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('TASK [A config file]');
    expect(first.out).toMatch(/changed: \[h1\]/);
    expect(first.out).toContain('+listen=h1');
    expect(first.out).toMatch(/PLAY RECAP[\s\S]*\nh1 +: ok=1 +changed=1 +unreachable=0 +failed=0 /);
    const second = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/ok: \[h2\]/);
    expect(second.out).not.toMatch(/changed: \[/);
    const check = drover(['play', pb, '-i', t.inventory, '--check'], t.dir);
    expect(check.code).toBe(0);
    expect(check.out).toContain('check mode: nothing was changed');
    expect(check.out).not.toContain('would change');
  });

  it('a failed command names host, task, file:line, the command and its stderr; exit 2', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = join(t.dir, 'fail.yaml');
    writeFileSync(pb, ['- hosts: web', '  gather_facts: false', '  tasks:', '    - name: Broken', '      shell: "echo oops >&2; exit 7"', ''].join('\n'));
    const r = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/failed: \[h1\]/);
    expect(r.out).toContain('TASK [Broken]');
    expect(r.out).toMatch(/fail\.yaml:4:7/);
    expect(r.out).toContain('command: echo oops >&2; exit 7');
    expect(r.out).toContain('rc: 7');
    expect(r.out).toContain('stderr: oops');
  });

  it('bad input: exit 4 with file:line:col, nothing contacted', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = join(t.dir, 'bad.yaml');
    writeFileSync(pb, ['- hosts: web', '  tasks:', '    - name: Typo', '      copy:', '        dest: "{{workdri}}/x"', '        content: x', ''].join('\n'));
    const before = sshd.log();
    const r = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/bad\.yaml:5:\d+: .*workdri/);
    expect(sshd.log()).toBe(before);
  });
});
