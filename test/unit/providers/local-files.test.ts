import { describe, expect, it } from 'vitest';
import { addressInSubnet, loadConfig, parseSubnet, paths, vmBridgeName, vmVethName } from '../../../src/providers/local/config.js';
import {
  CHRONY_DROP_IN,
  SOURCES_LIST,
  aptProxyFile,
  hostsFile,
  inventoryIni,
  knownHostsLines,
  networkFile,
  type PlacedNode,
} from '../../../src/providers/local/node-files.js';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { connectionSpecFromVars } from '../../../src/inventory/connection-spec.js';
import { HostSetupError, requireRoot } from '../../../src/providers/local/host-setup.js';
import { BLOG_NODES, chooseProvider, labNodes } from '../../../src/providers/select.js';
import { LocalProvider } from '../../../src/providers/local/provider.js';

const nodes: PlacedNode[] = [
  { name: 'controller', group: 'controller_nodes', ip: '10.77.0.11' },
  { name: 'compute1', group: 'compute_nodes', ip: '10.77.0.21' },
  { name: 'compute2', group: 'compute_nodes', ip: '10.77.0.22' },
];

describe('lab network config', () => {
  it('parses subnets and clears host bits', () => {
    expect(parseSubnet('10.77.0.0/24')).toEqual({ network: '10.77.0.0', prefix: 24 });
    expect(parseSubnet('10.88.3.77/16')).toEqual({ network: '10.88.0.0', prefix: 16 });
    expect(() => parseSubnet('10.77.0.0')).toThrow(/not a CIDR/);
    expect(() => parseSubnet('10.77.0.0/28')).toThrow(/prefix/);
    expect(() => parseSubnet('10.777.0.0/24')).toThrow(/IPv4/);
  });

  it('places the blog nodes at .11/.21/.22 of any subnet', () => {
    expect(addressInSubnet('10.77.0.0', 11)).toBe('10.77.0.11');
    expect(addressInSubnet('10.88.0.0', 22)).toBe('10.88.0.22');
    const p = new LocalProvider({ env: { DROVER_SUBNET: '10.99.5.0/24', DROVER_HOME: '/x' } });
    expect(p.place(BLOG_NODES).map((n) => n.ip)).toEqual(['10.99.5.11', '10.99.5.21', '10.99.5.22']);
    expect(p.cfg.bridgeIp).toBe('10.99.5.1');
  });

  it('defaults: drover0, 10.77.0.0/24, /var/lib/drover for root, DROVER_HOME wins', () => {
    const c = loadConfig({}, 0);
    expect(c).toMatchObject({ bridge: 'drover0', network: '10.77.0.0', prefix: 24, bridgeIp: '10.77.0.1', home: '/var/lib/drover', proxyPort: 3142 });
    expect(loadConfig({ DROVER_HOME: '/srv/d' }, 0).home).toBe('/srv/d');
    expect(loadConfig({}, 1000).home).toMatch(/\.local\/share\/drover$/);
    expect(() => loadConfig({ DROVER_BRIDGE: 'a-very-long-bridge-name' }, 0)).toThrow(/interface name/);
    // The VM network's bridge: BRIDGE-vm, or DROVER_VM_BRIDGE.
    expect(c.vmBridge).toBe('drover0-vm');
    expect(loadConfig({ DROVER_VM_BRIDGE: 'vmnet0' }, 0).vmBridge).toBe('vmnet0');
    expect(() => loadConfig({ DROVER_VM_BRIDGE: 'drover0' }, 0)).toThrow(/must differ/);
    expect(() => loadConfig({ DROVER_VM_BRIDGE: 'a bridge' }, 0)).toThrow(/DROVER_VM_BRIDGE=a bridge is not a valid interface name/);
    const p = paths(c);
    expect(p.nodeRoot('lab1', 'controller')).toBe('/var/lib/drover/labs/lab1/nodes/controller/rootfs');
    expect(p.inventory('lab1')).toBe('/var/lib/drover/labs/lab1/inventory.ini');
  });
});

describe('VM network interface names (15 bytes at most, distinct)', () => {
  it('keeps short names readable and shortens long ones with a hash', () => {
    expect(vmBridgeName('drover0')).toBe('drover0-vm');
    expect(vmVethName('controller')).toBe('vm-controller');
    expect(vmVethName('compute1')).toBe('vm-compute1');
    const long = ['drover-e2e-l1', 'drover-e2e-l2', 'drover-e2e-mod', 'drover-e2e-dk'].map(vmBridgeName);
    const veths = ['e1-controller', 'e1-compute1', 'e1-compute2', 'e2-controller', 'r-controller'].map(vmVethName);
    for (const n of [...long, ...veths]) expect(n.length).toBeLessThanOrEqual(15);
    expect(new Set(long).size).toBe(long.length);
    expect(new Set(veths).size).toBe(veths.length);
    expect(long[0]).toMatch(/^drover-[0-9a-f]{4}-vm$/);
    expect(veths[0]).toMatch(/^vm-e1-cont-[0-9a-f]{4}$/);
  });
});

describe('files written into nodes', () => {
  it('/etc/hosts names every node of the lab', () => {
    const h = hostsFile(nodes);
    expect(h).toContain('127.0.0.1\tlocalhost\n');
    // In the node_setup role's own form ("IP name"), so the role finds its lines after a boot.
    expect(h).toContain('10.77.0.11 controller\n10.77.0.21 compute1\n10.77.0.22 compute2\n');
    expect(h).not.toContain('127.0.1.1'); // the node's name must resolve to its management address
  });

  it('static address on host0 with the bridge as gateway', () => {
    expect(networkFile('10.77.0.21', 24, '10.77.0.1')).toBe(
      '# Written by drover (local provider).\n[Match]\nName=host0\n\n[Network]\nAddress=10.77.0.21/24\nGateway=10.77.0.1\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n',
    );
  });

  it('apt proxy, sources and the chrony container drop-in', () => {
    expect(aptProxyFile('10.77.0.1', 3142)).toContain('Acquire::http::Proxy "http://10.77.0.1:3142";');
    expect(SOURCES_LIST('http://deb.debian.org/debian', 'bookworm')).toBe(
      'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n',
    );
    expect(CHRONY_DROP_IN).toContain('\nConditionCapability=\n');
    expect(CHRONY_DROP_IN).toContain('\nExecStart=\nExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x\n');
  });

  it('known_hosts lines carry the node name and address, and drop comments', () => {
    const lines = knownHostsLines(nodes[0]!, ['ssh-ed25519 AAAAC3Nza root@build\n', 'ecdsa-sha2-nistp256 AAAAE2 x', 'garbage']);
    expect(lines).toEqual(['controller,10.77.0.11 ssh-ed25519 AAAAC3Nza', 'controller,10.77.0.11 ecdsa-sha2-nistp256 AAAAE2']);
  });
});

describe('the lab inventory', () => {
  const text = inventoryIni({ lab: 'lab1', nodes, privateKeyFile: '/var/lib/drover/labs/lab1/id_ed25519', knownHostsFile: '/var/lib/drover/labs/lab1/known_hosts' });

  it('reads back through drover\'s inventory parser with the blog\'s groups and vars', () => {
    const inv = parseInventoryText(text, 'inventory.ini', 'ini');
    expect(inv.select('controller_nodes')).toEqual(['controller']);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    const v = inv.hostVars('compute2');
    expect(v).toMatchObject({
      mgmt_ip: '10.77.0.22',
      ansible_host: '10.77.0.22',
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/var/lib/drover/labs/lab1/id_ed25519',
      drover_known_hosts_file: '/var/lib/drover/labs/lab1/known_hosts',
      lab_node_kind: 'container',
      compute_driver: 'fake.FakeDriver',
      neutron_mechanism_driver: 'linuxbridge',
    });
    // Without a VM network there is no vm_network_device at all (global_vars' default applies).
    expect(v).not.toHaveProperty('vm_network_device');
  });

  it('names the unnumbered VM-network interface in [all:vars] when the nodes have one', () => {
    const t = inventoryIni({ lab: 'lab1', nodes, privateKeyFile: '/k', knownHostsFile: '/kh', vmNetworkDevice: 'eth1' });
    expect(t).toMatch(/\n\[all:vars\]\n(?:.*\n)*vm_network_device=eth1\n/);
    const inv = parseInventoryText(t, 'inventory.ini', 'ini');
    for (const h of ['controller', 'compute1', 'compute2']) expect(inv.hostVars(h).vm_network_device).toBe('eth1');
  });

  it('connects as root with the lab key and strict host key checking', () => {
    const inv = parseInventoryText(text, 'inventory.ini', 'ini');
    const spec = connectionSpecFromVars('controller', inv.hostVars('controller'));
    expect(spec).toMatchObject({
      kind: 'ssh',
      host: '10.77.0.11',
      port: 22,
      user: 'root',
      privateKeyFile: '/var/lib/drover/labs/lab1/id_ed25519',
      knownHostsFile: '/var/lib/drover/labs/lab1/known_hosts',
      hostKeyChecking: 'strict',
    });
  });

  it('quotes paths with spaces so they survive the INI reader', () => {
    const t = inventoryIni({ lab: 'x', nodes: nodes.slice(0, 1), privateKeyFile: '/my home/k', knownHostsFile: '/my home/kh' });
    const inv = parseInventoryText(t, 'inventory.ini', 'ini');
    expect(inv.hostVars('controller').ansible_ssh_private_key_file).toBe('/my home/k');
  });
});

describe('provider choice and labs', () => {
  it('vagrant when vagrant and VBoxManage exist or Vagrant\'s default provider is named; --provider, then DROVER_PROVIDER, win', () => {
    const has = (set: string[]) => (c: string) => set.includes(c);
    const name = (env: NodeJS.ProcessEnv, tools: string[], flag?: string) => chooseProvider(env, has(tools), flag);
    expect(name({}, ['vagrant', 'VBoxManage'])).toEqual({ name: 'vagrant' });
    expect(name({}, ['vagrant'])).toEqual({ name: 'local' }); // Debian's vagrant alone defaults to libvirt
    expect(name({ VAGRANT_DEFAULT_PROVIDER: 'libvirt' }, ['vagrant'])).toEqual({ name: 'vagrant' });
    expect(name({ VAGRANT_DEFAULT_PROVIDER: 'libvirt' }, [])).toEqual({ name: 'local' });
    expect(name({}, [])).toEqual({ name: 'local' });
    expect(name({ DROVER_PROVIDER: 'vagrant' }, [])).toEqual({ name: 'vagrant' });
    expect(name({ DROVER_PROVIDER: 'vagrant:docker' }, [])).toEqual({ name: 'vagrant', vagrantProvider: 'docker' });
    expect(name({ DROVER_PROVIDER: 'local' }, ['vagrant', 'VBoxManage'])).toEqual({ name: 'local' });
    expect(name({ DROVER_PROVIDER: 'local' }, [], 'vagrant:libvirt')).toEqual({ name: 'vagrant', vagrantProvider: 'libvirt' });
    expect(() => name({ DROVER_PROVIDER: 'docker' }, [])).toThrow(/DROVER_PROVIDER=docker is not a provider/);
    expect(() => name({}, [], 'vagrant:hyperv')).toThrow(/--provider=vagrant:hyperv: the Vagrantfile configures virtualbox, libvirt, docker/);
    expect(() => name({}, [], 'local:docker')).toThrow(/not a provider/);
  });

  it('lab1-lab6 use the blog\'s three nodes, tls labs none, unknown labs undefined', () => {
    expect(labNodes('lab1')!.map((n) => `${n.name}:${n.group}:${n.hostOctet}`)).toEqual([
      'controller:controller_nodes:11',
      'compute1:compute_nodes:21',
      'compute2:compute_nodes:22',
    ]);
    expect(labNodes('lab4')).toBe(labNodes('lab1'));
    expect(labNodes('lab5')).toBe(labNodes('lab1'));
    expect(labNodes('lab6')).toBe(labNodes('lab1'));
    expect(labNodes('tls2')).toEqual([]);
    expect(labNodes('lab9')).toBeUndefined();
    expect(labNodes('constructor')).toBeUndefined();
  });

  it('refuses to touch the machine without root, and says how to run it', () => {
    expect(() => requireRoot('drover lab up lab1', 1000)).toThrow(HostSetupError);
    expect(() => requireRoot('drover lab up lab1', 1000)).toThrow(/needs root.*sudo npx drover lab up lab1/);
    expect(() => requireRoot('x', 0)).not.toThrow();
  });
});
