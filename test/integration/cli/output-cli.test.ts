// What `drover play` prints, as an Ansible user reads it (issue 18, item 5):
// debug values, loop items, -v/-vvv, failures, serial batches, times, the recap
// line, colour, the event log's run_start.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { ROOT, ensureBuilt } from '../reliability/cli.js';

const BIN = join(ROOT, 'bin/drover.js');
const sshd = useSshd();

/** Runs the CLI with the colour variables as given (none set unless `env` sets them); stdout is a pipe. */
function drover(args: string[], cwd: string, env: Record<string, string> = { NO_COLOR: '1' }) {
  const base = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...base, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function playbook(dir: string, name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

beforeAll(ensureBuilt);

describe('drover play output (Ansible-shaped)', () => {
  it('debug shows its value as Ansible does (msg, var=, a list), at default verbosity; loop items get a line each, labelled', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 'debug.yaml', [
      '- hosts: web',
      '  gather_facts: false',
      '  vars:',
      '    x: {a: 1, b: [1, two]}',
      '  tasks:',
      '    - debug: msg="hi there"',
      '    - debug: var=x',
      '    - debug:',
      '        msg: [a, b]',
      '    - name: Loop',
      '      debug: msg="n={{ item }}"',
      '      loop: [1, 2]',
      '    - name: Files',
      '      copy:',
      '        content: "{{ item.body }}"',
      '        dest: "{{ workdir }}/{{ item.name }}"',
      '      loop: [{name: a.txt, body: A}, {name: b.txt, body: B}]',
      '      loop_control: {label: "{{ item.name }}"}',
    ]);
    const r = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ok: [h1] => {\n    "msg": "hi there"\n}\n');
    expect(r.out).toContain('ok: [h1] => {\n    "x": {\n        "a": 1,\n        "b": [\n            1,\n            "two"\n        ]\n    }\n}\n');
    expect(r.out).toContain('ok: [h1] => {\n    "msg": [\n        "a",\n        "b"\n    ]\n}\n');
    expect(r.out).toContain('ok: [h1] => (item=1) => {\n    "msg": "n=1"\n}\nok: [h1] => (item=2) => {\n    "msg": "n=2"\n}\n');
    expect(r.out).toMatch(/changed: \[h1\] => \(item=a\.txt\)\n {4}- create .*a\.txt.*\nchanged: \[h1\] => \(item=b\.txt\)\n/);
    // A second run: the items are ok.
    const again = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(again.out).toContain('ok: [h1] => (item=a.txt)\nok: [h1] => (item=b.txt)\n');
  });

  it('debug with verbosity: N is skipped below -v N and shown at it, as in Ansible', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 'dv.yaml', ['- hosts: web', '  gather_facts: false', '  tasks:', '    - name: Detail', '      debug: {msg: a detail, verbosity: 1}']);
    const quiet = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(quiet.code).toBe(0);
    expect(quiet.out).toContain('TASK [Detail]');
    expect(quiet.out).toContain('skipping: [h1]\n');
    expect(quiet.out).not.toContain('a detail');
    expect(quiet.out).toMatch(/h1 +: ok=0 +changed=0 +unreachable=0 +failed=0 +skipped=1 /);
    const v = drover(['play', pb, '-i', t.inventory, '-v'], t.dir);
    expect(v.out).toContain('ok: [h1] => {\n    "msg": "a detail"\n}\n');
  });

  it('-v shows module results (not the shell probes); -vvv the commands; a failure shows rc, stdout and stderr, secrets masked', () => {
    const t = writeTestInventory(sshd, ['h1'], { extra: '[web:vars]\ndb_password=hunter2-secret' });
    const pb = playbook(t.dir, 'v.yaml', [
      '- hosts: web',
      '  gather_facts: false',
      '  tasks:',
      '    - name: Hello',
      '      command: echo hello',
      '    - name: Broken',
      '      shell: "echo out {{ db_password }}; echo err >&2; exit 3"',
    ]);
    const quiet = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(quiet.code).toBe(2);
    expect(quiet.out).toMatch(/changed: \[h1\]\n/);
    expect(quiet.out).toMatch(/failed: \[h1\]\n {4}.*v\.yaml:6:7: non-zero return code\n {4}command: echo out \*{8}; echo err >&2; exit 3\n {4}rc: 3\n {4}stdout: out \*{8}\n {4}stderr: err\n/);
    expect(quiet.out).not.toContain('hunter2');

    const v = drover(['play', pb, '-i', t.inventory, '-v'], t.dir);
    expect(v.out).toMatch(/changed: \[h1\] => \{"changed": true, "cmd": \["echo", "hello"\], .*"rc": 0, .*"stdout": "hello"/);
    expect(v.out).not.toMatch(/^\s*\[h1\] \$ /m);
    expect(v.out).not.toContain('hunter2');

    const vvv = drover(['play', pb, '-i', t.inventory, '-vvv'], t.dir);
    expect(vvv.out).toMatch(/\[h1\] \$ .*echo hello.* -> rc=0/);
    expect(vvv.out).toContain('changed: [h1] => {\n    "changed": true,');
    expect(vvv.out).not.toContain('hunter2');
  });

  it('serial batches have headers; each task its time; the run ends with the Ansible recap line and the slowest tasks', () => {
    const t = writeTestInventory(sshd, ['h1', 'h2', 'h3']);
    const pb = playbook(t.dir, 'serial.yaml', [
      '- name: Rolling',
      '  hosts: web',
      '  gather_facts: false',
      '  serial: [1, 2]',
      '  tasks:',
      '    - name: Nap',
      '      command: sleep 0.3',
      '    - name: Quick',
      '      ping:',
    ]);
    const r = drover(['play', pb, '-i', t.inventory], t.dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('BATCH 1/2 [h1]');
    expect(r.out).toContain('BATCH 2/2 [h2, h3]');
    expect(r.out.indexOf('BATCH 2/2')).toBeGreaterThan(r.out.indexOf('changed: [h1]'));
    // Each task's elapsed time after its results.
    expect(r.out).toMatch(/TASK \[Nap\] .*\nchanged: \[h1\]\n\((0\.[3-9]\d|[1-9]\.\d\d)s\)\n/);
    // The recap, one grep-able line per host, aligned as Ansible's.
    expect(r.out).toMatch(/\nPLAY RECAP \*+\nh1 {24} : ok=2 {4}changed=1 {4}unreachable=0 {4}failed=0 {4}skipped=0 {4}rescued=0 {4}ignored=0 {3}\nh2 {24} : ok=2 /);
    expect(r.out.split('\n').filter((l) => /: ok=\d+ .* failed=0 /.test(l))).toHaveLength(3);
    // The slowest tasks, slowest first: Nap ran twice (two batches), both before Quick.
    const slowest = r.out.slice(r.out.indexOf('SLOWEST TASKS'));
    expect(slowest).toMatch(/^SLOWEST TASKS \(run \d+\.\d\ds\) \*+\n *\d+\.\d\ds {2}Nap {2}.*serial\.yaml:6:7\n *\d+\.\d\ds {2}Nap /);

    const check = drover(['play', pb, '-i', t.inventory, '--check'], t.dir);
    expect(check.out).toMatch(/PLAY RECAP \(check mode: nothing was changed\) \*+\nh1 +: ok=2 +changed=0 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=0 +unknown=1/);
  });

  it('colour: none in a pipe, NO_COLOR or --no-color; FORCE_COLOR forces it', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 'c.yaml', ['- hosts: web', '  gather_facts: false', '  tasks:', '    - ping:']);
    const esc = /\x1b\[/;
    expect(drover(['play', pb, '-i', t.inventory], t.dir, {}).out).not.toMatch(esc);
    expect(drover(['play', pb, '-i', t.inventory], t.dir, { NO_COLOR: '1' }).out).not.toMatch(esc);
    const forced = drover(['play', pb, '-i', t.inventory], t.dir, { FORCE_COLOR: '1' }).out;
    expect(forced).toMatch(/\x1b\[32mok: \[h1\]\x1b\[39m/);
    expect(forced).toMatch(/\x1b\[32mok=1 {3}\x1b\[39m/);
    expect(drover(['play', pb, '-i', t.inventory, '--no-color'], t.dir, { FORCE_COLOR: '1' }).out).not.toMatch(esc);
    expect(drover(['play', pb, '-i', t.inventory], t.dir, { FORCE_COLOR: '0' }).out).not.toMatch(esc);
  });

  it('--events starts with a run_start record: version, argv (secrets masked), inventory, playbook', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = playbook(t.dir, 'e.yaml', ['- hosts: web', '  gather_facts: false', '  tasks:', '    - ping:']);
    const events = join(t.dir, 'events.jsonl');
    const r = drover(['play', pb, '-i', t.inventory, '--events', events, '-e', 'api_token=s3cr3t-value'], t.dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(lines[0]).toMatchObject({ type: 'run_start', version, inventory: [t.inventory], playbook: pb, check: false });
    expect(lines[0]!.argv).toEqual(['play', pb, '-i', t.inventory, '--events', events, '-e', 'api_token=********']);
    expect(lines.map((l) => l.type).filter((x) => x !== 'log')).toEqual(['run_start', 'play_start', 'task_start', 'task_result', 'recap']);
    expect(readFileSync(events, 'utf8')).not.toContain('s3cr3t-value');
  });
});
