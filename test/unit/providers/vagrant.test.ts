import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  VagrantProvider,
  findVagrantDir,
  parseMachineReadableStatus,
  toNodeState,
} from '../../../src/providers/vagrant/provider.js';
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

  it('names VirtualBox explicitly (Debian\'s vagrant defaults to libvirt)', () => {
    expect(VagrantProvider.argv('up', ['controller'])).toEqual(['vagrant', 'up', '--provider=virtualbox', 'controller']);
    expect(VagrantProvider.argv('destroy', ['compute1'])).toEqual(['vagrant', 'destroy', '--force', 'compute1']);
    expect(VagrantProvider.argv('halt', ['a', 'b'])).toEqual(['vagrant', 'halt', 'a', 'b']);
  });

  it('finds the project Vagrantfile', () => {
    expect(findVagrantDir(here)).toBe(root);
  });

  it('turns recorded ssh-config into the blog\'s inventory with VM node-kind vars', async () => {
    const inv = parseInventoryText(await vagrantInventoryIni(SSH_CONFIG, 'lab1'), 'inventory.ini', 'ini');
    expect(inv.select('controller_nodes')).toEqual(['controller']);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.hostVars('compute1')).toMatchObject({ mgmt_ip: '192.168.1.21', ansible_host: '127.0.0.1', ansible_port: 8200, ansible_user: 'vagrant', lab_node_kind: 'vm' });
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
  up) sed -i 's/,state,[a-z_]*/,state,running/' "$FAKE_DIR/status" ;;
  halt) sed -i 's/,state,running/,state,poweroff/' "$FAKE_DIR/status" ;;
esac
`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-vagrant-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/vagrant'), FAKE);
    chmodSync(join(dir, 'bin/vagrant'), 0o755);
    writeFileSync(join(dir, 'status'), '1,controller,state,running\n1,compute1,state,poweroff\n1,compute2,state,not_created\n');
    writeFileSync(join(dir, 'ssh-config'), SSH_CONFIG);
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: dir, DROVER_HOME: join(dir, 'home') };
    provider = new VagrantProvider({ env, cwd: root, renderInventory: vagrantInventoryIni, log: () => {} });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('up starts only machines not running, then writes the inventory; down halts; status maps states', async () => {
    const r = await provider.up('lab1', BLOG_NODES);
    expect(r.started).toEqual(['compute1', 'compute2']);
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls).toEqual([
      'status --machine-readable controller compute1 compute2',
      'up --provider=virtualbox compute1 compute2',
      'ssh-config controller compute1 compute2',
    ]);
    expect(r.inventory).toBe(join(dir, 'home/vagrant/lab1/inventory.ini'));
    expect(readFileSync(r.inventory, 'utf8')).toContain('[compute_nodes]');
    expect((await provider.status()).map((s) => `${s.name}:${s.state}`)).toEqual(['controller:running', 'compute1:running', 'compute2:running']);
    await provider.down('lab1');
    expect((await provider.status('lab1')).every((s) => s.state === 'stopped')).toBe(true);
    expect(await provider.sshCommand('lab1', 'controller')).toEqual(['env', `VAGRANT_CWD=${root}`, 'vagrant', 'ssh', 'controller']);
  });
});
