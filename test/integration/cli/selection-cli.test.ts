// Mistakes are loud (issue 18, item 6): --start-at-task, --tags, --limit and
// hosts: that match nothing, through the CLI against the loopback sshd.
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

function playbook(dir: string, name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

beforeAll(ensureBuilt);

describe('mistakes are loud: selection flags that match nothing', () => {
  const tasks = [
    '- name: Site',
    '  hosts: web',
    '  gather_facts: false',
    '  tasks:',
    '    - name: Install packages',
    '      ping:',
    '      tags: [packages]',
    '    - name: Write config',
    '      ping:',
    '      tags: [config]',
  ];

  it('--start-at-task naming no task: exit 4 with a did-you-mean, no host contacted', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 's.yaml', tasks);
    const before = sshd.log();
    const r = drover(['play', pb, '-i', t.inventory, '--start-at-task', 'Write confg'], t.dir);
    expect(r.code).toBe(4);
    expect(r.err).toContain('--start-at-task "Write confg": no task has this name (did you mean "Write config"?)');
    expect(r.out).toBe('');
    expect(sshd.log()).toBe(before);
    const ok = drover(['play', pb, '-i', t.inventory, '--start-at-task', 'Write config'], t.dir);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain('Install packages');
    expect(ok.out).toContain('TASK [Write config]');
  });

  it('--tags / --skip-tags naming no tag: a warning naming it (the run goes on)', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 't.yaml', tasks);
    const r = drover(['play', pb, '-i', t.inventory, '--tags', 'pakages'], t.dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('[WARNING]: --tags "pakages": no task in the playbook has this tag (did you mean "packages"?)');
    expect(r.out).not.toContain('TASK [');
    const skip = drover(['play', pb, '-i', t.inventory, '--skip-tags', 'nothing-like-it', '--tags', 'config,always'], t.dir);
    expect(skip.out).toContain('[WARNING]: --skip-tags "nothing-like-it": no task in the playbook has this tag (tags: config, packages)');
    expect(skip.out).not.toContain('--tags "always"');
    expect(skip.out).toContain('TASK [Write config]');
  });

  it('--limit matching no host is an error in Ansible\'s words (exit 4), also when it names hosts no play targets', () => {
    const t = writeTestInventory(sshd, ['h1', 'h2'], { extraHosts: ['[db]', 'db1 ansible_host=127.0.0.1'] });
    const pb = playbook(t.dir, 'l.yaml', tasks);
    const before = sshd.log();
    const typo = drover(['play', pb, '-i', t.inventory, '--limit', 'h3'], t.dir);
    expect(typo.code).toBe(4);
    expect(typo.err).toMatch(/Specified hosts and\/or --limit does not match any hosts: no host or group matches "h3"/);
    const other = drover(['play', pb, '-i', t.inventory, '--limit', 'db1'], t.dir);
    expect(other.code).toBe(4);
    expect(other.err).toContain('Specified hosts and/or --limit does not match any hosts: --limit "db1" selects no host that a play of this playbook targets');
    expect(sshd.log()).toBe(before);
    expect(drover(['play', pb, '-i', t.inventory, '--limit', 'h2'], t.dir).code).toBe(0);
  });

  it('hosts: naming nothing in the inventory is an input error (Ansible warns and skips the play); an empty group skips the play', () => {
    const t = writeTestInventory(sshd, ['h1'], { extraHosts: ['[empty]'] });
    const typo = drover(['play', playbook(t.dir, 'h.yaml', ['- hosts: wbe', '  tasks:', '    - ping:']), '-i', t.inventory], t.dir);
    expect(typo.code).toBe(4);
    expect(typo.err).toMatch(/h\.yaml:1:10: no host or group matches "wbe" \(did you mean "web"\?\)/);
    const empty = drover(['play', playbook(t.dir, 'e.yaml', ['- hosts: empty', '  tasks:', '    - ping:']), '-i', t.inventory], t.dir);
    expect(empty.code).toBe(0);
    expect(empty.out).toContain('skipping: no hosts matched');
  });
});
