import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DoClient } from '../../../src/providers/digitalocean/api.js';
import { privateIpv4, publicIpv4 } from '../../../src/providers/digitalocean/types.js';
import { SPEC_COMMIT } from '../../helpers/digitalocean-contract/schemas.js';
import { checkResponse } from '../../helpers/digitalocean-contract/validate.js';

/**
 * The second check of issue #19: DigitalOcean's own response examples, read
 * from its OpenAPI specification at the commit the contract follows, are
 * (1) accepted by the contract's schemas (they are not stricter than the
 * spec's examples) and (2) served to drover's client, which must read them.
 *
 * The specification is not in the project: the test reads it from a git
 * clone of digitalocean/openapi (DO_OPENAPI_GIT_DIR, default the mirror on
 * the build machine) and is skipped, saying so, where there is none.
 */

const GIT_DIR = process.env.DO_OPENAPI_GIT_DIR ?? '/work/.mirror/digitalocean+openapi/repo';

function show(file: string): string | undefined {
  try {
    return execFileSync('git', ['--git-dir', GIT_DIR, 'show', `${SPEC_COMMIT}:specification/resources/${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}
const available = show('droplets/responses/examples.yml') !== undefined;

/** The examples of a response file: `example`, `schema.example`, or each of `examples` (following `$ref: 'file#/key'`). */
function examplesOf(file: string): Array<{ name: string; value: unknown }> {
  const doc = parse(show(file)!) as { content: { 'application/json': { example?: unknown; schema?: { example?: unknown }; examples?: Record<string, { value?: unknown; $ref?: string }> } } };
  const c = doc.content['application/json'];
  const out: Array<{ name: string; value: unknown }> = [];
  if (c.example !== undefined) out.push({ name: 'example', value: c.example });
  if (c.schema?.example !== undefined) out.push({ name: 'schema.example', value: c.schema.example });
  for (const [name, e] of Object.entries(c.examples ?? {})) {
    if (e.$ref) {
      const [ref, key] = e.$ref.split('#/');
      const other = parse(show(path.posix.join(path.posix.dirname(file), ref!))!) as Record<string, { value: unknown }>;
      out.push({ name, value: other[key!]!.value });
    } else out.push({ name, value: e.value });
  }
  return out;
}

let server: Server;
let serving: { status: number; body: unknown } = { status: 200, body: {} };
let client: DoClient;
const RL = { 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) };

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(serving.status, { 'content-type': 'application/json', ...RL });
    res.end(JSON.stringify(serving.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new DoClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', maxRetries: 0 });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const cases: Array<{ file: string; method: string; path: string; status: number; read: (body: any) => Promise<void> }> = [
  {
    file: 'droplets/responses/all_droplets.yml',
    method: 'GET',
    path: '/v2/droplets',
    status: 200,
    read: async (body) => {
      const ds = await client.listDroplets('env:prod');
      expect(ds.map((d) => d.id)).toEqual(body.droplets.map((d: { id: number }) => d.id));
      for (const d of ds) {
        expect(publicIpv4(d)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        if (d.networks?.v4?.some((n) => n.type === 'private')) expect(privateIpv4(d)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }
    },
  },
  { file: 'droplets/responses/existing_droplet.yml', method: 'GET', path: '/v2/droplets/3164444', status: 200, read: async (body) => expect((await client.getDroplet(3164444)).name).toBe(body.droplet.name) },
  {
    file: 'droplets/responses/droplet_create.yml',
    method: 'POST',
    path: '/v2/droplets',
    status: 202,
    read: async (body) => {
      const r = await client.createDroplets({ name: 'example.com', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-20-04-x64' });
      expect(r.droplets.map((d) => d.id)).toEqual((body.droplets ?? [body.droplet]).map((d: { id: number }) => d.id));
      expect(r.actionIds).toEqual(body.links.actions.map((a: { id: number }) => a.id));
    },
  },
  { file: 'droplets/responses/all_droplet_actions.yml', method: 'GET', path: '/v2/droplets/3164444/actions', status: 200, read: async (body) => expect((await client.listDropletActions(3164444)).map((a) => a.resource_id)).toEqual(body.actions.map((a: { resource_id: number }) => a.resource_id)) },
  { file: 'sizes/responses/all_sizes.yml', method: 'GET', path: '/v2/sizes', status: 200, read: async (body) => expect((await client.listSizes()).map((s) => s.slug)).toEqual(body.sizes.map((s: { slug: string }) => s.slug)) },
  // existing_vpc.yml (vpcs_create's 201) has no example in the spec; the list's examples carry the same vpc model.
  { file: 'vpcs/responses/all_vpcs.yml', method: 'GET', path: '/v2/vpcs', status: 200, read: async (body) => expect((await client.listVpcs()).map((v) => `${v.name}@${v.region} ${v.ip_range}`)).toEqual(body.vpcs.map((v: { name: string; region: string; ip_range: string }) => `${v.name}@${v.region} ${v.ip_range}`)) },
  { file: 'ssh_keys/responses/sshKeys_all.yml', method: 'GET', path: '/v2/account/keys', status: 200, read: async (body) => expect((await client.listSshKeys()).map((k) => k.fingerprint)).toEqual(body.ssh_keys.map((k: { fingerprint: string }) => k.fingerprint)) },
];

describe.skipIf(!available)(`DigitalOcean's own response examples (digitalocean/openapi@${SPEC_COMMIT.slice(0, 8)} from ${GIT_DIR})`, () => {
  for (const c of cases) {
    it(`${c.file}: every example passes the contract and drover's client reads it`, async () => {
      const examples = examplesOf(c.file);
      expect(examples.length).toBeGreaterThan(0);
      for (const ex of examples) {
        expect(checkResponse({ method: c.method, path: c.path, query: {} }, { status: c.status, headers: RL, body: ex.value }), ex.name).toEqual([]);
        // links.pages.next in an example points at api.digitalocean.com: serve one page only.
        const body = JSON.parse(JSON.stringify(ex.value));
        if (body.links?.pages) delete body.links.pages.next;
        serving = { status: c.status, body };
        await c.read(body);
      }
    });
  }
});

describe.skipIf(available)('DigitalOcean response examples', () => {
  it.skip(`skipped: no git clone of digitalocean/openapi with commit ${SPEC_COMMIT} at ${GIT_DIR} (set DO_OPENAPI_GIT_DIR)`, () => {});
});
