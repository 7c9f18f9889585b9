import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drover, isRoot, labTest, mib, prepareOwnLabHome, status, useOwnLabHome } from './lab-helpers.js';

/**
 * Lab3 (Lab2 + Glance + Placement) on fresh local nodes: `drover lab test
 * lab3` (converge, second converge changed=0, check mode 0, verify: cirros
 * active in the image list, Placement GET /resource_classes at 1.31 = 200).
 */
const LAB = 'lab3';
// Its own drover home, subnet (10.96.0.0/24) and bridge: never anyone else's lab3.
const OWN = useOwnLabHome(LAB, '10.96.0.0/24');
const measured: Record<string, string> = {};

describe.skipIf(!isRoot)('lab3 on local nodes', () => {
  beforeAll(() => prepareOwnLabHome(OWN));

  afterAll(async () => {
    await drover(['lab', 'down', LAB], 300_000);
    console.log('\nlab3, measured:\n' + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
  });

  it('drover lab test lab3: converges, is idempotent, check mode is clean, verify passes', async () => {
    const { run, times } = await labTest(LAB);
    Object.assign(measured, times);
    if (run.status !== 0) console.log(run.out.slice(-8000));
    expect(run.out).toMatch(/lab lab3: converged, idempotent, check mode clean, verified/);
    expect(run.status).toBe(0);
    measured['controller memory'] = mib((await status(LAB)).find((s) => s.name === 'controller')?.memoryBytes);
  });
});
