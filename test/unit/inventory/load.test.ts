import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, sniffFormat } from '../../../src/inventory/load.js';
import { expectInputErrorAsync } from './helpers.js';

/** Write a tree of files under a fresh temp dir; returns its path. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'drover-inv-'));
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
}

const HOSTS = [
  '[controller_nodes]',
  'controller x=inline_host',
  '[compute_nodes]',
  'compute1',
  'compute2',
  '[compute_nodes:vars]',
  'g=inline_group',
  'a=inline_group',
  '[all:vars]',
  'a=inline_all',
  'b=inline_all',
  'g=inline_all',
].join('\n');

describe('group_vars/ and host_vars/', () => {
  const root = tree({
    'inv/hosts.ini': HOSTS,
    'inv/group_vars/all.yml': 'b: inv_gv_all\ng: inv_gv_all\nc: inv_gv_all\n',
    'inv/group_vars/compute_nodes/10-first.yml': 'd: first\ne: first\n',
    'inv/group_vars/compute_nodes/20-second.yaml': 'e: second\n',
    'inv/group_vars/compute_nodes/README.md': 'not: [valid yaml\n',
    'inv/group_vars/controller_nodes.json': '{"ctl": true, "port": 5000}',
    'inv/group_vars/no_such_group.yml': 'ignored: true\n',
    'inv/host_vars/compute1': 'h: inv_hv\nx: inv_hv\n',
    'inv/host_vars/localhost.yml': 'lh: 1\n',
    'play/group_vars/all.yaml': 'c: pb_gv_all\n',
    'play/group_vars/compute_nodes.yml': 'e: pb_gv\n',
    'play/host_vars/compute1.yml': 'x: pb_hv\n',
  });

  it('reads them beside the inventory and the playbook, with Ansible precedence', async () => {
    const inv = await loadInventory([path.join(root, 'inv/hosts.ini')], { playbookDir: path.join(root, 'play') });
    expect(inv.hostVars('compute1')).toEqual({
      a: 'inline_group', // a group's inline vars beat [all:vars]
      b: 'inv_gv_all', // group_vars/all beats [all:vars]
      g: 'inline_group', // ... but not another group's inline vars
      c: 'pb_gv_all', // playbook dir beats inventory dir
      d: 'first',
      e: 'pb_gv', // directory files in name order, then the playbook's file
      h: 'inv_hv',
      x: 'pb_hv',
    });
    expect(inv.hostVars('controller')).toEqual({ a: 'inline_all', b: 'inv_gv_all', g: 'inv_gv_all', c: 'pb_gv_all', ctl: true, port: 5000, x: 'inline_host' });
    expect(inv.groups.get('compute_nodes')!.vars).toEqual({ g: 'inline_group', a: 'inline_group', d: 'first', e: 'pb_gv' });
    expect(inv.hosts.get('compute1')!.vars).toEqual({ h: 'inv_hv', x: 'pb_hv' });
    expect(inv.groups.has('no_such_group')).toBe(false);
    // host_vars/localhost.yml applies to the implicit localhost.
    expect(inv.hostVars('localhost')).toEqual({ a: 'inline_all', b: 'inv_gv_all', g: 'inv_gv_all', c: 'pb_gv_all', ansible_connection: 'local', lh: 1 });
  });

  it('without a playbook dir only the inventory dir counts', async () => {
    const inv = await loadInventory([path.join(root, 'inv/hosts.ini')]);
    expect(inv.hostVars('compute1')).toMatchObject({ c: 'inv_gv_all', e: 'second', x: 'inv_hv' });
  });

  it('a vars file that is not a mapping is an error at its position', async () => {
    const bad = tree({ 'hosts.ini': '[web]\nw1', 'group_vars/web.yml': '# vars\n- just\n- a list\n' });
    await expectInputErrorAsync(() => loadInventory([path.join(bad, 'hosts.ini')]), `${bad}/group_vars/web.yml:2:1`, /vars file must hold a mapping/);
  });

  it('a YAML syntax error in host_vars is an error at its position', async () => {
    const bad = tree({ 'hosts.ini': 'w1', 'host_vars/w1.yaml': 'a: 1\nb: [2\n' });
    await expectInputErrorAsync(() => loadInventory([path.join(bad, 'hosts.ini')]), `${bad}/host_vars/w1.yaml:3:1`, /YAML syntax error/);
  });
});

describe('inventory sources', () => {
  it('a directory: every inventory file in name order, plus its group_vars', async () => {
    const root = tree({
      '01-groups.ini': '[web]\nw1\n[db]\nd1',
      '02-more.yaml': 'all:\n  children:\n    web:\n      hosts:\n        w2:\n',
      '03-children': '[site:children]\nweb\ndb\n',
      'README.md': '# not an inventory\n',
      'notes.txt': 'x',
      '.hidden': 'garbage [',
      'group_vars/site.yml': 'site: yes\n',
    });
    const inv = await loadInventory([root]);
    expect(inv.groupMap().site).toEqual(['w1', 'd1', 'w2']);
    expect(inv.hostVars('w2')).toEqual({ site: true });
  });

  it('a children section may name a group from an earlier file, not from a later one (as Ansible)', async () => {
    const root = tree({ 'a.ini': '[site:children]\nweb\n', 'b.ini': '[web]\nw1\n' });
    await expectInputErrorAsync(() => loadInventory([root]), `${root}/a.ini:2:1`, /includes undefined group "web"/);
    const ok = tree({ 'a.ini': '[web]\nw1\n', 'b.ini': '[site:children]\nweb\n' });
    expect((await loadInventory([ok])).groupMap().site).toEqual(['w1']);
  });

  it('several sources merge, later values win', async () => {
    const root = tree({ 'a.ini': '[web]\nw1 x=1 y=1\n', 'b.yml': 'web:\n  hosts:\n    w1: {y: 2}\n    w2:\n' });
    const inv = await loadInventory([path.join(root, 'a.ini'), path.join(root, 'b.yml')]);
    expect(inv.groupMap().web).toEqual(['w1', 'w2']);
    expect(inv.hostVars('w1')).toEqual({ x: 1, y: 2 });
    expect(inv.sources).toEqual([path.join(root, 'a.ini'), path.join(root, 'b.yml')]);
  });

  it('a comma host list', async () => {
    const inv = await loadInventory(['web1, web2:2222,']);
    expect(inv.groupMap().ungrouped).toEqual(['web1', 'web2']);
    expect(inv.hostVars('web2')).toEqual({ ansible_port: 2222 });
    await expectInputErrorAsync(() => loadInventory(['a,b:x,']), '<host list>:1:5', /bad port "x"/);
    await expectInputErrorAsync(() => loadInventory(['a,w[1:2],']), '<host list>:1:3', /host ranges are not allowed/);
  });

  it('a missing source or an executable script is refused', async () => {
    await expect(loadInventory(['/nonexistent/hosts.ini'])).rejects.toThrow(/inventory source not found: \/nonexistent\/hosts.ini/);
    const root = tree({ 'inv.py': '#!/usr/bin/env python3\nprint("{}")\n' });
    chmodSync(path.join(root, 'inv.py'), 0o755);
    await expectInputErrorAsync(() => loadInventory([path.join(root, 'inv.py')]), `${root}/inv.py:1:1`, /dynamic inventory scripts are not supported/);
  });

  it('sniffs INI or YAML when the extension does not say', () => {
    expect(sniffFormat('hosts', '# c\nall:\n  hosts:\n')).toBe('yaml');
    expect(sniffFormat('hosts', '---\nall: {}\n')).toBe('yaml');
    expect(sniffFormat('hosts', '[web]\nw1\n')).toBe('ini');
    expect(sniffFormat('hosts', 'w1:2222 a=b\n')).toBe('ini');
    expect(sniffFormat('hosts', 'w1\nw2\n')).toBe('ini');
    expect(sniffFormat('hosts.yml', '[web]')).toBe('yaml');
  });
});
