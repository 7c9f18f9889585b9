import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { loadInventory } from '../../../src/inventory/load.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { loadPlaybook, playHosts, validatePlaybook } from '../../../src/playbook/index.js';

const fixtures = path.resolve('test/fixtures/playbooks');
let inv: Inventory;

beforeAll(async () => {
  inv = await loadInventory([path.join(fixtures, 'good/inventory.ini')], { playbookDir: path.join(fixtures, 'good') });
});

describe('validatePlaybook', () => {
  it('finds nothing wrong in the good fixture (roles, templates, loops, registered names, hostvars)', () => {
    const pb = loadPlaybook(path.join(fixtures, 'good/site.yaml'));
    expect(validatePlaybook(pb, inv, {}).map((e) => e.message)).toEqual([]);
    expect(validatePlaybook(pb, inv, {}, { mode: 'verify' }).map((e) => e.message)).toEqual([]);
  });

  it('applies --limit to the hosts a play targets', () => {
    const pb = loadPlaybook(path.join(fixtures, 'good/site.yaml'));
    expect(playHosts(pb.plays[1]!, inv)).toEqual(['ctl', 'cmp1', 'cmp2']);
    expect(playHosts(pb.plays[1]!, inv, 'cmp2')).toEqual(['cmp2']);
    expect(playHosts(pb.plays[0]!, inv, 'compute')).toEqual([]);
  });

  it('treats names set inside a dynamic include as unknowable, not as errors', () => {
    const pb = loadPlaybook(path.join(fixtures, 'dynamic/site.yaml'));
    expect(validatePlaybook(pb, inv, {})).toEqual([]);
  });

  it('reports an undefined variable once per place, naming the first host', () => {
    const pb = loadPlaybook(path.join(fixtures, 'bad/undefined-var-args.yaml'));
    const errors = validatePlaybook(pb, inv, {});
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(
      `${path.relative(process.cwd(), path.join(fixtures, 'bad/undefined-var-args.yaml'))}:5:26: undefined variable 'mgmt_addr' (not defined for host ctl)`,
    );
  });

  it('accepts a variable that only extra vars define', () => {
    const pb = loadPlaybook(path.join(fixtures, 'bad/undefined-var-args.yaml'));
    expect(validatePlaybook(pb, inv, { mgmt_addr: '1.2.3.4' })).toEqual([]);
  });
});
