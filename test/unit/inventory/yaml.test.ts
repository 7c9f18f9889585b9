import { describe, expect, it } from 'vitest';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { BLOG_GROUPS, expectInputError } from './helpers.js';

const yaml = (text: string) => parseInventoryText(text, 'inv.yaml', 'yaml');

const BLOG_YAML = `
all:
  vars:
    ansible_user: vagrant
    host_key_checking: false
  children:
    controller_nodes:
      hosts:
        controller:
          mgmt_ip: 192.168.1.11
          ansible_host: 127.0.0.1
          ansible_port: 8222
          ansible_ssh_private_key_file: .vagrant/machines/controller/virtualbox/private_key
    compute_nodes:
      vars:
        role: compute
      hosts:
        compute[1:2]:
`;

describe('YAML inventories', () => {
  it('reads the all/children/hosts/vars nesting', () => {
    const inv = yaml(BLOG_YAML);
    expect([...inv.hosts.keys()]).toEqual(['controller', 'compute1', 'compute2']);
    expect(inv.groupMap()).toEqual(BLOG_GROUPS);
    expect(inv.hostVars('controller')).toEqual({
      ansible_user: 'vagrant',
      host_key_checking: false,
      mgmt_ip: '192.168.1.11',
      ansible_host: '127.0.0.1',
      ansible_port: 8222,
      ansible_ssh_private_key_file: '.vagrant/machines/controller/virtualbox/private_key',
    });
    expect(inv.hostVars('compute2')).toEqual({ ansible_user: 'vagrant', host_key_checking: false, role: 'compute' });
    expect(inv.hosts.get('compute1')!.pos).toEqual({ file: 'inv.yaml', line: 18, col: 9 });
    expect(inv.groups.get('compute_nodes')!.pos).toEqual({ file: 'inv.yaml', line: 14, col: 5 });
  });

  it('hosts directly under all are ungrouped; other top-level groups hang under all', () => {
    const inv = yaml('all:\n  hosts:\n    solo:\n      x: 1\nweb:\n  hosts:\n    w1:2222:\n');
    expect(inv.groupMap().ungrouped).toEqual(['solo']);
    expect(inv.groupMap().web).toEqual(['w1']);
    expect(inv.hostVars('w1')).toEqual({ ansible_port: 2222 });
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'web']);
  });

  it('scalars as Ansible reads them: yes is true, 0644 is octal 420, 1:30 is 90', () => {
    const inv = yaml('all:\n  vars:\n    a: yes\n    b: "yes"\n    mode: 0644\n    t: 1:30\n');
    expect(inv.groups.get('all')!.vars).toEqual({ a: true, b: 'yes', mode: 420, t: 90 });
  });

  it('a group repeated under two parents, with anchors and merge keys', () => {
    const inv = yaml(
      'all:\n  children:\n    east:\n      children:\n        db:\n          hosts:\n            d1: &base {ntp: pool}\n    west:\n      children:\n        db:\n          hosts:\n            d2:\n              <<: *base\n              zone: w\n',
    );
    expect(inv.groupMap().east).toEqual(['d1', 'd2']);
    expect(inv.groupMap().west).toEqual(['d1', 'd2']);
    expect(inv.hostVars('d2')).toEqual({ ntp: 'pool', zone: 'w' });
    expect(inv.hosts.get('d2')!.groups).toEqual(['all', 'east', 'west', 'db']);
  });

  it('an empty file is an empty inventory', () => {
    expect([...yaml('# nothing\n').hosts.keys()]).toEqual([]);
  });
});

describe('YAML inventory errors: file:line:col', () => {
  it('syntax error', () => {
    expectInputError(() => yaml('all:\n  hosts:\n    a: [1, 2\n'), 'inv.yaml:4:1', /YAML syntax error/);
  });
  it('duplicate key', () => {
    expectInputError(() => yaml('all:\n  hosts:\n    a:\n    a:\n'), 'inv.yaml:4:5', /duplicate key 'a' in a mapping \(first at line 3, column 5\)/);
  });
  it('hosts as a list', () => {
    expectInputError(() => yaml('web:\n  hosts:\n    - h1\n'), 'inv.yaml:3:5', /"hosts" of group "web" must be a mapping of host names .* got a list/);
  });
  it('unknown key in a group, with a did-you-mean', () => {
    const e = expectInputError(() => yaml('all:\n  children:\n    web:\n      host:\n        h1:\n'), 'inv.yaml:4:7', /unexpected key "host" in group "web"/);
    expect(e.hint).toBe('did you mean "hosts"?');
  });
  it('host vars that are not a mapping', () => {
    expectInputError(() => yaml('all:\n  hosts:\n    h1: 22\n'), 'inv.yaml:3:9', /vars of host "h1" must be a mapping, got number 22/);
  });
  it('group vars that are not a mapping', () => {
    expectInputError(() => yaml('all:\n  vars: "x=1"\n'), 'inv.yaml:2:10', /"vars" of group "all" must be a mapping of variable names, got string/);
  });
  it('a group that is a scalar', () => {
    expectInputError(() => yaml('web: h1\n'), 'inv.yaml:1:6', /group "web" must be a mapping/);
  });
  it('a top level that is not a mapping', () => {
    expectInputError(() => yaml('- all\n'), 'inv.yaml:1:1', /a YAML inventory is a mapping of group names/);
  });
  it('a bad host range in a key', () => {
    expectInputError(() => yaml('all:\n  hosts:\n    web[a:1]:\n'), 'inv.yaml:3:9', /must be numbers .* or single letters/);
  });
  it('a children loop', () => {
    expectInputError(() => yaml('a:\n  children:\n    b:\n      children:\n        a:\n'), 'inv.yaml:5:9', /creates a loop/);
  });
});
