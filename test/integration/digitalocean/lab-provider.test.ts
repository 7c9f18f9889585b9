import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOG_NODES } from '../../../src/providers/select.js';
import { DigitalOceanLabProvider, type DoLabProviderOptions } from '../../../src/providers/digitalocean/lab-provider.js';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../helpers/fake-digitalocean.js';

/**
 * The DigitalOcean lab provider against the fake API (contract checked on
 * every request and response; stop() fails on a violation), for what needs
 * no machine behind the droplets: the priced dry run, the lab's VPC, and
 * destroying with confirmation. The whole lab on droplets backed by real
 * machines is test/e2e/lab-digitalocean.test.ts.
 */

const TOKEN = 'dop_v1_' + randomBytes(16).toString('hex');
let fake: FakeDigitalOcean;
let home: string;
let logged: string[];

function provider(o: Partial<DoLabProviderOptions> = {}): DigitalOceanLabProvider {
  return new DigitalOceanLabProvider({ env: { DROVER_HOME: home, DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: fake.url }, log: (m) => logged.push(m), pollMs: 1, ...o });
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(fake.url + path, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

beforeEach(async () => {
  fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 1, deleteAfterPolls: 2 });
  home = mkdtempSync(join(tmpdir(), 'drover-do-lab-'));
  logged = [];
});
afterEach(async () => {
  rmSync(home, { recursive: true, force: true });
  await fake.stop();
});

describe('lab on DigitalOcean, against the fake API', () => {
  it('--dry-run: the hourly and monthly cost first, then the VPC and droplets it would create; no write reaches the API', async () => {
    const lines = await provider().dryRun('lab1', BLOG_NODES);
    expect(lines[0]).toBe('lab lab1 on DigitalOcean: 3 droplet(s) in fra1, $0.14285/hour, $96.00/month while they exist (billed until destroyed; `lab down` destroys)');
    expect(lines).toContain('would create VPC drover-lab1 in fra1');
    expect(lines.filter((l) => l.startsWith('would create: '))).toHaveLength(3);
    expect(fake.writes()).toEqual([]);
  });

  it('--size/--region win over the defaults; a size the region lacks is refused before anything is created', async () => {
    const lines = await provider({ settings: { size: 's-1vcpu-1gb', region: 'ams3' } }).dryRun('lab1', BLOG_NODES);
    expect(lines[0]).toMatch(/3 droplet\(s\) in ams3, \$0\.02679\/hour, \$18\.00\/month/);
    await expect(provider({ settings: { size: 's-8vcpu-16gb' } }).dryRun('lab1', BLOG_NODES)).rejects.toThrow(/not available in region fra1/);
    await expect(provider({ settings: { region: 'fra' } }).dryRun('lab1', BLOG_NODES)).rejects.toThrow(/datacenter slug/);
    expect(fake.writes()).toEqual([]);
  });

  it("a VPC of the lab's name in another region is an error naming it, before any droplet is created", async () => {
    expect((await api('POST', '/v2/vpcs', { name: 'drover-lab1', region: 'ams3' })).status).toBe(201);
    await expect(provider().up('lab1', BLOG_NODES)).rejects.toThrow(/VPC drover-lab1 exists in ams3, not in fra1/);
    expect(fake.writes().filter((w) => w.path === '/v2/droplets')).toEqual([]);
  });

  it('a droplet of the lab drover holds no host key for is refused (it could not be reached with strict host keys)', async () => {
    fake.seedDroplet({ name: 'controller', tags: ['drover:lab-lab1'] });
    await expect(provider().up('lab1', BLOG_NODES)).rejects.toThrow(/no host key on record for it/);
    expect(fake.writes().filter((w) => w.path === '/v2/droplets')).toEqual([]);
  });

  it('destroy: refused without confirmation; with --yes the droplets go, the VPC is deleted once they are gone (403 while members remain), the state dir too', async () => {
    const vpc = (await api('POST', '/v2/vpcs', { name: 'drover-lab1', region: 'fra1' })).body.vpc;
    for (const name of ['controller', 'compute1']) fake.droplets.get(fake.seedDroplet({ name, tags: ['drover:lab-lab1'] }))!.vpc_uuid = vpc.id;
    const other = fake.seedDroplet({ name: 'controller', tags: ['drover:lab-lab2'] });
    await expect(provider().destroy('lab1')).rejects.toThrow(/refusing to delete 2 droplet\(s\) of lab lab1/);
    expect(fake.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
    await expect(provider({ confirm: async () => false }).destroy('lab1')).rejects.toThrow(/aborted; nothing deleted/);

    logged = [];
    await provider({ yes: true }).down('lab1');
    expect(logged[0]).toMatch(/`lab down` destroys the lab's droplets and VPC/);
    expect([...fake.droplets.keys()]).toEqual([other]);
    expect([...fake.vpcs.values()].some((v) => v.name === 'drover-lab1')).toBe(false);
    expect(logged).toContain(`deleted VPC drover-lab1 (${vpc.id})`);
    expect(existsSync(join(home, 'digitalocean', 'labs', 'lab1'))).toBe(false);
  });
});
