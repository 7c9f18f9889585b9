import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAGIC_NAMES, UNSUPPORTED_MAGIC } from '../../src/playbook/magic-vars.js';

/**
 * Names a playbook may try as magic variables: the ones drover sets, the ones
 * it refuses, and others Ansible sets (or drover once listed or set).
 */
export const MAGIC_CANDIDATES: readonly string[] = [
  ...new Set([
    ...MAGIC_NAMES,
    ...Object.keys(UNSUPPORTED_MAGIC),
    'play_name',
    'ansible_hostname',
    // Only inside a loop or a rescue: not here.
    'ansible_loop',
    'ansible_loop_var',
    'ansible_index_var',
    'ansible_failed_task',
    'ansible_failed_result',
    'ansible_facts',
  ]),
];

export interface MagicCase {
  dir: string;
  playbook: string;
  /** The file the `{{ name }}` is written in (the playbook, or the role's tasks). */
  taskFile: string;
}

/** A playbook with a task `debug: msg: "{{ name }}"` per name, in the play or in a role; facts gathered or not. */
export function writeMagicCase(names: string | string[], where: 'play' | 'role', dir = mkdtempSync(join(tmpdir(), 'drover-magic-')), facts = false): MagicCase {
  const task = [names]
    .flat()
    .map((name) => `- name: Read ${name}\n  debug:\n    msg: "{{ ${name} }}"\n`)
    .join('');
  mkdirSync(dir, { recursive: true });
  const playbook = join(dir, 'site.yaml');
  let taskFile = playbook;
  if (where === 'role') {
    mkdirSync(join(dir, 'roles/r/tasks'), { recursive: true });
    taskFile = join(dir, 'roles/r/tasks/main.yaml');
    writeFileSync(taskFile, task);
    writeFileSync(playbook, `- hosts: all\n  gather_facts: ${facts}\n  roles:\n    - r\n`);
  } else {
    writeFileSync(playbook, `- hosts: all\n  gather_facts: ${facts}\n  tasks:\n${task.replace(/^/gm, '    ')}`);
  }
  return { dir, playbook, taskFile };
}
