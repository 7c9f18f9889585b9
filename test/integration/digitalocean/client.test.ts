import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DoApiError, DoClient } from '../../../src/providers/digitalocean/api.js';
import { resolveSshKeys } from '../../../src/providers/digitalocean/ssh-keys.js';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../helpers/fake-digitalocean.js';

/** The API client against real sockets: the fake API, a server that never answers, a closed port. */

const TOKEN = 'test-token-' + randomBytes(8).toString('hex');
let fake: FakeDigitalOcean;

function keyLine(comment: string): string {
  const t = Buffer.from('ssh-ed25519');
  return `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, t.length]), t, Buffer.from([0, 0, 0, 32]), randomBytes(32)]).toString('base64')} ${comment}`;
}

beforeEach(async () => {
  fake = await startFakeDigitalOcean({ token: TOKEN, maxPerPage: 2 });
});
afterEach(async () => {
  await fake.stop();
});

describe('DoClient', () => {
  it('follows links.pages.next through every page', async () => {
    for (let i = 0; i < 5; i++) fake.seedDroplet({ name: `d${i}`, tags: i % 2 ? ['odd'] : [] });
    const client = new DoClient({ baseUrl: fake.url, token: TOKEN });
    expect((await client.listDroplets()).map((d) => d.name)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    expect(fake.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect((await client.listDroplets('odd')).map((d) => d.name)).toEqual(['d1', 'd3']);
  });

  it('404 and 422 carry DigitalOcean\'s id, message and request_id', async () => {
    const client = new DoClient({ baseUrl: fake.url, token: TOKEN });
    const e = await client.getDroplet(42).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DoApiError);
    expect(e).toMatchObject({ status: 404, errorId: 'not_found', apiMessage: 'The resource you were accessing could not be found.' });
    expect((e as DoApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    const key = keyLine('k');
    await client.createSshKey('k', key);
    await expect(client.createSshKey('k again', key)).rejects.toMatchObject({ status: 422, apiMessage: 'SSH Key is already in use on your account' });
    await expect(client.createDroplets({ names: Array.from({ length: 11 }, (_, i) => `n${i}`), region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64' })).rejects.toMatchObject({
      status: 422,
      apiMessage: 'You may only create up to 10 Droplets at a time.',
    });
    // That request broke the contract on purpose (names: maxItems 10): the fake's validator saw it.
    expect(fake.takeViolations()).toEqual(expect.arrayContaining([expect.stringMatching(/POST \/v2\/droplets \(droplets_create\) body: \/names must NOT have more than 10 items/)]));
  });

  it('every request has a bounded timeout; reads are retried, then the error says what happened', async () => {
    const hung: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    let hits = 0;
    hung.on('request', () => hits++);
    const waits: string[] = [];
    const client = new DoClient({ baseUrl: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, token: TOKEN, timeoutMs: 200, maxRetries: 2, retryBaseMs: 10, onWait: (w) => waits.push(w.reason) });
    const t0 = Date.now();
    const e = await client.listSizes().catch((x: unknown) => x);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e).toMatchObject({ status: 0, errorId: 'timeout' });
    expect((e as Error).message).toMatch(/GET \/v2\/sizes\?per_page=200 -> 0 timeout: no answer within 0.2s/);
    expect(hits).toBe(3);
    expect(waits).toEqual(['network', 'network']);
    // A create is never re-sent after a lost answer: it may have happened.
    hits = 0;
    await expect(client.createDroplets({ name: 'x', region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64' })).rejects.toMatchObject({ errorId: 'timeout' });
    expect(hits).toBe(1);
    hung.closeAllConnections();
    await new Promise<void>((r) => hung.close(() => r()));
  });

  it('a closed port is a network error naming the address', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const client = new DoClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, maxRetries: 1, retryBaseMs: 5 });
    await expect(client.listSizes()).rejects.toThrow(new RegExp(`-> 0 network_error: ECONNREFUSED \\(http://127\\.0\\.0\\.1:${port}\\)`));
  });

  it('5xx on a create is not retried by the client (the caller reconciles)', async () => {
    const client = new DoClient({ baseUrl: fake.url, token: TOKEN, retryBaseMs: 5 });
    fake.failNext(1, 500);
    await expect(client.createDroplets({ name: 'x', region: 'fra1', size: 's-1vcpu-1gb', image: 'debian-12-x64' })).rejects.toMatchObject({ status: 500 });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('ssh key resolution', () => {
  it('ids and fingerprints pass through, names are looked up, key files are uploaded once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-keys-'));
    const known = fake.seedKey('laptop', keyLine('me@laptop'));
    const pub = keyLine('me@desk');
    writeFileSync(path.join(dir, 'desk.pub'), pub + '\n');
    writeFileSync(path.join(dir, 'laptop.pub'), known.public_key + '\n');
    const client = new DoClient({ baseUrl: fake.url, token: TOKEN });
    const refs = [12, 'AA:BB:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99', 'laptop', { public_key_file: 'desk.pub' }, { public_key_file: 'laptop.pub' }];

    const dry = await resolveSshKeys(client, refs, dir, true);
    expect(dry.uploads.map((u) => u.name)).toEqual(['me@desk']);
    expect(fake.writes()).toEqual([]);

    const r = await resolveSshKeys(client, refs, dir, false);
    expect([...r.resolved.values()]).toEqual([12, 'aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99', known.id, expect.any(Number), known.id]);
    expect(fake.keys.size).toBe(2);
    // Second time: found by fingerprint, nothing uploaded.
    const again = await resolveSshKeys(client, [{ public_key_file: 'desk.pub' }], dir, false);
    expect(again.uploads).toEqual([]);
    expect(fake.writes()).toHaveLength(1);

    await expect(resolveSshKeys(client, ['nope'], dir, false)).rejects.toThrow(/ssh key "nope" is not in the DigitalOcean account \(account keys: laptop, me@desk/);
    writeFileSync(path.join(dir, 'bad.pub'), 'not a key\n');
    await expect(resolveSshKeys(client, [{ public_key_file: 'bad.pub' }], dir, false)).rejects.toThrow(/bad\.pub is not an OpenSSH public key/);
  });

  it('a key uploaded meanwhile (422 duplicate) is picked up from the account', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-keys-'));
    const pub = keyLine('race');
    writeFileSync(path.join(dir, 'race.pub'), pub);
    fake.seedKey('race', pub);
    // A client whose first listing is stale, as if another run uploaded the key just after it.
    class Stale extends DoClient {
      private first = true;
      override async listSshKeys() {
        const all = await super.listSshKeys();
        if (this.first) {
          this.first = false;
          return [];
        }
        return all;
      }
    }
    const r = await resolveSshKeys(new Stale({ baseUrl: fake.url, token: TOKEN }), [{ public_key_file: 'race.pub' }], dir, false);
    expect([...r.resolved.values()]).toEqual([[...fake.keys.values()][0]!.id]);
    expect(fake.requests.filter((q) => q.method === 'POST').map((q) => q.status)).toEqual([422]);
  });
});
