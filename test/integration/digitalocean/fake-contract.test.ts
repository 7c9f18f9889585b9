import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DoClient } from '../../../src/providers/digitalocean/api.js';
import { DROPLET_LIMIT_MESSAGE, startFakeDigitalOcean, type FakeDigitalOcean, type FakeOptions } from '../../helpers/fake-digitalocean.js';
import { SPEC_COMMIT } from '../../helpers/digitalocean-contract/schemas.js';
import { checkRequest, checkResponse } from '../../helpers/digitalocean-contract/validate.js';

/**
 * The fake DigitalOcean held to the contract (schemas from DigitalOcean's
 * OpenAPI specification) and to the rules the spec states in prose. Every
 * response here is also validated by the fake itself; `stop()` fails the test
 * on a violation.
 */

const TOKEN = 'contract-' + randomBytes(8).toString('hex');
let fake: FakeDigitalOcean;

async function start(o: Partial<FakeOptions> = {}): Promise<void> {
  await fake?.stop();
  fake = await startFakeDigitalOcean({ token: TOKEN, activeAfterPolls: 1, ...o });
}
beforeEach(() => start());
afterEach(async () => {
  await fake.stop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(fake.url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

const create = (o: Record<string, unknown>) => api('POST', '/v2/droplets', { region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64', ...o });

describe('the contract itself', () => {
  it('names the digitalocean/openapi commit it follows', () => {
    expect(SPEC_COMMIT).toMatch(/^[0-9a-f]{40}$/);
  });

  it('catches what the old fake served: a droplet without volume_ids/next_backup_window, a region without sizes/features, a gateway on private IPv4, links always', () => {
    const old = {
      droplets: [
        {
          id: 1, name: 'a', memory: 1024, vcpus: 1, disk: 25, locked: false, status: 'active', created_at: '2026-01-01T00:00:00Z', features: [], backup_ids: [], snapshot_ids: [],
          image: { slug: 'debian-12-x64' }, size_slug: 's-1vcpu-1gb', tags: [],
          size: { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, transfer: 1, price_monthly: 6, price_hourly: 0.009, regions: ['fra1'], available: true, description: 'Basic' },
          networks: { v4: [{ ip_address: '10.110.0.2', netmask: '255.255.240.0', gateway: '10.110.0.1', type: 'private' }], v6: [] },
          region: { slug: 'fra1', name: 'fra1', available: true },
        },
      ],
      links: { pages: { next: 'https://api.digitalocean.com/v2/droplets?page=2' } },
      meta: { total: 1 },
    };
    const v = checkResponse({ method: 'GET', path: '/v2/droplets', query: {} }, { status: 200, headers: { 'ratelimit-limit': '5000', 'ratelimit-remaining': '1', 'ratelimit-reset': '1' }, body: old });
    expect(v.join('\n')).toMatch(/required property 'volume_ids'/);
    expect(v.join('\n')).toMatch(/required property 'next_backup_window'/);
    expect(v.join('\n')).toMatch(/region must have required property 'sizes'/);
    expect(v.join('\n')).toMatch(/networks\/v4\/0 must NOT be valid/);
    expect(v.join('\n')).toMatch(/links.pages.next without links.pages.last/);
    expect(checkResponse({ method: 'GET', path: '/v2/sizes', query: {} }, { status: 200, headers: {}, body: { sizes: [], meta: { total: 0 } } })).toEqual([
      'GET /v2/sizes -> 200: header ratelimit-limit missing',
      'GET /v2/sizes -> 200: header ratelimit-remaining missing',
      'GET /v2/sizes -> 200: header ratelimit-reset missing',
    ]);
  });

  it('catches bad requests: an unknown field, too many names, per_page over 200, user_data over 64 KiB, an operation not in the contract', () => {
    const base = { method: 'POST', path: '/v2/droplets', query: {}, contentType: 'application/json' };
    expect(checkRequest({ ...base, body: { name: 'a', size: 's', image: 'i', region: 'fra1' } })).toEqual([]);
    expect(checkRequest({ ...base, body: { name: 'a', size: 's', image: 'i', private_key: 'x' } }).join()).toMatch(/additional properties \(private_key\)/);
    expect(checkRequest({ ...base, body: { names: Array.from({ length: 11 }, (_, i) => `n${i}`), size: 's', image: 'i' } }).join()).toMatch(/more than 10 items/);
    expect(checkRequest({ ...base, body: { name: 'a', size: 's', image: 'i', user_data: 'x'.repeat(64 * 1024 + 1) } }).join()).toMatch(/user_data is 65537 bytes/);
    expect(checkRequest({ method: 'GET', path: '/v2/droplets', query: { per_page: '500' } }).join()).toMatch(/query per_page/);
    expect(checkRequest({ method: 'GET', path: '/v2/droplets', query: { tag_name: 'a', name: 'b' } }).join()).toMatch(/tag_name and name can not be combined/);
    expect(checkRequest({ method: 'POST', path: '/v2/droplets/1/actions', query: {} })).toEqual(['POST /v2/droplets/1/actions: not an operation of the contract (drover calls only those in schemas.ts)']);
  });

  it('the fake records a request that breaks the contract, and stop() fails on it', async () => {
    await api('GET', '/v2/droplets?per_page=500');
    const v = fake.takeViolations();
    expect(v).toEqual([expect.stringMatching(/^drover request: GET \/v2\/droplets \(droplets_list\) query per_page/)]);
    await api('GET', '/v2/droplets?per_page=500');
    await expect(fake.stop()).rejects.toThrow(/DigitalOcean contract violated 1 time/);
  });
});

describe('the fake honours DigitalOcean\'s prose rules', () => {
  it('tags keep the case of their first creation; tag_name matches case-insensitively', async () => {
    expect((await create({ name: 'a', tags: ['drover:lab'] })).status).toBe(202);
    const b = await create({ name: 'b', tags: ['drover:Lab', 'Web'] });
    expect(b.body.droplet.tags).toEqual(['drover:lab', 'Web']);
    const listed = await api('GET', '/v2/droplets?tag_name=DROVER:LAB');
    expect(listed.body.droplets.map((d: { name: string }) => d.name)).toEqual(['a', 'b']);
  });

  it('links only when there are more pages', async () => {
    for (const n of ['a', 'b', 'c']) fake.seedDroplet({ name: n });
    const one = await api('GET', '/v2/droplets?per_page=20');
    expect(one.body).not.toHaveProperty('links');
    expect(one.body.meta).toEqual({ total: 3 });
    const first = await api('GET', '/v2/droplets?per_page=2');
    expect(Object.keys(first.body.links.pages).sort()).toEqual(['last', 'next']);
    const second = await api('GET', '/v2/droplets?per_page=2&page=2');
    expect(Object.keys(second.body.links.pages).sort()).toEqual(['first', 'prev']);
  });

  it('a delete takes time: the droplet stays listed for a while after the 204', async () => {
    await start({ deleteAfterPolls: 2 });
    const id = fake.seedDroplet({ name: 'a' });
    expect((await api('DELETE', `/v2/droplets/${id}`)).status).toBe(204);
    expect((await api('GET', '/v2/droplets')).body.droplets).toHaveLength(1);
    expect((await api('GET', '/v2/droplets')).body.droplets).toHaveLength(1);
    expect((await api('GET', '/v2/droplets')).body.droplets).toHaveLength(0);
    expect((await api('GET', `/v2/droplets/${id}`)).status).toBe(404);
  });

  it('the account\'s droplet_limit: GET /v2/account tells it; a create past it is refused whole', async () => {
    await start({ dropletLimit: 3 });
    fake.seedDroplet({ name: 'mine' });
    expect((await api('GET', '/v2/account')).body.account.droplet_limit).toBe(3);
    const r = await create({ names: ['a', 'b', 'c'] });
    expect(r).toMatchObject({ status: 422, body: { id: 'unprocessable_entity', message: DROPLET_LIMIT_MESSAGE } });
    expect(fake.droplets.size).toBe(1);
    expect((await create({ names: ['a', 'b'] })).status).toBe(202);
  });

  it('user_data over 64 KiB is refused', async () => {
    expect((await create({ name: 'a', user_data: 'x'.repeat(64 * 1024) })).status).toBe(202);
    const r = await create({ name: 'b', user_data: 'x'.repeat(64 * 1024 + 1) });
    expect(r.status).toBe(422);
    expect(fake.takeViolations()).toEqual([expect.stringMatching(/user_data is 65537 bytes/)]);
  });

  it('sizes must be available in the region; a region prefix lands in a region that has the size', async () => {
    expect(await create({ name: 'a', size: 's-8vcpu-16gb' })).toMatchObject({ status: 422, body: { message: 'Size is not available in this region.' } });
    expect(await create({ name: 'a', size: 'm-2vcpu-16gb', region: 'nyc3' })).toMatchObject({ status: 422 });
    const sizes = (await api('GET', '/v2/sizes')).body.sizes as Array<{ slug: string; available: boolean; regions: string[] }>;
    expect(sizes.find((s) => s.slug === 's-8vcpu-16gb')!.regions).not.toContain('fra1');
    const prefixed = await create({ name: 'a', region: 'fra' });
    expect(prefixed.body.droplet.region.slug).toBe('fra1');
  });

  it('multi-create action links are not in the droplets\' order; each action names its droplet in resource_id', async () => {
    const r = await create({ names: ['a', 'b', 'c'] });
    const ids = r.body.droplets.map((d: { id: number }) => d.id);
    const client = new DoClient({ baseUrl: fake.url, token: TOKEN });
    const owners = [];
    for (const l of r.body.links.actions as Array<{ id: number }>) owners.push((await client.getAction(l.id)).resource_id);
    expect(owners).toEqual([...ids].reverse());
  });

  it('a token without a scope an operation needs gets 403', async () => {
    await start({ scopes: ['droplet:read'] });
    expect((await api('GET', '/v2/droplets')).status).toBe(200);
    const r = await api('GET', '/v2/droplets?tag_name=x');
    expect(r).toMatchObject({ status: 403, body: { message: expect.stringMatching(/missing scope tag:read/) } });
  });
});
