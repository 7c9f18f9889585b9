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
    'role_names',
    'role_uuid',
    'ansible_role_name',
    'ansible_play_role_names',
    'ansible_role_names',
    'ansible_dependent_role_names',
    'ansible_playbook_python',
    'ansible_config_file',
    'ansible_forks',
    'ansible_inventory_sources',
    'ansible_collection_name',
    'ansible_search_path',
    'ansible_facts',
  ]),
];

export interface MagicCase {
  dir: string;
  playbook: string;
  /** The file the `{{ name }}` is written in (the playbook, or the role's tasks). */
  taskFile: string;
}

/** A playbook whose one task is `debug: msg: "{{ name }}"`, in the play or in a role. */
export function writeMagicCase(name: string, where: 'play' | 'role', dir = mkdtempSync(join(tmpdir(), 'drover-magic-'))): MagicCase {
  const task = `- name: Read ${name}\n  debug:\n    msg: "{{ ${name} }}"\n`;
  mkdirSync(dir, { recursive: true });
  const playbook = join(dir, 'site.yaml');
  let taskFile = playbook;
  if (where === 'role') {
    mkdirSync(join(dir, 'roles/r/tasks'), { recursive: true });
    taskFile = join(dir, 'roles/r/tasks/main.yaml');
    writeFileSync(taskFile, task);
    writeFileSync(playbook, '- hosts: all\n  gather_facts: false\n  roles:\n    - r\n');
  } else {
    writeFileSync(playbook, `- hosts: all\n  gather_facts: false\n  tasks:\n${task.replace(/^/gm, '    ')}`);
  }
  return { dir, playbook, taskFile };
}
