import { describe, expect, it } from 'vitest';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { generateHostKey, hostKeyUserData, knownHostsLine } from '../../../src/providers/digitalocean/cloud-init.js';
import { doLabInventory, doNodeKindVars, inCidr, vpcNameFor } from '../../../src/providers/digitalocean/lab-provider.js';
import { parseProviderSpec } from '../../../src/providers/select.js';
import { interpretCloudConfig } from '../../helpers/fake-cloud-init.js';
import { checkRequest } from '../../helpers/digitalocean-contract/validate.js';

/**
 * The pure parts of labs on droplets: the user_data that carries a droplet's
 * host key, the known_hosts line, the lab's inventory, the VPC name and
 * address check, and the provider's name.
 */

describe('host keys in cloud-init user_data', () => {
  it('a generated key goes into #cloud-config ssh_keys, replaces the image keys, and reads back whole (as the fake interprets cc_ssh)', async () => {
    const key = await generateHostKey('controller');
    expect(key.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ root@controller$/);
    const ud = hostKeyUserData('controller', 'lab1', [key]);
    expect(ud.startsWith('#cloud-config\n')).toBe(true);
    const c = interpretCloudConfig(ud);
    expect(c).toEqual({ hostKeys: [{ type: 'ed25519', privateKey: key.privateKey, publicKey: key.publicKey }], authorizedKeys: [], deleteKeys: true, genKeyTypes: [] });
    // Well under DigitalOcean's 64 KiB, and a create request carrying it is contract-valid.
    expect(Buffer.byteLength(ud)).toBeLessThan(1024);
    expect(checkRequest({ method: 'POST', path: '/v2/droplets', query: {}, contentType: 'application/json', body: { name: 'controller', region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64', user_data: ud } })).toEqual([]);
  });

  it('refuses what is not a host key pair, and user_data over 64 KiB', () => {
    expect(() => hostKeyUserData('n', 'lab1', [{ type: 'ed25519', privateKey: 'not a key', publicKey: 'ssh-ed25519 AAAA' }])).toThrow(/not an OpenSSH private key/);
    const priv = '-----BEGIN OPENSSH PRIVATE KEY-----\n' + 'A'.repeat(70) + '\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(() => hostKeyUserData('n', 'lab1', [{ type: 'ed25519', privateKey: priv, publicKey: 'ssh-rsa AAAA' }])).toThrow(/not ssh-ed25519/);
    const big = '-----BEGIN OPENSSH PRIVATE KEY-----\n' + `${'A'.repeat(70)}\n`.repeat(1000) + '-----END OPENSSH PRIVATE KEY-----\n';
    expect(() => hostKeyUserData('n', 'lab1', [{ type: 'ed25519', privateKey: big, publicKey: 'ssh-ed25519 AAAA' }])).toThrow(/at most 64 KiB/);
  });

  it('the fake interprets only its cloud-init subset: anything else is refused, by name', () => {
    expect(() => interpretCloudConfig('#cloud-config\nruncmd: [touch /x]\n')).toThrow(/does not interpret runcmd/);
    expect(() => interpretCloudConfig('#!/bin/sh\necho hi\n')).toThrow(/only #cloud-config/);
    expect(() => interpretCloudConfig('#cloud-config\nssh_keys: {dsa_private: x}\n')).toThrow(/dsa_private/);
    expect(interpretCloudConfig('#cloud-config\nssh_authorized_keys: ["ssh-ed25519 AAAA x"]\n').authorizedKeys).toEqual(['ssh-ed25519 AAAA x']);
    // No user_data: cloud-init's defaults (delete the image's keys, make all three types).
    expect(interpretCloudConfig(undefined)).toEqual({ hostKeys: [], authorizedKeys: [], deleteKeys: true, genKeyTypes: ['rsa', 'ecdsa', 'ed25519'] });
  });

  it('known_hosts: the droplet\'s name and both addresses share the key (type and blob, no comment)', () => {
    expect(knownHostsLine(['controller', '203.0.113.5', '10.110.0.5'], 'ssh-ed25519 AAAAC3 root@controller')).toBe('controller,203.0.113.5,10.110.0.5 ssh-ed25519 AAAAC3');
    // The fake reports one address as both private and public: named once.
    expect(knownHostsLine(['compute1', '10.82.0.21', '10.82.0.21'], 'ssh-ed25519 AAAAC3')).toBe('compute1,10.82.0.21 ssh-ed25519 AAAAC3');
  });
});

describe("the lab's inventory on droplets", () => {
  const text = doLabInventory({
    lab: 'lab1',
    nodes: [
      { name: 'controller', group: 'controller_nodes', publicIp: '203.0.113.11', privateIp: '10.110.0.11' },
      { name: 'compute1', group: 'compute_nodes', publicIp: '203.0.113.21', privateIp: '10.110.0.21' },
    ],
    privateKeyFile: '/var/lib/drover/digitalocean/labs/lab1/id_ed25519',
    knownHostsFile: '/var/lib/drover/digitalocean/labs/lab1/known_hosts',
    nodeKindVars: doNodeKindVars({}),
  });

  it('is the blog\'s hosts.ini shape: mgmt_ip the private (VPC) address, ansible_host the public one, strict host keys', () => {
    const inv = parseInventoryText(text, 'inventory.ini');
    expect(inv.select('controller_nodes')).toEqual(['controller']);
    expect(inv.select('compute_nodes')).toEqual(['compute1']);
    expect(inv.hostVars('compute1')).toMatchObject({
      mgmt_ip: '10.110.0.21',
      ansible_host: '203.0.113.21',
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/var/lib/drover/digitalocean/labs/lab1/id_ed25519',
      drover_known_hosts_file: '/var/lib/drover/digitalocean/labs/lab1/known_hosts',
      host_key_checking: 'true',
      lab_node_kind: 'vm',
    });
  });

  it('node kind: VMs by default; containers (the end-to-end test\'s fake droplets) by DROVER_DO_NODE_KIND', () => {
    expect(doNodeKindVars({ DROVER_DO_NODE_KIND: 'container' })).toEqual({ lab_node_kind: 'container', compute_driver: 'fake.FakeDriver' });
    expect(() => doNodeKindVars({ DROVER_DO_NODE_KIND: 'bare' })).toThrow(/expected vm or container/);
  });
});

describe('VPC and provider names', () => {
  it('the VPC is named for the lab in the characters vpc.yml allows', () => {
    expect(vpcNameFor('lab1')).toBe('drover-lab1');
    expect(vpcNameFor('tls_nodes')).toBe('drover-tls-nodes');
    expect(checkRequest({ method: 'POST', path: '/v2/vpcs', query: {}, contentType: 'application/json', body: { name: vpcNameFor('tls_nodes'), region: 'fra1' } })).toEqual([]);
    expect(checkRequest({ method: 'POST', path: '/v2/vpcs', query: {}, contentType: 'application/json', body: { name: 'tls_nodes', region: 'fra1' } }).join()).toMatch(/pattern/);
  });

  it('a private address is checked against the VPC range', () => {
    expect(inCidr('10.110.0.5', '10.110.0.0/20')).toBe(true);
    expect(inCidr('10.110.16.5', '10.110.0.0/20')).toBe(false);
    expect(inCidr('10.82.0.11', '10.82.0.0/24')).toBe(true);
    expect(inCidr('192.168.1.1', '0.0.0.0/0')).toBe(true);
  });

  it('--provider digitalocean is a provider (never chosen by default)', () => {
    expect(parseProviderSpec('digitalocean', '--provider')).toEqual({ name: 'digitalocean' });
    expect(() => parseProviderSpec('digitalocean:x', '--provider')).toThrow(/or digitalocean/);
  });
});
