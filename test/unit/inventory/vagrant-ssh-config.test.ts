import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { inventoryFromSshConfig, parseSshConfig, renderIni } from '../../../src/inventory/vagrant-ssh-config.js';
import { expectInputError } from './helpers.js';

// Recorded shape of `vagrant ssh-config` (Vagrant 2.3, VirtualBox) for the blog's Vagrantfile.
const RECORDED = readFileSync('test/fixtures/vagrant/ssh-config-blog.txt', 'utf8');
const KEY = (m: string) => `/home/chr/Projects/openstack-labs/Lab4/.vagrant/machines/${m}/virtualbox/private_key`;

describe('vagrant ssh-config', () => {
  it('parses Host blocks', () => {
    const hosts = parseSshConfig(RECORDED);
    expect(hosts.map((h) => [h.name, h.hostName, h.port, h.user, h.strictHostKeyChecking, h.userKnownHostsFile])).toEqual([
      ['controller', '127.0.0.1', 8222, 'vagrant', 'no', '/dev/null'],
      ['compute1', '127.0.0.1', 8200, 'vagrant', 'no', '/dev/null'],
      ['compute2', '127.0.0.1', 8201, 'vagrant', 'no', '/dev/null'],
    ]);
    expect(hosts[1]!.identityFiles).toEqual([KEY('compute1')]);
    expect(hosts[0]!.options.hostkeyalgorithms).toBe('+ssh-rsa');
    expect(hosts[2]!.pos).toEqual({ file: '<vagrant ssh-config>', line: 27, col: 1 });
  });

  it('becomes the blog inventory: groups, mgmt_ip, key files, shared user', () => {
    const text = renderIni(inventoryFromSshConfig(RECORDED), 'generated');
    expect(text).toBe(
      [
        '# generated',
        '',
        '[controller_nodes]',
        `controller mgmt_ip=192.168.1.11 ansible_host=127.0.0.1 ansible_port=8222 ansible_ssh_private_key_file="${KEY('controller')}"`,
        '',
        '[compute_nodes]',
        `compute1 mgmt_ip=192.168.1.21 ansible_host=127.0.0.1 ansible_port=8200 ansible_ssh_private_key_file="${KEY('compute1')}"`,
        `compute2 mgmt_ip=192.168.1.22 ansible_host=127.0.0.1 ansible_port=8201 ansible_ssh_private_key_file="${KEY('compute2')}"`,
        '',
        '[all:vars]',
        'ansible_user=vagrant',
        'host_key_checking=false',
        '',
      ].join('\n'),
    );
    // ...and reads back as the same inventory.
    const inv = parseInventoryText(text, 'vagrant.ini');
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.hostVars('compute2')).toEqual({
      ansible_user: 'vagrant',
      host_key_checking: 'false',
      mgmt_ip: '192.168.1.22',
      ansible_host: '127.0.0.1',
      ansible_port: 8201,
      ansible_ssh_private_key_file: KEY('compute2'),
    });
  });

  it('handles quoted paths with spaces, other machines, other users and given IPs', () => {
    const cfg = [
      'Host compute1',
      '  HostName 127.0.0.1',
      '  User vagrant',
      '  Port 2200',
      '  IdentityFile "/home/me/my labs/.vagrant/machines/compute1/virtualbox/private_key"',
      '  IdentityFile /home/me/.vagrant.d/insecure_private_key',
      '',
      'Host storage',
      '  HostName=10.0.0.5',
      '  User ubuntu',
      '  Port 22',
      '  StrictHostKeyChecking no',
    ].join('\n');
    const v = inventoryFromSshConfig(cfg, { mgmtIps: { compute1: '10.1.0.21', storage: "10.1.0.30" } });
    expect(v.allVars).toEqual({});
    const text = renderIni(v);
    expect(text.split('\n')[0]).toBe(`storage mgmt_ip=10.1.0.30 ansible_host=10.0.0.5 ansible_port=22 ansible_user=ubuntu`);
    const inv = parseInventoryText(text, 'v.ini');
    expect(inv.groupMap().ungrouped).toEqual(['storage']);
    expect(inv.hostVars('compute1')).toEqual({
      mgmt_ip: '10.1.0.21',
      ansible_host: '127.0.0.1',
      ansible_port: 2200,
      ansible_user: 'vagrant',
      ansible_ssh_private_key_file: '/home/me/my labs/.vagrant/machines/compute1/virtualbox/private_key',
    });
  });

  it('round-trips awkward values through the INI reader', () => {
    const odd = ["it's \"odd\" # x", '8222', 'True', ' padded ', 'a\\b'];
    const text = renderIni({ hosts: odd.map((s, i) => ({ name: `h${i}`, vars: { v: s } })), allVars: { w: odd[0] } });
    const inv = parseInventoryText(text, 'odd.ini');
    odd.forEach((s, i) => expect(inv.hosts.get(`h${i}`)!.vars.v).toBe(s));
    expect(inv.groups.get('all')!.vars.w).toBe(odd[0]);
  });

  it('errors: no Host blocks, options before Host, bad port', () => {
    expect(() => inventoryFromSshConfig('\n')).toThrow(/printed no Host blocks.*vagrant up/);
    expectInputError(() => parseSshConfig('  User vagrant\nHost a\n'), '<vagrant ssh-config>:1:3', /"User" before any Host block/);
    expectInputError(() => parseSshConfig('Host a\n  Port ssh\n'), '<vagrant ssh-config>:2:3', /bad Port "ssh" for host a/);
  });
});
