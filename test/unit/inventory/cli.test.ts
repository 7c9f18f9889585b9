import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { droverInProcess } from '../../helpers/in-process-cli.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { inventoryGraph, inventoryListJson, inventoryListText } from '../../../src/inventory/report.js';

const BLOG = 'test/fixtures/inventories/blog-hosts.ini';

const drover = droverInProcess;

function secretsInventory(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-cli-'));
  const f = path.join(dir, 'hosts.ini');
  writeFileSync(f, ['[db]', 'db1 ansible_become_pass=hunter22 mysql_root_password="s3cr3t!" port=3306', '[db:vars]', 'api_token=abcdef', "conf={'admin_password': 'deep', 'user': 'x'}"].join('\n'));
  return f;
}

describe('drover inventory list', () => {
  it('--json is ansible-inventory --list shaped, for the blog hosts.ini', async () => {
    const r = await drover('inventory', 'list', '-i', BLOG, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.all).toEqual({ children: ['ungrouped', 'controller_nodes', 'compute_nodes'], vars: { ansible_python_interpreter: '/usr/bin/python3', host_key_checking: 'false', ansible_user: 'vagrant' } });
    expect(j.compute_nodes).toEqual({ hosts: ['compute1', 'compute2'] });
    expect(j.ungrouped).toEqual({});
    expect(j._meta.hostvars.controller).toMatchObject({ mgmt_ip: '192.168.1.11', ansible_port: 8222, ansible_user: 'vagrant' });
  });

  it('masks secret-looking vars, nested ones too', async () => {
    const inv = await loadInventory([secretsInventory()]);
    const j = inventoryListJson(inv);
    expect((j._meta as { hostvars: Record<string, unknown> }).hostvars.db1).toEqual({
      api_token: '********',
      conf: { admin_password: '********', user: 'x' },
      ansible_become_pass: '********',
      mysql_root_password: '********',
      port: 3306,
    });
    const text = inventoryListText(inv);
    expect(text).not.toMatch(/hunter22|s3cr3t|abcdef|deep/);
    expect(text).toContain('    mysql_root_password: ********');
  });

  it('text output and --limit', async () => {
    const r = await drover('inventory', 'list', '-i', BLOG, '--limit', 'compute*:!compute2');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'hosts (1):',
        '  compute1  [compute_nodes]',
        '    ansible_python_interpreter: /usr/bin/python3',
        '    host_key_checking: false',
        '    ansible_user: vagrant',
        '    mgmt_ip: 192.168.1.21',
        '    ansible_host: 127.0.0.1',
        '    ansible_port: 8200',
        '    ansible_ssh_private_key_file: .vagrant/machines/compute1/virtualbox/private_key',
        'groups:',
        '  all: compute1',
        '  compute_nodes: compute1',
        '',
      ].join('\n'),
    );
  });

  it('invalid input exits 4 with file:line:col', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-cli-'));
    const f = path.join(dir, 'bad.ini');
    writeFileSync(f, '[web]\nw1\n[web:child]\nx\n');
    const r = await drover('inventory', 'list', '-i', f);
    expect(r.code).toBe(4);
    expect(r.err).toBe(`error: ${f}:3:6: section [web:child] has unknown type "child" (expected :vars or :children)\n`);
    const r2 = await drover('inventory', 'list', '-i', BLOG, '--limit', 'compute3');
    expect(r2.code).toBe(4);
    expect(r2.err).toMatch(/no host or group matches "compute3" \(did you mean "compute1"\?\)/);
  });
});

describe('drover inventory graph', () => {
  it('prints the tree like ansible-inventory --graph', async () => {
    const r = await drover('inventory', 'graph', '-i', BLOG);
    expect(r.out).toBe(
      ['@all:', '  |--@compute_nodes:', '  |  |--compute1', '  |  |--compute2', '  |--@controller_nodes:', '  |  |--controller', '  |--@ungrouped:', ''].join('\n'),
    );
  });
  it('--vars and a start group; an unknown group is invalid input', async () => {
    const inv = await loadInventory([secretsInventory()]);
    expect(inventoryGraph(inv, 'db', true)).toBe(
      ['@db:', '  |--db1', '  |  |--{ansible_become_pass = ********}', '  |  |--{mysql_root_password = ********}', '  |  |--{port = 3306}', '  |--{api_token = ********}', '  |--{conf = {"admin_password":"********","user":"x"}}', ''].join('\n'),
    );
    const r = await drover('inventory', 'graph', 'compute', '-i', BLOG);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/no group named "compute" \(did you mean "compute_nodes"\?\)/);
  });
});

describe('drover inventory from-vagrant', () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('says what is missing when vagrant is not installed', async () => {
    process.env.PATH = mkdtempSync(path.join(tmpdir(), 'drover-empty-path-'));
    const r = await drover('inventory', 'from-vagrant');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/`vagrant` is not on PATH: install Vagrant/);
  });

  it('runs `vagrant ssh-config` in --dir and writes -o FILE', async () => {
    // A stand-in `vagrant` that replays recorded `vagrant ssh-config` output (no VirtualBox here).
    const bin = mkdtempSync(path.join(tmpdir(), 'drover-bin-'));
    const recorded = path.resolve('test/fixtures/vagrant/ssh-config-blog.txt');
    writeFileSync(path.join(bin, 'vagrant'), `#!/bin/sh\n[ "$1" = ssh-config ] || exit 9\n[ -f Vagrantfile ] || { echo "A Vagrant environment or target machine is required" >&2; exit 1; }\ncat '${recorded}'\n`, { mode: 0o755 });
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    const lab = mkdtempSync(path.join(tmpdir(), 'drover-lab-'));
    const r0 = await drover('inventory', 'from-vagrant', '--dir', lab);
    expect(r0.code).toBe(1);
    expect(r0.err).toMatch(/`vagrant ssh-config` in .* failed \(exit 1\): A Vagrant environment or target machine is required/);
    writeFileSync(path.join(lab, 'Vagrantfile'), '# blog machines\n');
    mkdirSync(path.join(lab, 'out'));
    const outFile = path.join(lab, 'out', 'vagrant.ini');
    const r = await drover('inventory', 'from-vagrant', '--dir', lab, '-o', outFile, '--mgmt-ip', 'compute2=192.168.1.99');
    expect(r.code).toBe(0);
    const inv = await loadInventory([outFile]);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.hostVars('compute2')).toMatchObject({ mgmt_ip: '192.168.1.99', ansible_port: 8201, host_key_checking: 'false' });
    expect(readFileSync(outFile, 'utf8')).toMatch(/^# Written by `drover inventory from-vagrant`/);
  });
});
