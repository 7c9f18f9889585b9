import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, parseInventoryText } from '../../../src/inventory/load.js';
import { limitHosts, splitPattern } from '../../../src/inventory/patterns.js';
import { expectInputError } from './helpers.js';

const inv = await loadInventory(['test/fixtures/inventories/blog-hosts.ini']);
const POS = { file: 'site.yaml', line: 3, col: 10 };

describe('host patterns', () => {
  it('all, *, groups and hosts', () => {
    expect(inv.select('all')).toEqual(['controller', 'compute1', 'compute2']);
    expect(inv.select('*')).toEqual(['controller', 'compute1', 'compute2']);
    expect(inv.select('compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.select('compute2')).toEqual(['compute2']);
    expect(inv.select('ungrouped')).toEqual([]);
  });

  it('unions (a:b, a,b) come back in inventory order without duplicates', () => {
    expect(inv.select('compute_nodes:controller_nodes')).toEqual(['controller', 'compute1', 'compute2']);
    expect(inv.select('compute2,controller, compute2')).toEqual(['controller', 'compute2']);
  });

  it('exclusion a:!b and intersection a:&b, in any order', () => {
    expect(inv.select('all:!compute_nodes')).toEqual(['controller']);
    expect(inv.select('all:!compute1')).toEqual(['controller', 'compute2']);
    expect(inv.select('!compute1:all')).toEqual(['controller', 'compute2']);
    expect(inv.select('all:&compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.select('all:&compute_nodes:!compute2')).toEqual(['compute1']);
    expect(inv.select('&compute_nodes')).toEqual(['compute1', 'compute2']);
    expect(inv.select('controller_nodes:&compute_nodes')).toEqual([]);
  });

  it('globs and regular expressions over group and host names', () => {
    expect(inv.select('comp*')).toEqual(['compute1', 'compute2']);
    expect(inv.select('compute?')).toEqual(['compute1', 'compute2']);
    expect(inv.select('*_nodes:!*2')).toEqual(['controller', 'compute1']);
    expect(inv.select('~contr')).toEqual(['controller']);
    expect(inv.select('~compute[12]$')).toEqual(['compute1', 'compute2']);
  });

  it('subscripts on a group (end inclusive, like Ansible)', () => {
    expect(inv.select('all[0]')).toEqual(['controller']);
    expect(inv.select('all[-1]')).toEqual(['compute2']);
    expect(inv.select('all[1:2]')).toEqual(['compute1', 'compute2']);
    expect(inv.select('all[1:]')).toEqual(['compute1', 'compute2']);
  });

  it('a group wins over a host of the same name', () => {
    const i = parseInventoryText('[web]\nweb\nother\n[db]\nweb', 'x.ini');
    expect(i.select('web')).toEqual(['web', 'other']);
  });

  it('splits on colons but not inside brackets or IPv6 addresses', () => {
    expect(splitPattern('a:b[1:2]:!c')).toEqual(['a', 'b[1:2]', '!c']);
    expect(splitPattern('fe80::1')).toEqual(['fe80::1']);
    expect(splitPattern('a, b:&c')).toEqual(['a', 'b', '&c']);
  });

  it('the implicit localhost: selected by name, not by all', () => {
    const i = parseInventoryText('[web]\nw1', 'x.ini');
    expect(i.select('localhost')).toEqual(['localhost']);
    expect(i.hosts.get('localhost')!.implicit).toBe(true);
    expect(i.hostVars('localhost')).toEqual({ ansible_connection: 'local' });
    expect(i.select('all')).toEqual(['w1']);
    expect(i.groupMap().all).toEqual(['w1']);
  });

  it('a defined localhost is an ordinary host', () => {
    const i = parseInventoryText('localhost ansible_connection=local x=1', 'x.ini');
    expect(i.select('all')).toEqual(['localhost']);
    expect(i.hostVars('localhost')).toEqual({ ansible_connection: 'local', x: 1 });
  });
});

describe('pattern errors', () => {
  it('an unknown name, with a did-you-mean and the position given', () => {
    const e = expectInputError(() => inv.select('compute_node', POS), 'site.yaml:3:10', /no host or group matches "compute_node"/);
    expect(e.hint).toBe('did you mean "compute_nodes"?');
  });
  it('an unknown name inside a bigger pattern names both', () => {
    expectInputError(() => inv.select('all:!compute3x', POS), 'site.yaml:3:10', /no host or group matches "compute3x" in host pattern "all:!compute3x"/);
  });
  it('a glob or regex that matches nothing', () => {
    expectInputError(() => inv.select('db*', POS), 'site.yaml:3:10', /no host or group matches "db\*"/);
    expectInputError(() => inv.select('~(', POS), 'site.yaml:3:10', /bad regular expression/);
  });
  it('empty patterns', () => {
    expectInputError(() => inv.select('', POS), 'site.yaml:3:10', /empty host pattern/);
    expectInputError(() => inv.select('all:!', POS), 'site.yaml:3:10', /empty term/);
  });
  it('an unclosed or stray bracket is a bad subscript, not terms nobody wrote', () => {
    expectInputError(() => inv.select('web[0:', POS), 'site.yaml:3:10', /bad subscript in host pattern "web\[0:": unbalanced/);
    expectInputError(() => inv.select('web]', POS), 'site.yaml:3:10', /bad subscript/);
    expectInputError(() => inv.select('web[0]]', POS), 'site.yaml:3:10', /bad subscript/);
  });
  it('unknown host for hostVars', () => {
    expect(() => inv.hostVars('compute3')).toThrow(/unknown host "compute3".*did you mean "compute1"/);
  });
});

describe('--limit', () => {
  const play = inv.select('all');
  it('intersects the play hosts with the limit pattern', () => {
    expect(limitHosts(inv, play, 'compute*')).toEqual(['compute1', 'compute2']);
    expect(limitHosts(inv, inv.select('compute_nodes'), 'controller')).toEqual([]);
    expect(limitHosts(inv, play, 'all:!compute2')).toEqual(['controller', 'compute1']);
    expect(limitHosts(inv, play, undefined)).toEqual(play);
  });
  it('reads @file limits (one host per line)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-limit-'));
    const f = path.join(dir, 'site.retry');
    writeFileSync(f, 'compute2\n# comment\ncontroller\n');
    expect(limitHosts(inv, play, `@${f}`)).toEqual(['controller', 'compute2']);
    expect(() => limitHosts(inv, play, `@${f}.missing`)).toThrow(/cannot read --limit file .*ENOENT/);
  });
  it('an unknown name in the limit is an error', () => {
    expectInputError(() => limitHosts(inv, play, 'controler', { file: '<--limit>', line: 1, col: 1 }), '<--limit>:1:1', /no host or group matches "controler"/);
  });
});
