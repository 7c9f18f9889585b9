import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAndValidate } from '../../../src/engine/run.js';
import { InputErrors, type InputError } from '../../../src/util/errors.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import { MAGIC_CANDIDATES, writeMagicCase, type MagicCase } from '../../helpers/magic-cases.js';

/**
 * `drover check` never accepts what the run rejects, for magic variables: a
 * task reading `{{ name }}` either passes check (loadAndValidate, which `drover
 * check` and `drover play` both call) and then runs, or fails check at the
 * file:line:col where the name is written. On a local-connection host.
 */

const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'drover-magic-run-'));
const invFile = join(root, 'hosts.ini');
writeFileSync(invFile, '[web]\nh1 ansible_connection=local\n');
interface Source {
  label: string;
  inventory: string;
  host: string;
}
const sources: Source[] = [
  { label: 'an inventory file', inventory: invFile, host: 'h1' },
  { label: 'a host list', inventory: 'localhost,', host: 'localhost' },
];

/** Check (loadAndValidate, which `drover check` and `drover play` both call): the errors. */
async function check(c: MagicCase, src: Source, limit: string | undefined): Promise<InputError[]> {
  try {
    await loadAndValidate(runOptions(c, src, limit));
    return [];
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
    return e.errors;
  }
}

const run = (c: MagicCase, src: Source, limit: string | undefined) => runPlaybookCollecting(runOptions(c, src, limit));

function runOptions(c: MagicCase, src: Source, limit: string | undefined) {
  return { playbook: c.playbook, inventory: [src.inventory], stateDir: join(c.dir, '.drover'), ...(limit ? { limit } : {}) };
}

describe('check never accepts a magic variable the run rejects', () => {
  const matrix = sources.flatMap((src) =>
    (['play', 'role'] as const).flatMap((where) => [undefined, src.host].map((limit) => ({ src, where, limit, facts: false }))),
  );
  // Gathered facts make check accept ansible_* names it cannot know; never a magic one.
  matrix.push({ src: sources[0]!, where: 'play', limit: undefined, facts: true });
  for (const { src, where, limit, facts } of matrix) {
    it(`{{ name }} in a ${where}, host from ${src.label}, ${limit ? '--limit' : 'no --limit'}${facts ? ', facts gathered' : ''}`, async () => {
      const accepted: string[] = [];
      const dir = join(root, `${where}-${src.host}-${limit ?? 'all'}${facts ? '-facts' : ''}`);
      for (const name of MAGIC_CANDIDATES) {
        const c = writeMagicCase(name, where, join(dir, name), facts);
        const errors = await check(c, src, limit);
        if (errors.length === 0) accepted.push(name);
        // Rejected at the place it is written: the task file, the line and column of the name.
        for (const e of errors) {
          expect(resolve(e.pos?.file ?? ''), `${name}: ${e.message}`).toBe(c.taskFile);
          expect(e.pos, `${name}: ${e.message}`).toMatchObject({ line: where === 'role' ? 3 : 6, col: where === 'role' ? 14 : 18 });
        }
      }
      // Everything check accepted runs: one playbook reading each accepted name in a task of its own.
      const all = writeMagicCase(accepted, where, join(dir, 'accepted'), facts);
      expect(await check(all, src, limit)).toEqual([]);
      const r = await run(all, src, limit);
      const failed = r.results.filter((x) => x.status !== 'ok').map((x) => `${x.task}: ${x.msg}`);
      expect(failed).toEqual([]);
      expect(r.summary.exitCode).toBe(0);
      expect(r.results.filter((x) => x.task.includes('Read ')).map((x) => x.task.replace(/^.*Read /, ''))).toEqual(accepted);
      // Not vacuous: the everyday names pass, the unsupported ones do not.
      expect(accepted).toEqual(expect.arrayContaining(['inventory_hostname', 'groups', 'hostvars', 'ansible_play_hosts', 'play_hosts', 'inventory_file']));
      expect(accepted).not.toContain('omit');
      expect(accepted).not.toContain('ansible_version');
      expect(accepted.includes('ansible_limit')).toBe(limit !== undefined);
      expect(accepted.includes('role_path')).toBe(where === 'role');
      expect(accepted.includes('ansible_hostname')).toBe(facts);
      expect(accepted).not.toContain('ansible_role_name'); // an Ansible magic name drover does not set: not a fact either
    });
  }

  it('in a loop and in a rescue: the names check defines there are the ones the run sets', async () => {
    const dir = join(root, 'loop-rescue');
    const c = writeMagicCase('inventory_hostname', 'play', dir);
    const play = (rescueMsg: string) =>
      `- hosts: all\n  gather_facts: false\n  tasks:\n` +
      `    - name: Loop\n      debug:\n        msg: "{{ ansible_loop_var }} {{ ansible_index_var }} {{ ansible_loop.index }} {{ item }} {{ idx }}"\n` +
      `      loop: [a, b]\n      loop_control:\n        index_var: idx\n` +
      `    - block:\n        - fail:\n            msg: boom\n      rescue:\n        - name: Rescued\n          debug:\n            msg: "${rescueMsg}"\n`;
    writeFileSync(c.playbook, play('{{ ansible_failed_result.msg }}'));
    expect(await check(c, sources[0]!, undefined)).toEqual([]);
    const r = await run(c, sources[0]!, undefined);
    expect(r.summary.exitCode).toBe(0);
    expect(r.results.filter((x) => x.task === 'Loop').flatMap((x) => (x.result as { results?: Array<{ msg?: string }> }).results?.map((y) => y.msg) ?? [x.msg])).toEqual([
      'item idx 1 a 0',
      'item idx 2 b 1',
    ]);
    expect(r.results.find((x) => x.task === 'Rescued')?.msg).toBe('boom');
    writeFileSync(c.playbook, play('{{ ansible_failed_task.name }} {{ ansible_failed_task.action }}').replace('        - fail:', '        - name: Boom\n          fail:'));
    expect(await check(c, sources[0]!, undefined)).toEqual([]);
    const r2 = await run(c, sources[0]!, undefined);
    expect(r2.results.find((x) => x.task === 'Rescued')?.msg).toBe('Boom fail');
  });

  it('the values are what ansible-core 2.14 printed for the same inventory and flags', async () => {
    const values: Record<string, string> = {};
    const names = ['inventory_hostname_short', 'group_names', 'inventory_file', 'inventory_dir', 'ansible_limit', 'ansible_play_name', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_check_mode', 'ansible_play_hosts_all', 'play_hosts', 'hostvars.h1.inventory_file'];
    const c = writeMagicCase(names.map((n) => `${n} | to_json`), 'play', join(root, 'values'));
    expect(await check(c, sources[0]!, 'h1')).toEqual([]);
    const r = await run(c, sources[0]!, 'h1');
    for (const [i, name] of names.entries()) values[name] = r.results[i]!.msg ?? '';
    expect(values).toEqual({
      inventory_hostname_short: '"h1"',
      group_names: '["web"]',
      inventory_file: JSON.stringify(invFile),
      inventory_dir: JSON.stringify(root),
      ansible_limit: '"h1"',
      ansible_play_name: '"all"',
      ansible_run_tags: '["all"]',
      ansible_skip_tags: '[]',
      ansible_verbosity: '0',
      ansible_check_mode: 'false',
      ansible_play_hosts_all: '["h1"]',
      play_hosts: '["h1"]',
      'hostvars.h1.inventory_file': JSON.stringify(invFile),
    });
  });

  it.skipIf(!hasAnsible)('differential: the same values as ansible-playbook, same inventory and --limit', async () => {
    const names = [
      'inventory_hostname', 'inventory_hostname_short', 'group_names', 'inventory_file', 'inventory_dir', 'groups', 'playbook_dir',
      'ansible_limit', 'ansible_play_name', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_check_mode', 'ansible_diff_mode',
      'ansible_play_hosts_all', 'ansible_play_hosts', 'ansible_play_batch', 'play_hosts', 'hostvars.h1.inventory_file', 'hostvars.h1.group_names',
    ];
    const dir = join(root, 'differential');
    const c = writeMagicCase(names.map((n) => `${n} | to_json`), 'play', join(dir, 'drover'));
    const r = await run(c, sources[0]!, 'h1');
    const drover = Object.fromEntries(names.map((n, i) => [n, JSON.parse(r.results[i]!.msg ?? 'null')]));
    // The same in Jinja, one task (ansible-playbook is slow per task), in the same directory layout.
    const a = writeMagicCase('inventory_hostname', 'play', join(dir, 'ansible'));
    const dict = `{${names.map((n) => `'${n}': ${n}`).join(', ')}}`;
    writeFileSync(a.playbook, `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ ${dict} | to_json }}"\n`);
    const out = execFileSync('ansible-playbook', ['-i', invFile, '-l', 'h1', a.playbook], {
      env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false' },
      encoding: 'utf8',
    });
    const task = (JSON.parse(out) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { msg: string }> }> }> }).plays[0]!.tasks[0]!;
    const ansible = JSON.parse(task.hosts.h1!.msg) as Record<string, unknown>;
    // playbook_dir is each playbook's own directory.
    expect(drover.playbook_dir).toBe(join(dir, 'drover'));
    expect(ansible.playbook_dir).toBe(join(dir, 'ansible'));
    delete drover.playbook_dir;
    delete ansible.playbook_dir;
    expect(drover).toEqual(ansible);
  }, 120_000);
});

