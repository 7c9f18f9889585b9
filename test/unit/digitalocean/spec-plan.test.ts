import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { checkBaseUrl, rateLimitWaitMs } from '../../../src/providers/digitalocean/api.js';
import { groupName, renderDropletInventory } from '../../../src/providers/digitalocean/inventory-text.js';
import { costOf, createRequests, formatCost, hasTag, planDown, planUp, regionMatches } from '../../../src/providers/digitalocean/plan.js';
import { checkResponse, scopesOf } from '../../helpers/digitalocean-contract/validate.js';
import { parseDropletSpec } from '../../../src/providers/digitalocean/spec.js';
import { md5Fingerprint } from '../../../src/providers/digitalocean/ssh-keys.js';
import { resolveToken } from '../../../src/providers/digitalocean/token.js';
import type { DoDroplet } from '../../../src/providers/digitalocean/types.js';
import { InputError, InputErrors } from '../../../src/util/errors.js';

const SPEC = `name: lab
region: fra1
size: s-2vcpu-4gb
image: debian-12-x64
tags: [openstack]
ssh_keys: [laptop]
vars: {lab: lab1}
droplets:
  - name: controller
    size: s-4vcpu-8gb
    tags: [controller_nodes]
    vars: {role: ctl}
  - name: compute{n}
    count: 2
    tags: [compute_nodes]
`;

function errorOf(text: string): string {
  try {
    parseDropletSpec(text, '/work/x/droplets.yaml');
  } catch (e) {
    if (e instanceof InputError || e instanceof InputErrors) return e.message;
    throw e;
  }
  throw new Error('no error');
}

/** A droplet as GET /v2/droplets returns it: every field the contract's droplet schema requires (checked below). */
function droplet(id: number, name: string, tags: string[], o: Partial<DoDroplet> = {}): DoDroplet {
  const sizeSlug = o.size_slug ?? 's-2vcpu-4gb';
  const full = {
    id,
    name,
    memory: 4096,
    vcpus: 2,
    disk: 80,
    locked: false,
    status: 'active',
    created_at: '2026-12-01T10:00:00Z',
    features: [],
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: { id: 106569146, slug: 'debian-12-x64', distribution: 'Debian', name: '12 x64' },
    volume_ids: [],
    size: { slug: sizeSlug, memory: 4096, vcpus: 2, disk: 80, transfer: 4, price_monthly: 24, price_hourly: 0.03571, regions: ['fra1'], available: true, description: 'Basic' },
    size_slug: sizeSlug,
    region: { slug: 'fra1', name: 'Frankfurt 1', features: ['metadata'], available: true, sizes: [sizeSlug] },
    networks: {
      v4: [
        // network_v4.yml: no gateway on a private interface.
        { ip_address: `10.110.0.${id % 200}`, netmask: '255.255.240.0', type: 'private' },
        { ip_address: `203.0.113.${id % 200}`, netmask: '255.255.255.0', gateway: '203.0.113.254', type: 'public' },
      ],
      v6: [],
    },
    tags,
    ...o,
  };
  fixtures.push(full);
  return full as DoDroplet;
}
const fixtures: unknown[] = [];

afterAll(() => {
  // Every droplet these tests hand to drover is one DigitalOcean could send.
  const rl = { 'ratelimit-limit': '5000', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' };
  expect(checkResponse({ method: 'GET', path: '/v2/droplets', query: {} }, { status: 200, headers: rl, body: { droplets: fixtures, meta: { total: fixtures.length } } })).toEqual([]);
});

describe('droplet spec', () => {
  it('expands patterns and applies defaults; tags add up, the ownership tag last', () => {
    const s = parseDropletSpec(SPEC, '/work/x/droplets.yaml');
    expect(s.ownershipTag).toBe('drover:lab');
    expect(s.inventoryFile).toBe('/work/x/droplets.ini');
    expect(s.sshUser).toBe('root');
    expect(s.droplets.map((d) => [d.name, d.size, d.tags])).toEqual([
      ['controller', 's-4vcpu-8gb', ['openstack', 'controller_nodes', 'drover:lab']],
      ['compute1', 's-2vcpu-4gb', ['openstack', 'compute_nodes', 'drover:lab']],
      ['compute2', 's-2vcpu-4gb', ['openstack', 'compute_nodes', 'drover:lab']],
    ]);
    expect(s.droplets[0]!.vars).toEqual({ lab: 'lab1', role: 'ctl' });
    expect(s.droplets[1]!.sshKeys).toEqual(['laptop']);
    expect(s.droplets[1]!.pos).toMatchObject({ line: 13, col: 11 });
  });

  it('rejects bad input with file:line:col', () => {
    expect(errorOf(SPEC.replace('    count: 2', '    count: 2\n    regoin: ams3'))).toMatch(/droplets\.yaml:15:5: droplet spec: droplets\.1: unknown key "regoin" \(known keys: name, count, start, region/);
    expect(errorOf(SPEC.replace('    count: 2', '    count: two'))).toMatch(/droplets\.yaml:14:12: droplet spec: droplets\.1\.count: Invalid input: expected number/);
    expect(errorOf(SPEC.replace('name: lab', 'name: "my lab"'))).toMatch(/droplets\.yaml:1:8: droplet spec: name: a spec name/);
    expect(errorOf(SPEC.replace('tags: [openstack]', 'tags: ["open stack"]'))).toMatch(/droplets\.yaml:5:9: droplet spec: tags\.0: a tag/);
    expect(errorOf(SPEC.replace('compute{n}', 'compute'))).toMatch(/droplets\.yaml:13:11: droplet spec: "compute" has count 2 but no \{n\} in its name \(write a pattern/);
    expect(errorOf(SPEC.replace('size: s-2vcpu-4gb\n', ''))).toMatch(/droplets\.yaml:12:5: droplet spec: droplet "compute\{n\}" has no size/);
    expect(errorOf(SPEC.replace('  - name: compute{n}\n    count: 2', '  - name: controller'))).toMatch(/droplet "controller" is named twice \(first at line 9\)/);
    expect(errorOf(SPEC.replace('compute{n}', 'compute_{n}'))).toMatch(/"compute_1" is not a valid droplet name/);
    expect(errorOf('name: lab\nregion: [x\n')).toMatch(/droplets\.yaml:\d+:\d+: YAML syntax error/);
    expect(errorOf('name: lab\ndroplets: []\n')).toMatch(/droplets\.yaml:2:11: droplet spec: droplets: Too small/);
  });
});

describe('planning (from recorded droplet lists)', () => {
  const spec = parseDropletSpec(SPEC, '/work/x/droplets.yaml');

  it('creates only what is missing; a same-named droplet without the tag is not ours', () => {
    const listed = [droplet(11, 'controller', ['drover:lab', 'controller_nodes']), droplet(12, 'compute1', ['compute_nodes'])];
    const p = planUp(spec, listed);
    expect(p.create.map((d) => d.name)).toEqual(['compute1', 'compute2']);
    expect(p.keep.map((k) => k.droplet.id)).toEqual([11]);
    expect(p.drift).toEqual(['controller: size is s-2vcpu-4gb, the spec says s-4vcpu-8gb (drover does not resize)']);
  });

  it('reports strays and duplicates instead of touching them', () => {
    const listed = [droplet(21, 'compute1', ['drover:lab']), droplet(20, 'compute1', ['drover:lab']), droplet(22, 'old', ['drover:lab'])];
    const p = planUp(spec, listed);
    expect(p.keep.map((k) => k.droplet.id)).toEqual([20]);
    expect(p.strays.map((d) => d.name)).toEqual(['old']);
    expect(p.drift).toContain('compute1: another droplet with this name and tag exists (id 21); using id 20');
  });

  it('down selects exactly the tagged droplets', () => {
    const listed = [droplet(1, 'a', ['drover:lab']), droplet(2, 'b', ['drover:lab2']), droplet(3, 'c', ['lab']), droplet(4, 'd', [])];
    expect(planDown(spec, listed).map((d) => d.id)).toEqual([1]);
  });

  it('batches identical droplets through `names`, at most ten per request', () => {
    const big = parseDropletSpec('name: big\nregion: fra1\nsize: s-1vcpu-1gb\nimage: debian-12-x64\ndroplets:\n  - name: n{n}\n    count: 23\n  - name: solo\n    ipv6: true\n', '/x/big.yaml');
    const reqs = createRequests(big.droplets, () => [7]);
    expect(reqs.map((r) => r.request.names?.length ?? r.request.name)).toEqual([10, 10, 3, 'solo']);
    expect(reqs[0]!.request).toMatchObject({ region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64', ssh_keys: [7], tags: ['drover:big'], monitoring: false, ipv6: false });
    expect(reqs[3]!.request).toMatchObject({ name: 'solo', ipv6: true });
  });

  it('costs from /v2/sizes prices, unknown sizes named', () => {
    const sizes = [
      { slug: 's-1vcpu-1gb', price_hourly: 0.00893, price_monthly: 6 },
      { slug: 's-8vcpu-16gb', price_hourly: 0.14286, price_monthly: 96 },
    ];
    const c = costOf(sizes, ['s-1vcpu-1gb', 's-1vcpu-1gb', 's-8vcpu-16gb', 'gpu-h100x1']);
    expect(formatCost(c)).toBe('$0.16072/hour, $108.00/month (no price for size gpu-h100x1)');
  });
});

describe('inventory text', () => {
  it('reads back through the INI parser: groups from tags, ansible_host = public IPv4, key path, spec vars', () => {
    const spec = parseDropletSpec(SPEC.replace('droplets:', 'ssh_user: debian\nssh_private_key_file: ~/.ssh/do lab\ndroplets:'), '/work/x/droplets.yaml');
    const listed = [
      droplet(11, 'controller', ['openstack', 'controller_nodes', 'drover:lab', 'env:prod']),
      droplet(12, 'compute1', ['openstack', 'compute_nodes', 'drover:lab']),
      droplet(13, 'compute2', ['openstack', 'compute_nodes', 'drover:lab'], { status: 'new', networks: { v4: [] } }),
      droplet(14, 'foreign', ['openstack']),
    ];
    const text = renderDropletInventory(spec, listed, 'test');
    const inv = parseInventoryText(text, 'droplets.ini');
    expect([...inv.hosts.keys()].sort()).toEqual(['compute1', 'controller']);
    expect(text).toContain('# compute2 (id 13, new): no public IPv4 yet');
    expect(inv.groupMap()).toMatchObject({ compute_nodes: ['compute1'], controller_nodes: ['controller'], env_prod: ['controller'], openstack: ['compute1', 'controller'], droplets: ['compute1', 'controller'] });
    expect(inv.hostVars('controller')).toMatchObject({
      ansible_host: '203.0.113.11',
      mgmt_ip: '10.110.0.11',
      private_ip: '10.110.0.11',
      do_id: 11,
      do_region: 'fra1',
      ansible_user: 'debian',
      ansible_ssh_private_key_file: '~/.ssh/do lab',
      lab: 'lab1',
      role: 'ctl',
    });
  });

  it('tags become valid group names', () => {
    expect(groupName('env:prod')).toBe('env_prod');
    expect(groupName('k8s-node')).toBe('k8s_node');
    expect(groupName('2024')).toBe('_2024');
  });
});

describe('API details', () => {
  it('429 wait: Retry-After (seconds or date) first, then ratelimit-reset (epoch seconds), else a minute', () => {
    const now = 1_700_000_000_500;
    expect(rateLimitWaitMs(new Headers({ 'retry-after': '3', 'ratelimit-reset': '1700003600' }), now)).toBe(3000);
    expect(rateLimitWaitMs(new Headers({ 'retry-after': new Date(now + 5000).toUTCString() }), now)).toBe(4500);
    // Local clock (no Date header): plus the half-second allowance; a reset that looks past still waits a second.
    expect(rateLimitWaitMs(new Headers({ 'ratelimit-reset': '1700000002' }), now)).toBe(2000);
    expect(rateLimitWaitMs(new Headers({ 'ratelimit-reset': '1699999990' }), now)).toBe(1000);
    expect(rateLimitWaitMs(new Headers(), now)).toBe(60_000);
  });

  it('ratelimit-reset is read against the server\'s Date header: a local clock minutes off either way waits the right time', () => {
    const server = Date.UTC(2026, 11, 5, 17, 0, 0);
    const h = new Headers({ date: new Date(server).toUTCString(), 'ratelimit-reset': String(server / 1000 + 5) });
    // This machine two minutes ahead: before, 0 (retry at once, into the same limit).
    expect(rateLimitWaitMs(h, server + 120_000)).toBe(5500);
    // An hour behind: before, 3605 s (longer than drover waits: an error).
    expect(rateLimitWaitMs(h, server - 3_600_000)).toBe(5500);
    expect(rateLimitWaitMs(h, server)).toBe(5500);
  });

  it('the token hint names every scope the contract says drover\'s calls need', () => {
    const used = ['droplets_list', 'droplets_create', 'droplets_get', 'droplets_destroy', 'dropletActions_list', 'actions_get', 'sshKeys_list', 'sshKeys_create', 'sizes_list', 'account_get', 'vpcs_list', 'vpcs_create', 'vpcs_delete'];
    let message = '';
    try {
      resolveToken({}, {});
    } catch (e) {
      message = (e as Error).message;
    }
    const hinted = [...message.matchAll(/`([a-z_]+:[a-z*]+)`/g)].map((m) => m[1]!);
    const covered = (s: string) => hinted.some((h) => h === s || (h.endsWith(':*') && s.startsWith(h.slice(0, -1))));
    expect(scopesOf(used).filter((s) => !covered(s))).toEqual([]);
    expect(hinted).toEqual(['droplet:*', 'tag:read', 'tag:create', 'image:read', 'ssh_key:*', 'sizes:read', 'regions:read', 'actions:read', 'account:read', 'vpc:read', 'vpc:create', 'vpc:delete']);
  });

  it('tags and regions as DigitalOcean matches them: tags case-insensitively, a region prefix against its datacenters', () => {
    expect(hasTag({ tags: ['drover:lab'] }, 'drover:Lab')).toBe(true);
    expect(hasTag({ tags: ['drover:lab2'] }, 'drover:lab')).toBe(false);
    expect(regionMatches('fra1', 'fra')).toBe(true);
    expect(regionMatches('fra1', 'fra1')).toBe(true);
    expect(regionMatches('nyc3', 'fra')).toBe(false);
    expect(regionMatches('nyc3', 'nyc1')).toBe(false);
    const s = parseDropletSpec(SPEC.replace('name: lab', 'name: Lab').replace('region: fra1', 'region: fra'), '/work/x/droplets.yaml');
    const plan = planUp(s, [droplet(1, 'controller', ['drover:lab'], { size_slug: 's-4vcpu-8gb' }), droplet(2, 'compute1', ['drover:lab']), droplet(3, 'compute2', ['DROVER:LAB'])]);
    expect(plan.create).toEqual([]);
    expect(plan.drift).toEqual([]);
    expect(planDown(s, [droplet(1, 'x', ['Drover:Lab'])])).toHaveLength(1);
  });

  it('the token only goes over https (plain http to loopback for the fake)', () => {
    expect(checkBaseUrl('https://api.digitalocean.com')).toBe('https://api.digitalocean.com/');
    expect(checkBaseUrl('http://127.0.0.1:4010/ignored')).toBe('http://127.0.0.1:4010/');
    expect(() => checkBaseUrl('http://api.example.com')).toThrow(/must be https/);
    expect(() => checkBaseUrl('api.digitalocean.com')).toThrow(/not a URL/);
  });

  it('token: --token-file wins, then DIGITALOCEAN_TOKEN, then DIGITALOCEAN_TOKEN_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-tok-'));
    const f = path.join(dir, 't');
    execFileSync('sh', ['-c', `umask 077; printf 'from-file\\n' > ${f}`]);
    expect(resolveToken({ tokenFile: f }, { DIGITALOCEAN_TOKEN: 'from-env' })).toBe('from-file');
    expect(resolveToken({}, { DIGITALOCEAN_TOKEN: 'from-env', DIGITALOCEAN_TOKEN_FILE: f })).toBe('from-env');
    expect(resolveToken({}, { DIGITALOCEAN_TOKEN_FILE: f })).toBe('from-file');
    expect(() => resolveToken({}, {})).toThrow(/no DigitalOcean API token/);
    expect(() => resolveToken({ tokenFile: path.join(dir, 'missing') }, {})).toThrow(/cannot read the DigitalOcean token file .*ENOENT/);
  });

  it('MD5 fingerprints match ssh-keygen -E md5 (what DigitalOcean shows)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-fp-'));
    for (const type of ['ed25519', 'rsa']) {
      const key = path.join(dir, `id_${type}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'fp test', '-f', key]);
      const expected = /MD5:([0-9a-f:]+)/.exec(execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', `${key}.pub`], { encoding: 'utf8' }))![1];
      expect(md5Fingerprint(readFileSync(`${key}.pub`, 'utf8'))).toBe(expected);
    }
  });
});

describe('labs/droplets.yaml', () => {
  it('the sample spec is valid, and so is its commented three-node variant', () => {
    const text = readFileSync('labs/droplets.yaml', 'utf8');
    const one = parseDropletSpec(text, 'labs/droplets.yaml');
    expect(one.droplets.map((d) => d.name)).toEqual(['lab-host']);
    expect(one.inventoryFile).toBe(path.resolve('labs/droplets.ini'));
    const [head, tail] = text.split(/\ndroplets:\n {2}- name: lab-host\n {4}tags: \[lab_hosts\]\n/);
    const three = head + '\n' + tail!.split('\n').map((l) => (l.startsWith('# droplets:') || l.startsWith('#   ') ? l.slice(2) : l)).join('\n');
    const s = parseDropletSpec(three, 'labs/droplets.yaml');
    expect(s.droplets.map((d) => [d.name, d.tags.filter((t) => t.endsWith('_nodes'))])).toEqual([
      ['controller', ['controller_nodes']],
      ['compute1', ['compute_nodes']],
      ['compute2', ['compute_nodes']],
    ]);
  });
});
