import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { PlayRunner, type RunEnv } from '../../../src/engine/play-runner.js';
import { HostState } from '../../../src/engine/host-state.js';
import { loadInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { loadPlaybook, validatePlaybook } from '../../../src/playbook/index.js';
import { HOST_MAGIC, MAGIC_NAMES } from '../../../src/playbook/magic-vars.js';
import { Redactor } from '../../../src/util/redact.js';
import { MAGIC_CANDIDATES, writeMagicCase } from '../../helpers/magic-cases.js';

/** The names in the engine's scope for a task of the case's playbook (no inventory, play or task vars: only magic). */
function engineNames(inventory: Inventory, playbook: string, limit: string | undefined): string[] {
  const play = loadPlaybook(playbook).plays[0]!;
  const task = [...play.roleTasks, ...play.tasks][0]!;
  const host = new HostState('h1');
  const env = {
    inventory,
    hosts: new Map([['h1', host]]),
    redactor: new Redactor(),
    extraVars: {},
    playbookDir: '/pb',
    check: false,
    diff: false,
    forks: 1,
    timeoutMs: 1000,
    verbose: 0,
    mode: 'converge',
    limit,
    emit: () => {},
    changed: [],
    unknown: [],
    inventoryVars: () => ({}),
    hostvars: {},
    interrupted: () => false,
  } as unknown as RunEnv;
  return Object.keys(new PlayRunner(env, play).varsFor(host, task, [])).sort();
}

/** The candidate names `drover check` accepts in `{{ name }}`. */
function validatorNames(inventory: Inventory, where: 'play' | 'role', limit: string | undefined): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'drover-magic-'));
  return MAGIC_CANDIDATES.filter((name) => {
    const c = writeMagicCase(name, where, join(dir, name));
    return validatePlaybook(loadPlaybook(c.playbook), inventory, {}, limit !== undefined ? { limit } : {}).length === 0;
  }).sort();
}

async function inventories(): Promise<Array<[string, Inventory]>> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-magic-inv-'));
  writeFileSync(join(dir, 'hosts.ini'), '[web]\nh1 ansible_connection=local\n');
  return [
    ['an inventory file', await loadInventory([join(dir, 'hosts.ini')])],
    ['a host list', await loadInventory(['h1,'])],
  ];
}

describe('magic variables: the validator defines exactly what the engine sets', () => {
  it('in a play and in a role, with and without --limit, for hosts from a file and from a host list', async () => {
    for (const [label, inv] of await inventories()) {
      for (const where of ['play', 'role'] as const) {
        for (const limit of [undefined, 'h1']) {
          const engine = engineNames(inv, writeMagicCase('inventory_hostname', where).playbook, limit);
          // Nothing the engine sets is missing from the candidates (a new magic name must be listed in magic-vars.ts).
          expect(engine.filter((n) => !MAGIC_CANDIDATES.includes(n)), `${label}, ${where}, limit ${limit}`).toEqual([]);
          expect(validatorNames(inv, where, limit), `${label}, ${where}, limit ${limit}`).toEqual(engine);
        }
      }
    }
  });

  it('sets the names Ansible users rely on; refuses omit, ansible_version and the old play_name', async () => {
    const [[, inv]] = await inventories();
    const names = engineNames(inv!, writeMagicCase('inventory_hostname', 'role').playbook, 'h1');
    expect(names).toEqual([...MAGIC_NAMES].sort());
    for (const n of ['omit', 'ansible_version', 'play_name']) expect(names).not.toContain(n);
    expect(engineNames(inv!, writeMagicCase('inventory_hostname', 'play').playbook, undefined)).not.toContain('ansible_limit');
  });

  it('says why omit and ansible_version are refused', async () => {
    const [[, inv]] = await inventories();
    for (const [name, why] of [
      ['omit', /does not support 'omit'/],
      ['ansible_version', /does not claim an Ansible version/],
    ] as const) {
      const c = writeMagicCase(name, 'play');
      const errors = validatePlaybook(loadPlaybook(c.playbook), inv!, {});
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(why);
      expect(errors[0]!.pos).toMatchObject({ file: expect.stringContaining('site.yaml'), line: 6, col: 18 });
    }
  });

  it('check accepts hostvars.<host>.<host magic> (the run sets them: see test/integration/engine/magic-vars.test.ts)', async () => {
    for (const name of Object.keys(HOST_MAGIC)) {
      const [[, inv]] = await inventories();
      const c = writeMagicCase(`hostvars.h1.${name}`, 'play');
      expect(validatePlaybook(loadPlaybook(c.playbook), inv!, {})).toEqual([]);
    }
  });
});
