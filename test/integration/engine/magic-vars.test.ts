import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAndValidate, runPlaybook } from '../../../src/engine/run.js';
import type { EngineEvent, TaskResultEvent } from '../../../src/report/events.js';
import { InputErrors, type InputError } from '../../../src/util/errors.js';
import { MAGIC_CANDIDATES, writeMagicCase } from '../../helpers/magic-cases.js';

/**
 * `drover check` never accepts what the run rejects, for magic variables: a
 * task reading `{{ name }}` either passes check (loadAndValidate, which `drover
 * check` and `drover play` both call) and then runs, or fails check at the
 * file:line:col where the name is written. On a local-connection host.
 */

const root = mkdtempSync(join(tmpdir(), 'drover-magic-run-'));
const invFile = join(root, 'hosts.ini');
writeFileSync(invFile, '[web]\nh1 ansible_connection=local\n');
const sources = [
  { label: 'an inventory file', inventory: invFile, host: 'h1' },
  { label: 'a host list', inventory: 'localhost,', host: 'localhost' },
];

async function checkThenRun(name: string, where: 'play' | 'role', src: (typeof sources)[number], limit: string | undefined) {
  const c = writeMagicCase(name, where, join(root, `${where}-${src.host}-${limit ?? 'all'}-${name}`));
  const opts = { playbook: c.playbook, inventory: [src.inventory], stateDir: join(c.dir, '.drover'), ...(limit ? { limit } : {}) };
  let errors: InputError[] = [];
  try {
    await loadAndValidate(opts);
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
    errors = e.errors;
  }
  if (errors.length) return { checked: false as const, errors, case: c };
  const events: EngineEvent[] = [];
  const summary = await runPlaybook({ ...opts, sinks: [(e) => events.push(e)] });
  const results = events.filter((e): e is TaskResultEvent => e.type === 'task_result');
  return { checked: true as const, summary, results, case: c };
}

describe('check never accepts a magic variable the run rejects', () => {
  for (const src of sources) {
    for (const where of ['play', 'role'] as const) {
      for (const limit of [undefined, src.host]) {
        it(`{{ name }} in a ${where}, host from ${src.label}, ${limit ? '--limit' : 'no --limit'}`, async () => {
          const accepted: string[] = [];
          for (const name of MAGIC_CANDIDATES) {
            const r = await checkThenRun(name, where, src, limit);
            if (r.checked) {
              accepted.push(name);
              expect(r.summary.exitCode, `${name}: ${JSON.stringify(r.results.map((x) => x.msg))}`).toBe(0);
              expect(r.results.map((x) => [x.host, x.status]), name).toEqual([[src.host, 'ok']]);
            } else {
              // Rejected at the place it is written: the task file, the line and column of the name.
              for (const e of r.errors) {
                expect(resolve(e.pos?.file ?? ''), `${name}: ${e.message}`).toBe(r.case.taskFile);
                expect(e.pos, `${name}: ${e.message}`).toMatchObject({ line: where === 'role' ? 3 : 6, col: where === 'role' ? 14 : 18 });
              }
            }
          }
          // Not vacuous: the everyday names pass, the unsupported ones do not.
          expect(accepted).toEqual(expect.arrayContaining(['inventory_hostname', 'groups', 'hostvars', 'ansible_play_hosts', 'play_hosts', 'inventory_file']));
          expect(accepted).not.toContain('omit');
          expect(accepted).not.toContain('ansible_version');
          expect(accepted.includes('ansible_limit')).toBe(limit !== undefined);
          expect(accepted.includes('role_path')).toBe(where === 'role');
        });
      }
    }
  }

  it('the values are what ansible-core 2.14 printed for the same inventory and flags', async () => {
    const values: Record<string, string> = {};
    for (const name of ['inventory_hostname_short', 'group_names', 'inventory_file', 'inventory_dir', 'ansible_limit', 'ansible_play_name', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_check_mode', 'ansible_play_hosts_all', 'play_hosts', `hostvars.h1.inventory_file`]) {
      const r = await checkThenRun(`json ${name}`, 'play', sources[0]!, 'h1');
      if (!r.checked) throw new Error(r.errors.map((e) => e.message).join('\n'));
      values[name] = r.results[0]!.msg ?? '';
    }
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
});
