import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../helpers/fake-digitalocean.js';

/**
 * `drover droplet up|list|down` and `-i droplets:SPEC`, run in-process through
 * the real CLI against a fake DigitalOcean API on loopback. Every run's
 * stdout, stderr and event log is checked for the token.
 */

const TOKEN = `dop_v1_${randomBytes(32).toString('hex')}`;
let fake: FakeDigitalOcean;
let dir: string;
const captured: string[] = [];

function publicKeyLine(comment: string): string {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(32), randomBytes(32)]).toString('base64')} ${comment}`;
}

const LAB_SPEC = `# three nodes as in the blog
name: lab
region: fra1
size: s-2vcpu-4gb
image: debian-12-x64
ssh_keys:
  - public_key_file: id_test.pub
ssh_private_key_file: ~/.ssh/id_test
droplets:
  - name: controller
    size: s-4vcpu-8gb
    tags: [controller_nodes]
  - name: compute{n}
    count: 2
    tags: [compute_nodes]
`;

function writeSpec(text = LAB_SPEC, file = 'droplets.yaml'): string {
  const f = path.join(dir, file);
  writeFileSync(f, text);
  return f;
}

/** Run the real CLI in-process, capturing stdout/stderr. */
async function drover(...args: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const saved = process.exitCode;
  process.exitCode = undefined;
  const t0 = Date.now();
  try {
    const code = await main(['node', 'drover', ...args]);
    return { code, out, err, ms: Date.now() - t0 };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = saved;
    captured.push(out, err);
    expect(out + err).not.toContain(TOKEN);
  }
}

const FAST = ['--poll-interval', '20'];

beforeEach(async () => {
  fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 3 });
  dir = mkdtempSync(path.join(tmpdir(), 'drover-do-'));
  writeFileSync(path.join(dir, 'id_test.pub'), publicKeyLine('tester@laptop') + '\n');
  vi.stubEnv('DIGITALOCEAN_TOKEN', TOKEN);
  vi.stubEnv('DIGITALOCEAN_API_URL', fake.url);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fake.stop();
  // The token went to the API in every request, and nowhere else.
  for (const r of fake.requests) if (r.status !== 401) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  for (const text of captured.splice(0)) expect(text).not.toContain(TOKEN);
});

const dropletPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets');

describe('drover droplet up', () => {
  it('creates from nothing, waits for active + public IPv4, writes the inventory; a re-run changes nothing', async () => {
    const spec = writeSpec();
    const events = path.join(dir, 'events.jsonl');
    const r = await drover('droplet', 'up', spec, ...FAST, '--events', events);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/uploaded ssh key "tester@laptop"/);
    expect(r.out).toMatch(/created controller \(id \d+\)/);
    expect(r.out).toMatch(/compute2 is active at 203\.0\.113\.\d+/);

    // One key upload; controller alone (own size), compute1+2 together through `names`.
    expect(fake.keys.size).toBe(1);
    const posts = dropletPosts();
    expect(posts).toHaveLength(2);
    expect(posts.map((p) => p.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'controller', size: 's-4vcpu-8gb', tags: ['controller_nodes', 'drover:lab'], ssh_keys: [[...fake.keys.values()][0]!.id] }),
        expect.objectContaining({ names: ['compute1', 'compute2'], size: 's-2vcpu-4gb', tags: ['compute_nodes', 'drover:lab'] }),
      ]),
    );
    // Create actions were followed to completion.
    expect(fake.requests.some((q) => /^\/v2\/actions\/\d+$/.test(q.path))).toBe(true);
    expect([...fake.actions.values()].every((a) => a.status === 'completed')).toBe(true);
    expect([...fake.droplets.values()].every((d) => d.status === 'active')).toBe(true);

    const invFile = path.join(dir, 'droplets.ini');
    const inv = parseInventoryText(readFileSync(invFile, 'utf8'), invFile);
    expect([...inv.hosts.keys()].sort()).toEqual(['compute1', 'compute2', 'controller']);
    expect([...inv.groups.get('compute_nodes')!.hosts].sort()).toEqual(['compute1', 'compute2']);
    expect([...inv.groups.get('controller_nodes')!.hosts]).toEqual(['controller']);
    const ctl = [...fake.droplets.values()].find((d) => d.name === 'controller')!;
    expect(inv.hostVars('controller')).toMatchObject({ ansible_host: ctl.publicIp, mgmt_ip: ctl.privateIp, ansible_user: 'root', ansible_ssh_private_key_file: '~/.ssh/id_test', do_size: 's-4vcpu-8gb' });
    const evText = readFileSync(events, 'utf8');
    captured.push(evText, readFileSync(invFile, 'utf8'));
    expect(evText.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(expect.arrayContaining(['ssh_key_upload', 'droplet_create', 'droplet_active', 'inventory']));

    // Re-run: GETs only, inventory untouched.
    const mtime = statSync(invFile).mtimeMs;
    const before = fake.requests.length;
    const again = await drover('droplet', 'up', spec, ...FAST);
    expect(again.code).toBe(0);
    expect(fake.requests.slice(before).filter((q) => q.method !== 'GET')).toEqual([]);
    expect(again.out).toMatch(/inventory unchanged/);
    expect(again.out).toMatch(/all 3 droplet\(s\) exist; nothing created/);
    expect(statSync(invFile).mtimeMs).toBe(mtime);
  });

  it('a 422 on one droplet: the others are created, the error shows DigitalOcean\'s message and request_id, exit non-zero; a re-run creates the rest', async () => {
    const spec = writeSpec();
    fake.rejectCreate('compute2', 'You specified an invalid image for Droplet creation.');
    const r = await drover('droplet', 'up', spec, ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/compute2: DigitalOcean API POST \/v2\/droplets -> 422 unprocessable_entity: You specified an invalid image for Droplet creation\. \(request_id [0-9a-f-]{36}\)/);
    expect(r.err).toMatch(/Re-run `drover droplet up/);
    expect([...fake.droplets.values()].map((d) => d.name).sort()).toEqual(['compute1', 'controller']);
    // The inventory lists what exists.
    const inv = parseInventoryText(readFileSync(path.join(dir, 'droplets.ini'), 'utf8'), 'droplets.ini');
    expect([...inv.hosts.keys()].sort()).toEqual(['compute1', 'controller']);

    fake.clearRejections();
    const before = fake.requests.length;
    const again = await drover('droplet', 'up', spec, ...FAST);
    expect(again.code).toBe(0);
    const posts = fake.requests.slice(before).filter((q) => q.method === 'POST');
    expect(posts.map((p) => p.body)).toEqual([expect.objectContaining({ name: 'compute2' })]);
    expect([...fake.droplets.values()].map((d) => d.name).sort()).toEqual(['compute1', 'compute2', 'controller']);
  });

  it('a droplet still starting from an interrupted run is waited for (its create action followed), not created again', async () => {
    const spec = writeSpec('name: lab\nregion: fra1\nsize: s-1vcpu-1gb\nimage: debian-12-x64\ndroplets:\n  - name: web{n}\n    count: 2\n');
    const starting = fake.seedDroplet({ name: 'web1', tags: ['drover:lab'], status: 'new' });
    const r = await drover('droplet', 'up', spec, ...FAST);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/web1 \(id \d+\) exists and is still starting/);
    expect(dropletPosts().map((p) => p.body)).toEqual([expect.objectContaining({ name: 'web2' })]);
    expect(fake.requests.some((q) => q.path === `/v2/droplets/${starting}/actions`)).toBe(true);
    expect(fake.actions.get(fake.droplets.get(starting)!.actionId!)!.status).toBe('completed');
    expect(readFileSync(path.join(dir, 'droplets.ini'), 'utf8')).toMatch(new RegExp(`^web1 ansible_host=${fake.droplets.get(starting)!.publicIp!.replace(/\./g, '\\.')} `, 'm'));
  });

  it('a 5xx on create is not repeated blindly: drover lists again and creates only what is missing', async () => {
    const spec = writeSpec(LAB_SPEC.replace(/ssh_keys:\n {2}- public_key_file: id_test.pub\n/, ''));
    fake.failNext(1, 503, 'POST');
    const r = await drover('droplet', 'up', spec, ...FAST);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/503 server_error: Unexpected server-side error.*checking what was created/);
    expect([...fake.droplets.values()].map((d) => d.name).sort()).toEqual(['compute1', 'compute2', 'controller']);
  });

  it('pagination: 45 droplets with pages of 20 are all found (re-run creates nothing)', async () => {
    await fake.stop();
    fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 1, maxPerPage: 20, dropletLimit: 50 });
    vi.stubEnv('DIGITALOCEAN_API_URL', fake.url);
    const spec = writeSpec('name: big\nregion: fra1\nsize: s-1vcpu-1gb\nimage: debian-12-x64\ndroplets:\n  - name: node{n}\n    count: 45\n');
    const r = await drover('droplet', 'up', spec, ...FAST);
    expect(r.code).toBe(0);
    expect(dropletPosts().map((p) => (p.body as { names: string[] }).names.length)).toEqual([10, 10, 10, 10, 5]);
    expect(fake.requests.some((q) => q.path === '/v2/droplets' && q.method === 'GET' && q.query.page === '3')).toBe(true);

    const list = await drover('droplet', 'list', spec, '--json');
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.out) as Array<{ name: string; status: string; public_ipv4: string }>;
    expect(rows).toHaveLength(45);
    expect(rows.every((x) => x.status === 'active' && /^203\.0\.113\./.test(x.public_ipv4))).toBe(true);

    const before = dropletPosts().length;
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    expect(dropletPosts().length).toBe(before);
  });

  it('--dry-run prints what would be created and its cost from /v2/sizes, and changes nothing', async () => {
    const spec = writeSpec();
    const r = await drover('droplet', 'up', spec, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/would upload ssh key "tester@laptop"/);
    expect(r.out).toMatch(/would create: controller \(s-4vcpu-8gb in fra1, image debian-12-x64\) — \$0\.07143\/hour, \$48\.00\/month/);
    // 48 + 2 × 24
    expect(r.out).toMatch(/would create 3 droplet\(s\): \$0\.14285\/hour, \$96\.00\/month/);
    expect(fake.writes()).toEqual([]);
    expect(fake.droplets.size).toBe(0);
    expect(existsSync(path.join(dir, 'droplets.ini'))).toBe(false);
  });
});

describe('drover droplet down', () => {
  it('deletes only droplets with the ownership tag; foreign and other specs\' droplets survive', async () => {
    const spec = writeSpec();
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    const foreign = fake.seedDroplet({ name: 'controller', tags: ['controller_nodes'] });
    const other = fake.seedDroplet({ name: 'compute1', tags: ['drover:other-lab'] });
    const ours = [...fake.droplets.values()].filter((d) => d.tags.includes('drover:lab')).map((d) => d.id);
    expect(ours).toHaveLength(3);

    // Without a spec, `list` shows every droplet drover owns (any drover:* tag), not the foreign one.
    const all = JSON.parse((await drover('droplet', 'list', '--json')).out) as Array<{ spec: string; name: string; id: number }>;
    expect(all.map((x) => `${x.spec}/${x.name}`)).toEqual(['lab/compute1', 'lab/compute2', 'lab/controller', 'other-lab/compute1']);
    expect(all.map((x) => x.id)).not.toContain(foreign);

    // Dry run: lists and prices, deletes nothing.
    const dry = await drover('droplet', 'down', spec, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/would delete 3 droplet\(s\), saving \$0\.14285\/hour, \$96\.00\/month/);
    expect(fake.requests.filter((q) => q.method === 'DELETE')).toEqual([]);

    // No terminal and no --yes: refuses.
    const refused = await drover('droplet', 'down', spec, ...FAST);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refusing to delete 3 droplet\(s\) without confirmation: not a terminal; pass --yes/);
    expect(fake.droplets.size).toBe(5);

    const r = await drover('droplet', 'down', spec, '--yes', ...FAST);
    expect(r.code).toBe(0);
    const deletes = fake.requests.filter((q) => q.method === 'DELETE').map((q) => q.path);
    expect(deletes.sort()).toEqual(ours.map((id) => `/v2/droplets/${id}`).sort());
    expect([...fake.droplets.keys()].sort()).toEqual([foreign, other].sort());
    expect(existsSync(path.join(dir, 'droplets.ini'))).toBe(false);

    const again = await drover('droplet', 'down', spec, '--yes', ...FAST);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/nothing to delete/);
  });
});

describe('API behaviour', () => {
  it('429: waits until ratelimit-reset, then goes on', async () => {
    const spec = writeSpec();
    fake.rateLimitNext(1, { resetInSec: 2 });
    const r = await drover('droplet', 'list', spec);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/rate limited by DigitalOcean on GET \/v2\/droplets\?tag_name=drover%3Alab&per_page=200 \(ratelimit-limit: 5000, ratelimit-remaining: 0, ratelimit-reset: \d+\); retrying in [12]\.\ds/);
    // ratelimit-reset has one-second resolution: the wait is between 1 and 2 s.
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect(r.ms).toBeLessThan(4000);
    expect(fake.requests.map((q) => q.status)).toEqual([429, 200]);
  });

  it('429 with Retry-After: that wins over a distant ratelimit-reset', async () => {
    const spec = writeSpec();
    fake.rateLimitNext(2, { resetInSec: 3600, retryAfterSec: 1 });
    const r = await drover('droplet', 'list', spec, '--json');
    expect(r.code).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(1900);
    expect(r.ms).toBeLessThan(5000);
    expect(JSON.parse(r.out)).toEqual([]);
  });

  it('5xx answers to reads are retried with backoff', async () => {
    const spec = writeSpec();
    fake.failNext(2, 500);
    const r = await drover('droplet', 'list', spec);
    expect(r.code).toBe(0);
    expect(r.err.match(/DigitalOcean server error on GET \/v2\/droplets/g)).toHaveLength(2);
    expect(fake.requests.map((q) => q.status)).toEqual([500, 500, 200]);
    expect(r.out).toMatch(/^SPEC\s+NAME\s+ID\s+STATUS/);
  });

  it('a wrong token: 401 with DigitalOcean\'s message and request_id, the token not shown', async () => {
    const spec = writeSpec();
    const wrong = `dop_v1_${'f'.repeat(64)}`;
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, wrong + '\n', { mode: 0o600 });
    const r = await drover('droplet', 'up', spec, '--token-file', tokenFile);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: DigitalOcean API GET \/v2\/droplets\?tag_name=drover%3Alab&per_page=200 -> 401 Unauthorized: Unable to authenticate you \(request_id [0-9a-f-]{36}\)/);
    expect(r.out + r.err).not.toContain(wrong);
  });

  it('no token at all is a clear error', async () => {
    vi.stubEnv('DIGITALOCEAN_TOKEN', '');
    const r = await drover('droplet', 'list', writeSpec());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no DigitalOcean API token: set DIGITALOCEAN_TOKEN or pass --token-file FILE/);
    expect(fake.requests).toEqual([]);
  });

  it('a bad spec is bad input (exit 4) with file:line:col, before any request', async () => {
    const spec = writeSpec(LAB_SPEC.replace('    count: 2\n', '    count: 2\n    sise: s-1vcpu-1gb\n'));
    const r = await drover('droplet', 'up', spec);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/droplets\.yaml:15:5: droplet spec: droplets\.1: unknown key "sise"/);
    expect(fake.requests).toEqual([]);
  });
});

describe('-i droplets:SPEC', () => {
  it('inventory list and a play resolve the droplets as hosts', async () => {
    // A play checks connection settings before it starts: the key file must exist (0600).
    const key = path.join(dir, 'id_play');
    writeFileSync(key, 'not used: nothing is contacted\n', { mode: 0o600 });
    const spec = writeSpec(LAB_SPEC.replace('ssh_private_key_file: ~/.ssh/id_test', `ssh_private_key_file: ${key}`));
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    const ips = Object.fromEntries([...fake.droplets.values()].map((d) => [d.name, d.publicIp]));

    const list = await drover('inventory', 'list', '-i', `droplets:${spec}`, '--json');
    expect(list.code).toBe(0);
    const j = JSON.parse(list.out);
    expect(j.compute_nodes.hosts.sort()).toEqual(['compute1', 'compute2']);
    expect(j._meta.hostvars.controller).toMatchObject({ ansible_host: ips.controller, ansible_user: 'root' });

    // A play that contacts nobody: gather_facts off, debug only (the droplet IPs are fake).
    const site = path.join(dir, 'site.yaml');
    writeFileSync(site, ['- hosts: all', '  gather_facts: false', '  tasks:', '    - name: where', '      debug:', '        msg: "{{ inventory_hostname }} at {{ ansible_host }}"', ''].join('\n'));
    const events = path.join(dir, 'play-events.jsonl');
    const play = await drover('play', site, '-i', `droplets:${spec}`, '--events', events);
    expect(play.err).toBe('');
    expect(play.code).toBe(0);
    for (const [name, ip] of Object.entries(ips)) expect(play.out).toContain(`${name} at ${ip}`);
    captured.push(readFileSync(events, 'utf8'));
  });
});

describe('what the contract showed (issue #19)', () => {
  it('a token scoped exactly as the hint says does a whole up, dry run, list and down', async () => {
    vi.stubEnv('DIGITALOCEAN_TOKEN', '');
    const hint = (await drover('droplet', 'list')).err;
    const scopes = [...hint.matchAll(/`([a-z_]+:[a-z*]+)`/g)].map((m) => m[1]!);
    expect(scopes.length).toBeGreaterThan(5);
    await fake.stop();
    fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 1, scopes });
    vi.stubEnv('DIGITALOCEAN_TOKEN', TOKEN);
    vi.stubEnv('DIGITALOCEAN_API_URL', fake.url);
    const spec = writeSpec();
    expect((await drover('droplet', 'up', spec, '--dry-run')).code).toBe(0);
    const up = await drover('droplet', 'up', spec, ...FAST);
    expect(up.err).toBe('');
    expect(up.code).toBe(0);
    expect((await drover('droplet', 'list', spec)).code).toBe(0);
    expect((await drover('droplet', 'down', spec, '--yes', ...FAST)).code).toBe(0);
    expect(fake.requests.filter((q) => q.status === 403)).toEqual([]);
  });

  it('ownership is matched case-insensitively: a spec named Lab owns the droplets tagged drover:lab', async () => {
    const ids = ['controller', 'compute1', 'compute2'].map((name) => fake.seedDroplet({ name, tags: ['drover:lab'], size: name === 'controller' ? 's-4vcpu-8gb' : 's-2vcpu-4gb' }));
    const spec = writeSpec(LAB_SPEC.replace('name: lab', 'name: Lab'));
    const up = await drover('droplet', 'up', spec, ...FAST);
    expect(up.code).toBe(0);
    expect(dropletPosts()).toEqual([]);
    expect(up.out).toMatch(/all 3 droplet\(s\) exist; nothing created/);
    expect(readFileSync(path.join(dir, 'droplets.ini'), 'utf8')).toMatch(/^controller ansible_host=/m);
    const down = await drover('droplet', 'down', spec, '--yes', ...FAST);
    expect(down.code).toBe(0);
    expect(fake.requests.filter((q) => q.method === 'DELETE').map((q) => q.path).sort()).toEqual(ids.map((id) => `/v2/droplets/${id}`).sort());
  });

  it('--dry-run refuses a size the region does not offer and prices only what can be created; up refuses before any create', async () => {
    const spec = writeSpec(LAB_SPEC.replace('size: s-4vcpu-8gb', 'size: s-8vcpu-16gb'));
    const dry = await drover('droplet', 'up', spec, '--dry-run');
    expect(dry.code).toBe(4);
    expect(dry.out).toMatch(/would create: compute1 \(s-2vcpu-4gb in fra1/);
    expect(dry.out).not.toMatch(/would create: controller/);
    expect(dry.out).toMatch(/would create 2 droplet\(s\): \$0\.07142\/hour, \$48\.00\/month/);
    expect(dry.err).toMatch(/controller: size s-8vcpu-16gb is not available in region fra1 \(it is in ams3, nyc3\)/);
    const up = await drover('droplet', 'up', spec, ...FAST);
    expect(up.code).toBe(4);
    expect(up.err).toMatch(/size s-8vcpu-16gb is not available in region fra1/);
    expect(fake.writes()).toEqual([]);
  });

  it('the account\'s droplet_limit is checked before creating: no half-built cluster', async () => {
    await fake.stop();
    fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 1, dropletLimit: 4 });
    vi.stubEnv('DIGITALOCEAN_API_URL', fake.url);
    fake.seedDroplet({ name: 'someone-else' });
    fake.seedDroplet({ name: 'another' });
    const spec = writeSpec();
    const dry = await drover('droplet', 'up', spec, '--dry-run');
    expect(dry.err).toMatch(/creating 3 droplet\(s\) would pass the account's droplet limit: 2 of 4 in use/);
    const up = await drover('droplet', 'up', spec, ...FAST);
    expect(up.code).toBe(2);
    expect(up.err).toMatch(/creating 3 droplet\(s\) would pass the account's droplet limit: 2 of 4 in use; nothing created/);
    expect(dropletPosts()).toEqual([]);
    expect(fake.droplets.size).toBe(2);
  });

  it('create actions are paired with droplets by resource_id, not by list position', async () => {
    const spec = writeSpec('name: lab\nregion: fra1\nsize: s-1vcpu-1gb\nimage: debian-12-x64\ndroplets:\n  - name: web{n}\n    count: 3\n');
    fake.errorCreateAction('web3');
    const r = await drover('droplet', 'up', spec, ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/create action \d+ for web3 \(id \d+\) errored/);
    expect(r.err).not.toMatch(/for web[12] /);
    expect(r.err).toMatch(/1 droplet\(s\) not ready:\n {2}web3: /);
  });

  it('user_data over 64 KiB is refused before any request (exit 4)', async () => {
    writeFileSync(path.join(dir, 'big.yaml'), '#cloud-config\n' + '#'.repeat(64 * 1024));
    const spec = writeSpec(LAB_SPEC.replace('droplets:\n', 'user_data_file: big.yaml\ndroplets:\n'));
    const r = await drover('droplet', 'up', spec, '--dry-run');
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/droplets\.yaml:\d+:\d+: droplet spec: user_data of "controller" is 65550 bytes; DigitalOcean takes at most 64 KiB \(65536 bytes\)/);
    expect(fake.requests).toEqual([]);
  });

  it('a region given as a prefix (fra) is not drift on the next run', async () => {
    const spec = writeSpec(LAB_SPEC.replace('region: fra1', 'region: fra'));
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    expect([...fake.droplets.values()].map((d) => d.region)).toEqual(['fra1', 'fra1', 'fra1']);
    const again = await drover('droplet', 'up', spec, ...FAST);
    expect(again.code).toBe(0);
    expect(again.err).toBe('');
  });
});

describe('drover droplet ssh and list --format (issue #19 item 4)', () => {
  /** An `ssh` first on PATH that records its arguments and exits 7. */
  function fakeSsh(): string {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const log = path.join(dir, 'ssh-args');
    writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\nexit 7\n`, { mode: 0o755 });
    vi.stubEnv('PATH', `${bin}:${process.env.PATH}`);
    return log;
  }

  it('ssh NAME --spec: the spec droplet\'s public IPv4, ssh_user and key; ssh\'s exit status is drover\'s', async () => {
    const spec = writeSpec();
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    fake.seedDroplet({ name: 'compute1', tags: ['drover:other'] });
    const log = fakeSsh();
    const r = await drover('droplet', 'ssh', 'compute1', '--spec', spec, '--', 'uname', '-a');
    expect(r.code).toBe(7);
    const ip = [...fake.droplets.values()].find((d) => d.name === 'compute1' && d.tags.includes('drover:lab'))!.publicIp!;
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['-i', path.join(homedir(), '.ssh/id_test'), '-o', 'IdentitiesOnly=yes', '-l', 'root', ip, 'uname', '-a']);
  });

  it('ssh NAME without a spec: the account\'s droplet of that name as root; two of them is an error naming their ids', async () => {
    const id = fake.seedDroplet({ name: 'web' });
    const log = fakeSsh();
    const r = await drover('droplet', 'ssh', 'web');
    expect(r.code).toBe(7);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['-l', 'root', fake.droplets.get(id)!.publicIp!]);
    const other = fake.seedDroplet({ name: 'web' });
    const two = await drover('droplet', 'ssh', 'web');
    expect(two.code).toBe(4);
    expect(two.err).toMatch(new RegExp(`2 droplets are named web \\(ids ${id}, ${other}\\) \\(pass --spec FILE`));
    expect((await drover('droplet', 'ssh', 'nope')).err).toMatch(/no droplet is named nope/);
  });

  it('list --format json and ini', async () => {
    const spec = writeSpec();
    expect((await drover('droplet', 'up', spec, ...FAST)).code).toBe(0);
    const json = await drover('droplet', 'list', spec, '--format', 'json');
    expect((JSON.parse(json.out) as Array<{ name: string }>).map((x) => x.name)).toEqual(['compute1', 'compute2', 'controller']);
    const ini = await drover('droplet', 'list', spec, '--format', 'ini');
    expect(ini.code).toBe(0);
    const inv = parseInventoryText(ini.out, 'list.ini');
    expect([...inv.hosts.keys()].sort()).toEqual(['compute1', 'compute2', 'controller']);
    // The same inventory `up` wrote, apart from the header comment.
    const strip = (t: string) => t.replace(/^#.*\n/gm, '');
    expect(strip(ini.out)).toBe(strip(readFileSync(path.join(dir, 'droplets.ini'), 'utf8')));
    expect((await drover('droplet', 'list', '--format', 'ini')).err).toMatch(/--format ini needs a spec/);
    expect((await drover('droplet', 'list', '--format', 'yaml')).code).toBe(4);
  });
});
