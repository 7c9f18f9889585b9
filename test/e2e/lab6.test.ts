import { expect, it } from 'vitest';
import { onNode, describeLabTest } from './lab-helpers.js';

/**
 * Lab6 (Lab5 + Horizon: Debian's openstack-dashboard behind Apache/mod_wsgi
 * on the controller, Keystone v3, sessions in memcached) on fresh local
 * nodes: `drover lab test lab6` (converge, second converge changed=0, check
 * mode 0, verify: Lab5's checks, then the demo user logs in over HTTP with
 * the CSRF token and cookie and sees its instances page, and the session is
 * in memcached). Slow (tens of minutes on a shared 2-CPU machine): run it alone,
 *   npx vitest run -c vitest.nodes.config.ts test/e2e/lab6.test.ts
 */
const LAB = 'lab6';
// Its own drover home, subnet (10.89.0.0/24) and bridge: never anyone else's lab6.
describeLabTest(LAB, '10.89.0.0/24', () => {
  it('the dashboard answers on the controller\'s management address: the login page, Apache enabled at boot, no SSL vhost', async () => {
    const r = await onNode(
      LAB,
      'controller',
      "systemctl is-enabled apache2; ls /etc/apache2/sites-enabled; curl -sS -o /dev/null -w 'login %{http_code}\\n' http://controller/auth/login/; curl -sS -o /dev/null -w 'root %{http_code} %{redirect_url}\\n' http://controller/",
    );
    expect(r.out).toMatch(/^enabled$/m);
    expect(r.out).toMatch(/^openstack-dashboard\.conf$/m);
    expect(r.out).not.toMatch(/ssl|000-default/);
    expect(r.out).toMatch(/^login 200$/m);
    // Not logged in: the dashboard sends the browser to its login page.
    expect(r.out).toMatch(/^root 302 http:\/\/controller\/auth\/login\//m);
  });
});
