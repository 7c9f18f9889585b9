import { expect, it } from 'vitest';
import { onNode, describeLabTest } from './lab-helpers.js';

/**
 * Lab5 (Lab4 + Neutron: ML2 with flat and VXLAN networks, the Linux-bridge
 * agent on every node, DHCP, metadata and L3 agents on the controller, the
 * demo resources) on fresh local nodes: `drover lab test lab5` (converge,
 * second converge changed=0, check mode 0, verify: agents alive on the right
 * hosts, networks/subnets/router as created, a server's port ACTIVE with a
 * fixed IP from the pool and reachable from the DHCP namespace over VXLAN,
 * the router's gateway answering ping from the controller). Slow (tens of
 * minutes on a shared 2-CPU machine): run it alone,
 *   npx vitest run -c vitest.nodes.config.ts test/e2e/lab5.test.ts
 */
const LAB = 'lab5';
// Its own drover home, subnet (10.94.0.0/24) and bridge: never anyone else's lab5.
describeLabTest(LAB, '10.94.0.0/24', () => {
  it('every node runs the Linux-bridge agent (no Open vSwitch here), enabled at boot; the provider NIC is in a network bridge', async () => {
    for (const node of ['controller', 'compute1', 'compute2']) {
      const r = await onNode(LAB, node, 'systemctl is-enabled neutron-linuxbridge-agent; ip -o link show eth1');
      expect(r.out).toMatch(/^enabled$/m);
    }
    // The flat network's bridge holds eth1 where a port of the provider network lives (the controller: DHCP, router gateway).
    const c = await onNode(LAB, 'controller', 'ip -o link show eth1');
    expect(c.out).toMatch(/master brq[0-9a-f-]+/);
  });
});
