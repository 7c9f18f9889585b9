import { describe, expect, it } from 'vitest';
import { isSecretName, secretValues } from '../../../src/util/redact.js';

/** One rule for which variable values are secrets (inventories, -e, vars files, include_vars, set_fact). */
describe('secret variables', () => {
  const names: Array<[string, boolean]> = [
    ['db_password', true],
    ['RABBIT_PASS', true],
    ['api_token', true],
    ['client_secret', true],
    ['ansible_become_pass', true],
    ['ansible_ssh_password', true],
    ['password_policy_doc', false],
    ['mgmt_ip', false],
    ['passage', false],
  ];
  for (const [name, secret] of names) it(`${name}: ${secret ? 'secret' : 'not secret'}`, () => expect(isSecretName(name)).toBe(secret));

  it('values under secret names at any depth of mappings and lists; templates only once rendered', () => {
    expect(
      secretValues({
        db_password: 'hunter2',
        mysql: { root: { password: 's3cret' }, port: 3306 },
        users: [{ password: 'in-a-list' }],
        keystone_admin_password: '{{ vault_keystone }}',
        mgmt_ip: '10.0.0.1',
      }),
    ).toEqual(['hunter2', 's3cret', 'in-a-list']);
  });
});
