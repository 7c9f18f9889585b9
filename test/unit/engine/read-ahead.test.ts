/**
 * What a file task reads ahead for the tasks after it (engine/read-ahead.ts):
 * each case is a task list; the first task is the one reading, `ahead` the
 * names of the tasks whose queries it adds (the run of file tasks up to the
 * first that cannot be known now). The reading itself, on a real sshd, is
 * test/integration/engine/read-ahead.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { predictReads } from '../../../src/engine/read-ahead.js';
import { loadPlaybook } from '../../../src/playbook/index.js';
import type { TaskNode } from '../../../src/playbook/types.js';

const FIRST = '- name: first\n  file: { path: "{{ workdir }}/d", state: directory }\n';

const CASES: { name: string; tasks: string; ahead: string[]; first?: string }[] = [
  {
    name: 'a run of file tasks, each module saying what it reads',
    tasks: `
- name: copy
  copy: { content: "x", dest: "{{ workdir }}/d/a" }
- name: template
  template: { src: t.j2, dest: "{{ workdir }}/d/t" }
- name: lineinfile
  lineinfile: { path: "{{ workdir }}/d/l", line: x }
- name: ini_file
  ini_file: { path: "{{ workdir }}/d/i", section: s, option: o, value: v }
- name: stat
  stat: { path: "{{ workdir }}/d" }
`,
    ahead: ['copy', 'template', 'lineinfile', 'ini_file', 'stat'],
  },
  { name: 'a command ends the run', tasks: '- name: c\n  command: "true"\n- name: after\n  file: { path: /x, state: directory }\n', ahead: [] },
  { name: 'a loop ends it (a loop shares its own readings)', tasks: '- name: a\n  file: { path: /a, state: directory }\n- name: loop\n  file: { path: "{{ item }}", state: directory }\n  loop: [/b]\n- name: c\n  file: { path: /c, state: directory }\n', ahead: ['a'] },
  { name: 'a delegated task ends it', tasks: '- name: d\n  file: { path: /d, state: directory }\n  delegate_to: other\n', ahead: [] },
  { name: 'another become user ends it', tasks: '- name: b\n  file: { path: /b, state: directory }\n  become: true\n', ahead: [] },
  { name: 'the same become user does not', first: '- name: first\n  file: { path: /a, state: directory }\n  become: true\n', tasks: '- name: b\n  file: { path: /b, state: directory }\n  become: true\n  become_user: root\n', ahead: ['b'] },
  { name: 'no_log ends it (its paths would show in the probe)', tasks: '- name: n\n  file: { path: /n, state: directory }\n  no_log: true\n', ahead: [] },
  { name: 'a lookup in the args ends it (a lookup may do something)', tasks: `- name: l\n  copy: { content: "{{ lookup('password', '/tmp/p') }}", dest: /l }\n`, ahead: [] },
  { name: 'a variable a task before it will set ends it', tasks: '- name: u\n  file: { path: "{{ later_var }}", state: directory }\n', ahead: [] },
  { name: 'a copy to ~ ends it (the home is read first)', tasks: '- name: h\n  copy: { content: x, dest: "~/h" }\n', ahead: [] },
  { name: 'a block ends it', tasks: '- block:\n    - name: inner\n      file: { path: /i, state: directory }\n', ahead: [] },
  { name: 'at most 16 tasks', tasks: Array.from({ length: 20 }, (_, i) => `- name: t${i}\n  file: { path: /t${i}, state: directory }\n`).join(''), ahead: Array.from({ length: 16 }, (_, i) => `t${i}`) },
];

function taskList(yaml: string): TaskNode[] {
  const dir = mkdtempSync(join(tmpdir(), 'drover-read-ahead-'));
  writeFileSync(join(dir, 'site.yaml'), `- hosts: all\n  gather_facts: false\n  tasks:\n${yaml.replace(/^/gm, '    ')}`);
  return loadPlaybook(join(dir, 'site.yaml')).plays[0]!.tasks as TaskNode[];
}

describe('predictReads: what the first task reads ahead', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const [first, ...following] = taskList((c.first ?? FIRST) + c.tasks.replace(/^\n/, ''));
      const kw = (n: TaskNode) => ({ become: n.become, becomeUser: n.becomeUser, delegateTo: n.delegateTo, noLog: n.noLog });
      const predicted = predictReads(following, kw(first!), { keywords: kw, vars: () => ({ workdir: '/w' }), diff: false });
      expect(predicted.map((p) => p.node.name)).toEqual(c.ahead);
    });
  }

  it('the queries are what each module reads first (the planning cases check every module against its plan)', () => {
    const [first, ...following] = taskList(FIRST + '- name: copy\n  copy: { content: x, dest: /w/a }\n');
    const [p] = predictReads(following, {}, { keywords: () => ({}), vars: () => ({}), diff: false });
    expect(p!.queries.map((q) => q.path)).toEqual(['/w/a', '/w']);
    expect(first!.name).toBe('first');
  });
});
