import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  VagrantProvider,
  findVagrantDir,
  nodeKindVars,
  parseMachineReadableStatus,
  toNodeState,
} from '../../../src/providers/vagrant/provider.js';
import { DOCKER_IMAGE, DOCKERFILE, vagrantInsecurePublicKey } from '../../../src/providers/vagrant/docker-image.js';
import { parseGuestLinks, vmNetworkDevice } from '../../../src/providers/vagrant/guest-network.js';
import { BLOG_NODES } from '../../../src/providers/select.js';
import { vagrantInventoryIni } from '../../../src/cli/lab.js';
import { parseInventoryText } from '../../../src/inventory/load.js';

const here = resolve(__dirname);
const root = resolve(here, '../../..');
// Recorded with Debian 12's vagrant 2.3.4 (no VirtualBox: provider shows as libvirt).
const STATUS_NOT_CREATED = readFileSync(join(here, 'fixtures/vagrant-status-not-created.txt'), 'utf8');
const SSH_CONFIG = readFileSync(join(root, 'test/fixtures/vagrant/ssh-config-blog.txt'), 'utf8');

describe('vagrant status and commands', () => {
  it('reads machine states from --machine-readable output', () => {
    const m = parseMachineReadableStatus(STATUS_NOT_CREATED);
    expect([...m]).toEqual([
      ['controller', 'not_created'],
      ['compute1', 'not_created'],
      ['compute2', 'not_created'],
    ]);
    expect(parseMachineReadableStatus('1,controller,state,running\n1,compute1,state,poweroff\n1,,ui,info,x').get('compute1')).toBe('poweroff');
    expect(['running', 'poweroff', 'saved', 'aborted', 'not_created'].map(toNodeState)).toEqual(['running', 'stopped', 'stopped', 'stopped', 'absent']);
  });

  it('reads each machine\'s provider from --machine-readable output', () => {
    const text = '1796464528,controller,provider-name,docker\n1796464528,controller,state,running\n1796464530,compute1,provider-name,docker\n';
    expect([...parseMachineReadableStatus(text, 'provider-name')]).toEqual([
      ['controller', 'docker'],
      ['compute1', 'docker'],
    ]);
  });

  it('names a provider for `vagrant up` only when one was chosen (else Vagrant\'s own rules apply)', () => {
    expect(VagrantProvider.argv('up', ['controller'])).toEqual(['vagrant', 'up', 'controller']);
    expect(VagrantProvider.argv('up', ['controller'], 'docker')).toEqual(['vagrant', 'up', '--provider=docker', 'controller']);
    expect(VagrantProvider.argv('destroy', ['compute1'])).toEqual(['vagrant', 'destroy', '--force', 'compute1']);
    expect(VagrantProvider.argv('halt', ['a', 'b'])).toEqual(['vagrant', 'halt', 'a', 'b']);
  });

  it('finds the project Vagrantfile', () => {
    expect(findVagrantDir(here)).toBe(root);
  });

  it('turns recorded ssh-config into the blog\'s inventory with the provider\'s node-kind vars and VM-network devices', async () => {
    const extra = { mgmtIps: { controller: '192.168.1.11', compute1: '192.168.1.21', compute2: '192.168.1.22' }, allVars: nodeKindVars('virtualbox'), hostVars: { compute1: { vm_network_device: 'enp0s9' } } };
    const inv = parseInventoryText(await vagrantInventoryIni(SSH_CONFIG, 'lab1', extra), 'inventory.ini', 'ini');
    expect(inv.select('controller_nodes')).toEqual(['controller']);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.hostVars('compute1')).toMatchObject({ mgmt_ip: '192.168.1.21', ansible_host: '127.0.0.1', ansible_port: 8200, ansible_user: 'vagrant', lab_node_kind: 'vm', compute_driver: 'libvirt.LibvirtDriver', neutron_mechanism_driver: 'openvswitch', vm_network_device: 'enp0s9' });
    expect(inv.hostVars('compute2').vm_network_device).toBeUndefined();
    const docker = parseInventoryText(await vagrantInventoryIni(SSH_CONFIG, 'lab1', { ...extra, allVars: nodeKindVars('docker') }), 'inventory.ini', 'ini');
    expect(docker.hostVars('controller')).toMatchObject({ lab_node_kind: 'container', compute_driver: 'fake.FakeDriver', vm_network_device_config: 'none', neutron_mechanism_driver: 'linuxbridge' });
  });

  it('finds the VM-network interface: neither the default route\'s nor the management address\'s', () => {
    // Recorded in a container of Vagrant's docker provider (eth0 docker0, eth1 management, eth2 VM network).
    const docker = parseGuestLinks(readFileSync(join(root, 'test/fixtures/vagrant/guest-links-docker.txt'), 'utf8'));
    expect(docker.ethernet).toEqual(['eth0', 'eth1', 'eth2']);
    expect(docker.defaultDev).toBe('eth0');
    expect(vmNetworkDevice(docker, '192.168.1.11')).toBe('eth2');
    // Constructed: an Ubuntu VirtualBox guest as upstream names its NICs (enp0s3 NAT, enp0s8 mgmt, enp0s9 unnumbered).
    const vbox = parseGuestLinks(
      [
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
        '2: enp0s3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\\    link/ether 02:a1:b2:c3:d4:e5 brd ff:ff:ff:ff:ff:ff',
        '3: enp0s8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\\    link/ether 08:00:27:00:00:01 brd ff:ff:ff:ff:ff:ff',
        '4: enp0s9: <BROADCAST,MULTICAST> mtu 1500 state DOWN\\    link/ether 08:00:27:00:00:02 brd ff:ff:ff:ff:ff:ff',
        '--',
        '2: enp0s3    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic enp0s3',
        '3: enp0s8    inet 192.168.1.21/24 brd 192.168.1.255 scope global enp0s8',
        '--',
        'default via 10.0.2.2 dev enp0s3 proto dhcp src 10.0.2.15 metric 100',
      ].join('\n'),
    );
    expect(vmNetworkDevice(vbox, '192.168.1.21')).toBe('enp0s9');
    // The wrong management address leaves two candidates: no guess.
    expect(vmNetworkDevice(vbox, '192.168.1.99')).toBeUndefined();
    expect(vmNetworkDevice(parseGuestLinks(''), '192.168.1.11')).toBeUndefined();
  });

  it('the Vagrantfile\'s default docker image is the one drover builds, from the installed Vagrant\'s insecure key', () => {
    const vagrantfile = readFileSync(join(root, 'Vagrantfile'), 'utf8');
    expect(vagrantfile).toContain(`ENV.fetch("DROVER_DOCKER_IMAGE", "${DOCKER_IMAGE}")`);
    expect(DOCKERFILE).toMatch(/^FROM drover\/debian-bookworm-base:v\d+$/m);
    expect(DOCKERFILE).toContain('STOPSIGNAL SIGRTMIN+3');
    expect(() => vagrantInsecurePublicKey([join(here, 'no-such-dir')])).toThrow(/keys\/vagrant.pub.*is vagrant installed/);
  });
});

describe('VagrantProvider against a stand-in vagrant CLI', () => {
  let dir: string;
  let provider: VagrantProvider;
  const FAKE = `#!/bin/bash
echo "$*" >> "$FAKE_DIR/calls"
case "$1" in
  status) cat "$FAKE_DIR/status" ;;
  ssh-config) cat "$FAKE_DIR/ssh-config" ;;
  up) sed -i 's/,state,[a-z_]*/,state,running/' "$FAKE_DIR/status"
      for m in "\${@:2}"; do mkdir -p "$VAGRANT_DOTFILE_PATH/machines/$m/virtualbox"; echo id > "$VAGRANT_DOTFILE_PATH/machines/$m/virtualbox/id"; done ;;
  halt) sed -i 's/,state,running/,state,poweroff/' "$FAKE_DIR/status" ;;
  destroy) echo "default provider: \${VAGRANT_DEFAULT_PROVIDER:-unset}" >> "$FAKE_DIR/calls" ;;
esac
`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-vagrant-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/vagrant'), FAKE);
    chmodSync(join(dir, 'bin/vagrant'), 0o755);
    writeFileSync(join(dir, 'status'), '1,controller,provider-name,virtualbox\n1,controller,state,running\n1,compute1,provider-name,virtualbox\n1,compute1,state,poweroff\n1,compute2,provider-name,virtualbox\n1,compute2,state,not_created\n');
    // The guest probe goes through plain ssh with the saved ssh-config: answered from a recorded guest.
    writeFileSync(join(dir, 'bin/ssh'), `#!/bin/bash\necho "ssh $*" >> "$FAKE_DIR/calls"\ncat ${join(root, 'test/fixtures/vagrant/guest-links-docker.txt')}\n`);
    chmodSync(join(dir, 'bin/ssh'), 0o755);
    writeFileSync(join(dir, 'ssh-config'), SSH_CONFIG);
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: dir, DROVER_HOME: join(dir, 'home'), VAGRANT_DOTFILE_PATH: join(dir, 'dot') };
    mkdirSync(join(dir, 'dot/machines/controller/virtualbox'), { recursive: true });
    writeFileSync(join(dir, 'dot/machines/controller/virtualbox/id'), 'id\n');
    provider = new VagrantProvider({ env, cwd: root, renderInventory: vagrantInventoryIni, log: () => {} });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('up starts only machines not running, then writes the inventory; down halts; status maps states', async () => {
    const r = await provider.up('lab1', BLOG_NODES);
    expect(r.started).toEqual(['compute1', 'compute2']);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls.filter((c) => !c.startsWith('ssh '))).toEqual([
      'status --machine-readable controller compute1 compute2',
      'up compute1 compute2',
      'status --machine-readable controller compute1 compute2',
      'ssh-config controller compute1 compute2',
    ]);
    expect(calls.filter((c) => c.startsWith('ssh ')).sort()).toEqual(
      ['controller', 'compute1', 'compute2'].map((n) => `ssh -F ${join(dir, 'home/vagrant/lab1/ssh_config')} -o BatchMode=yes -o ConnectTimeout=15 ${n} ip -o link show; echo --; ip -o -4 addr show; echo --; ip -4 route show default`).sort(),
    );
    expect(r.inventory).toBe(join(dir, 'home/vagrant/lab1/inventory.ini'));
    const inv = parseInventoryText(readFileSync(r.inventory, 'utf8'), 'inventory.ini', 'ini');
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    // The recorded guest holds the controller's management address: only there is the VM NIC certain.
    expect(inv.hostVars('controller')).toMatchObject({ vm_network_device: 'eth2', lab_node_kind: 'vm' });
    expect(inv.hostVars('compute1').vm_network_device).toBeUndefined();
    // Again with every machine running: one `vagrant status` (Ruby starts are seconds each), the saved ssh-config.
    writeFileSync(join(dir, 'calls'), '');
    expect((await provider.up('lab1', BLOG_NODES)).started).toEqual([]);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').filter((c) => !c.startsWith('ssh '))).toEqual(['status --machine-readable controller compute1 compute2']);
    expect((await provider.status()).map((s) => `${s.name}:${s.state}:${s.ip}`)).toEqual(['controller:running:192.168.1.11', 'compute1:running:192.168.1.21', 'compute2:running:192.168.1.22']);
    await provider.down('lab1');
    expect((await provider.status('lab1')).every((s) => s.state === 'stopped')).toBe(true);
    // The ssh-config of the last `up` is kept: `lab ssh` is plain ssh, no Ruby start.
    expect(await provider.sshCommand('lab1', 'controller')).toEqual(['ssh', '-F', join(dir, 'home/vagrant/lab1/ssh_config'), 'controller']);
  });

  it('a chosen Vagrant provider is the default of every vagrant command: destroy of machines never created does not load libvirt', async () => {
    await provider.up('lab1', BLOG_NODES);
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: dir, DROVER_HOME: join(dir, 'home'), VAGRANT_DOTFILE_PATH: join(dir, 'dot') };
    writeFileSync(join(dir, 'calls'), '');
    await new VagrantProvider({ env, cwd: root, renderInventory: vagrantInventoryIni, vagrantProvider: 'docker', log: () => {} }).destroy('lab1');
    await new VagrantProvider({ env, cwd: root, renderInventory: vagrantInventoryIni, log: () => {} }).destroy('lab1');
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n')).toEqual([
      'destroy --force controller compute1 compute2',
      'default provider: docker',
      'destroy --force controller compute1 compute2',
      'default provider: unset',
    ]);
  });
});
