import { expect, it } from 'vitest';
import { drover, onNode, describeLabTest } from './lab-helpers.js';

/**
 * Lab2 (Lab1 + Keystone) on fresh local nodes: `drover lab test lab2`
 * (converge, second converge changed=0, check mode 0, verify), then fernet
 * key rotation with a token issued before it still valid after it.
 * Timings and the controller's memory are printed at the end.
 */
const LAB = 'lab2';
// Its own drover home, subnet (10.95.0.0/24) and bridge: never anyone else's lab2.
const OWN = describeLabTest(LAB, '10.95.0.0/24', () => {
  it('rotate-fernet.yaml: a token issued before the rotation still validates after it', async () => {
    const issue = await onNode(LAB, 'controller', 'openstack --os-cloud admin token issue -f value -c id 2>/dev/null');
    expect(issue.status).toBe(0);
    const token = issue.out.trim().split('\n').pop()!;
    expect(token.length).toBeGreaterThan(100);
    const keysBefore = (await onNode(LAB, 'controller', 'ls /etc/keystone/fernet-keys | sort -n | tr "\\n" " "')).out.trim();

    const rot = await drover(['play', '-i', inventoryOf(), 'labs/lab2/rotate-fernet.yaml']);
    if (rot.status !== 0) console.log(rot.out.slice(-4000));
    expect(rot.status).toBe(0);
    const keysAfter = (await onNode(LAB, 'controller', 'ls /etc/keystone/fernet-keys | sort -n | tr "\\n" " "')).out.trim();
    expect(keysAfter).not.toBe(keysBefore);
    // Key files stay 0600 and keystone-owned.
    expect((await onNode(LAB, 'controller', 'stat -c "%a %U" /etc/keystone/fernet-keys/* | sort -u')).out.trim()).toBe('600 keystone');

    // Validate the old token with a fresh admin token; both go to curl on stdin, not argv.
    const check = await onNode(
      LAB,
      'controller',
      `admin=$(openstack --os-cloud admin token issue -f value -c id 2>/dev/null); ` +
        `printf 'X-Auth-Token: %s\\nX-Subject-Token: %s\\n' "$admin" '${token}' | ` +
        `curl -s -o /dev/null -w '%{http_code}' -H @- http://controller:5000/v3/auth/tokens`,
    );
    expect(check.out.trim().split('\n').pop()).toBe('200');
  });
});

function inventoryOf(): string {
  return `${OWN.home}/labs/${LAB}/inventory.ini`;
}
