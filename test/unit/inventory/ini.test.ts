import { describe, expect, it } from 'vitest';
import { loadInventory, parseInventoryText } from '../../../src/inventory/load.js';
import { BLOG_GROUPS, expectInputError } from './helpers.js';

const BLOG = 'test/fixtures/inventories/blog-hosts.ini';
const ini = (text: string) => parseInventoryText(text, 'inv.ini', 'ini');

describe('the blog hosts.ini, read as-is', () => {
  it('has the blog groups, hosts and merged vars', async () => {
    const inv = await loadInventory([BLOG]);
    expect([...inv.hosts.keys()]).toEqual(['controller', 'compute1', 'compute2']);
    expect(inv.groupMap()).toEqual(BLOG_GROUPS);
    expect(inv.hostVars('controller')).toEqual({
      ansible_python_interpreter: '/usr/bin/python3',
      host_key_checking: 'false', // lower-case false is not a Python literal: it stays a string, as in Ansible
      ansible_user: 'vagrant',
      mgmt_ip: '192.168.1.11',
      ansible_host: '127.0.0.1',
      ansible_port: 8222,
      ansible_ssh_private_key_file: '.vagrant/machines/controller/virtualbox/private_key',
    });
    expect(inv.hostVars('compute1')).toMatchObject({ mgmt_ip: '192.168.1.21', ansible_port: 8200, ansible_user: 'vagrant' });
    expect(inv.hostVars('compute2')).toMatchObject({
      mgmt_ip: '192.168.1.22',
      ansible_port: 8201,
      ansible_ssh_private_key_file: '.vagrant/machines/compute2/virtualbox/private_key',
    });
    expect(inv.hosts.get('compute2')!.groups).toEqual(['all', 'compute_nodes']);
    expect(inv.hosts.get('compute2')!.pos).toEqual({ file: BLOG, line: 6, col: 1 });
    expect(inv.groups.get('compute_nodes')!.pos).toEqual({ file: BLOG, line: 4, col: 2 });
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'controller_nodes', 'compute_nodes']);
    expect(inv.sources).toEqual([BLOG]);
  });

  it('inventories/vagrant.ini has the blog addresses', async () => {
    const inv = await loadInventory(['inventories/vagrant.ini']);
    expect(inv.select('controller_nodes')).toEqual(['controller']);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.hostVars('compute1')).toEqual({
      ansible_user: 'vagrant',
      host_key_checking: 'false',
      mgmt_ip: '192.168.1.21',
      ansible_host: '127.0.0.1',
      ansible_port: 8200,
      ansible_ssh_private_key_file: '.vagrant/machines/compute1/virtualbox/private_key',
    });
  });
});

describe('INI values and structure', () => {
  it('evaluates values like Ansible (Python literals, else text)', () => {
    const inv = ini(
      [
        `h1 a=8222 b=True c=false d="quoted value" e='x y' f=[1,2] g="{'k': 1}" g2={'k':1} h=1.5 i=0755 j=-3 k="'text'" l=None m=0x1F n=''`,
        '[g:vars]',
        'v1 = 42',
        'v2=yes',
        'v3="a b"',
        'v4=1 # a comment is Python syntax',
        'v5=foo # not a literal, kept whole',
        '[g]',
        'h1',
      ].join('\n'),
    );
    expect(inv.hosts.get('h1')!.vars).toEqual({
      a: 8222,
      b: true,
      c: 'false',
      d: 'quoted value',
      e: 'x y',
      f: [1, 2],
      g: { k: 1 },
      g2: '{k:1}', // the shell-style split eats the quotes first, as in Ansible
      h: 1.5,
      i: '0755',
      j: -3,
      k: 'text',
      l: null,
      m: 31,
      n: '',
    });
    expect(inv.groups.get('g')!.vars).toEqual({ v1: 42, v2: 'yes', v3: 'a b', v4: 1, v5: 'foo # not a literal, kept whole' });
  });

  it('puts hosts before any section in ungrouped, handles comments, ports and ranges', () => {
    const inv = ini(
      [
        '# comment',
        '; another comment',
        'lonely ansible_host=10.0.0.9   # trailing comment',
        'db:2222',
        '[web]',
        'web[01:03] role=web',
        'node-[a:c]',
        'n[0:10:5]',
        'db',
        '[web:vars]',
        'http_port=80',
      ].join('\n'),
    );
    expect(inv.groupMap().ungrouped).toEqual(['lonely']);
    expect(inv.groupMap().web).toEqual(['db', 'web01', 'web02', 'web03', 'node-a', 'node-b', 'node-c', 'n0', 'n5', 'n10']);
    expect(inv.hosts.get('lonely')!.vars).toEqual({ ansible_host: '10.0.0.9' });
    expect(inv.hostVars('db')).toEqual({ ansible_port: 2222, http_port: 80 });
    expect(inv.hostVars('web02')).toEqual({ role: 'web', http_port: 80 });
  });

  it('builds children and applies precedence all < parent < child < host', () => {
    const inv = ini(
      [
        '[all:vars]',
        'x=all',
        'only_all=1',
        '[openstack:children]',
        'controllers',
        'computes',
        '[openstack:vars]',
        'x=openstack',
        'y=openstack',
        'z=openstack',
        '[controllers]',
        'controller x=host',
        '[computes]',
        'compute1',
        '[computes:vars]',
        'y=computes',
        '[zone_b]',
        'compute1',
        '[zone_b:vars]',
        'y=zone_b',
      ].join('\n'),
    );
    expect(inv.hostVars('controller')).toEqual({ x: 'host', only_all: 1, y: 'openstack', z: 'openstack' });
    // compute1 is in computes (depth 2) and zone_b (depth 1): the deeper group wins.
    expect(inv.hostVars('compute1')).toEqual({ x: 'openstack', only_all: 1, y: 'computes', z: 'openstack' });
    expect(inv.hosts.get('compute1')!.groups).toEqual(['all', 'openstack', 'zone_b', 'computes']);
    expect(inv.groupMap().openstack).toEqual(['controller', 'compute1']);
    expect(inv.groups.get('all')!.children).toEqual(['ungrouped', 'openstack', 'zone_b']);
  });

  it('breaks ties between groups of equal depth by name, then ansible_group_priority', () => {
    const text = (prio: string) => ['[b]', 'h', '[a]', 'h', '[a:vars]', 'v=a', prio, '[b:vars]', 'v=b'].join('\n');
    expect(ini(text('')).hostVars('h').v).toBe('b');
    expect(ini(text('ansible_group_priority=10')).hostVars('h').v).toBe('a');
  });

  it('lets a children section name a group defined later in the file', () => {
    const inv = ini(['[parent:children]', 'kid', '[kid]', 'h1'].join('\n'));
    expect(inv.groupMap().parent).toEqual(['h1']);
  });
});

describe('INI errors: file:line:col', () => {
  it('unknown section suffix', () => {
    expectInputError(() => ini('[web]\nh\n[web:hostz]\nh2'), 'inv.ini:3:6', /section \[web:hostz\] has unknown type "hostz"/);
  });
  it('invalid section header', () => {
    expectInputError(() => ini('  [web servers]\nh'), 'inv.ini:1:3', /invalid section header/);
  });
  it('child group never defined', () => {
    expectInputError(() => ini('[a]\nh\n[p:children]\na\n  missing\n'), 'inv.ini:5:3', /\[p:children\] includes undefined group "missing"/);
  });
  it('vars for a group that is never defined', () => {
    expectInputError(() => ini('[web]\nh\n[db:vars]\nx=1'), 'inv.ini:3:2', /\[db:vars\] is for a group that is never defined/);
  });
  it('malformed host variable', () => {
    expectInputError(() => ini('[web]\nh1 ansible_port=22 oops'), 'inv.ini:2:20', /expected key=value host variable, got: oops/);
  });
  it('a host with no name', () => {
    expectInputError(() => ini('[web]\n   ansible_host=1.2.3.4'), 'inv.ini:2:4', /host line has no host name/);
  });
  it('a variable with no name on a host line', () => {
    expectInputError(() => ini('[web]\nh1 =3'), 'inv.ini:2:4', /host variable with no name/);
  });
  it('unclosed quote', () => {
    expectInputError(() => ini('[web]\nh1 key="abc'), 'inv.ini:2:8', /no closing quotation/);
  });
  it('vars line without =', () => {
    expectInputError(() => ini('[web]\nh\n[web:vars]\n  just_a_word'), 'inv.ini:4:3', /expected key=value in \[web:vars\]/);
  });
  it('children line that is not a group name', () => {
    expectInputError(() => ini('[a]\nh\n[p:children]\na b'), 'inv.ini:4:1', /expected a group name/);
  });
  it('bad host ranges and ports', () => {
    expectInputError(() => ini('[web]\nweb[3:1]'), 'inv.ini:2:5', /begins after it ends/);
    expectInputError(() => ini('[web]\nweb[1:]'), 'inv.ini:2:5', /has no end value/);
    expectInputError(() => ini('[web]\n web[01:100]'), 'inv.ini:2:6', /same length/);
    expectInputError(() => ini('[web]\nweb[1:3'), 'inv.ini:2:4', /unclosed "\["/);
    expectInputError(() => ini('[web]\nhost:ssh'), 'inv.ini:2:6', /bad port "ssh"/);
  });
  it('a children loop', () => {
    expectInputError(() => ini('[a:children]\nb\n[b:children]\na'), 'inv.ini:4:1', /creates a loop/);
  });
});

describe('ungrouped', () => {
  it('a host listed before any section that is also in a group is not ungrouped', () => {
    const inv = ini('a\nb\n[web]\nb');
    expect(inv.groupMap().ungrouped).toEqual(['a']);
    expect(inv.hosts.get('b')!.groups).toEqual(['all', 'web']);
    expect(inv.hosts.get('a')!.groups).toEqual(['all', 'ungrouped']);
  });
});
