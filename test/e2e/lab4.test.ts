import { expect, it } from 'vitest';
import { onNode, describeLabTest } from './lab-helpers.js';

/**
 * Lab4 (Lab3 + Nova on the controller, nova-compute on compute1 and compute2,
 * a minimal Neutron server) on fresh local nodes: `drover lab test lab4`
 * (converge, second converge changed=0, check mode 0, verify: nova services
 * running, compute service list all up, nova-status, a `--nic none` server
 * ACTIVE on a compute node and deleted again). Slow (tens of minutes on a
 * shared 2-CPU machine): run it alone,
 *   npx vitest run -c vitest.nodes.config.ts test/e2e/lab4.test.ts
 */
const LAB = 'lab4';
// Its own drover home, subnet (10.97.0.0/24) and bridge: never anyone else's lab4.
describeLabTest(LAB, '10.97.0.0/24', () => {
  it('the compute nodes run the fake driver without libvirt, enabled at boot', async () => {
    for (const node of ['compute1', 'compute2']) {
      const r = await onNode(LAB, node, 'systemctl is-enabled nova-compute; dpkg -s libvirt-daemon-system >/dev/null 2>&1 && echo libvirt || echo no-libvirt');
      expect(r.out).toMatch(/^enabled$/m);
      expect(r.out).toMatch(/^no-libvirt$/m);
    }
  });
});
