import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRequest, checkResponse, operationFor } from './digitalocean-contract/validate.js';
import { interpretCloudConfig, type CloudConfig } from './fake-cloud-init.js';

/**
 * A fake DigitalOcean API v2 on 127.0.0.1, following the documented contract
 * for the endpoints drover uses:
 *
 *   GET/POST   /v2/droplets            (list: tag_name, page, per_page; create: name or names[≤10] -> 202 + links.actions)
 *   DELETE     /v2/droplets?tag_name=  (204)
 *   GET/DELETE /v2/droplets/{id}       (404 when unknown; delete -> 204)
 *   GET        /v2/droplets/{id}/actions, /v2/actions/{id}
 *   GET/POST   /v2/account/keys        (POST -> 201; 422 on a fingerprint already in the account)
 *   GET        /v2/sizes               (price_hourly, price_monthly)
 *   GET/POST   /v2/vpcs, DELETE /v2/vpcs/{id}  (a default VPC per region; 403 deleting one with members or a default)
 *
 * Bearer-token auth (401 otherwise); errors are {id, message, request_id};
 * every answer carries ratelimit-limit/-remaining/-reset. A new droplet is
 * `new` with no addresses and its create action `in-progress`; after
 * `activeAfterPolls` observations (GETs that return it or its action) it is
 * `active` with a public and a private IPv4 and the action `completed`.
 *
 * Faults: `rejectCreate(name, message)` (422 for any create naming it),
 * `errorCreateAction(name)` (its create action ends `errored` and the droplet
 * goes), `rateLimitNext(k, {resetInSec, retryAfterSec})` and `failNext(k, status)`.
 * Every request is recorded in `requests` (method, path, query, status).
 *
 * The contract: every request is checked against the schemas in
 * ./digitalocean-contract (from DigitalOcean's OpenAPI specification) and so
 * is every response the fake serves; `stop()` throws if anything broke it, so
 * a violation fails the test that stops the fake.
 *
 * DigitalOcean's rules the spec states in prose (or the issue #19 reports
 * from the real API), honoured here:
 * - tags keep the capitalisation of their first creation; `tag_name` and
 *   tags on create match existing tags case-insensitively;
 * - `links` appears only when the list has more than one page;
 * - a deleted droplet stays listed for `deleteAfterPolls` observations;
 * - a create that would take the account past `droplet_limit` is refused
 *   (422, nothing created);
 * - `user_data` over 64 KiB is refused (422);
 * - a size must be `available` and offered in the region (422 otherwise); a
 *   region may be a prefix (`fra`): the droplet lands in a matching region;
 * - action links of a multi-create are not in the droplets' order (the spec
 *   promises none): pair them by `resource_id`;
 * - with `scopes`, a request whose operation needs a scope the token lacks is
 *   403 (scopes per operation from the spec's `security` and field notes);
 * - a droplet without vpc_uuid goes into its region's default VPC; one with a
 *   vpc_uuid of another region (or none such) is refused (422);
 * - a VPC with members (droplets, also ones still being deleted) or a
 *   region's default VPC cannot be deleted (403, vpcs_delete.yml).
 *
 * Machines (`machines` option): each droplet is backed by a real machine.
 * On create the fake reads the small cloud-init subset in user_data that
 * fake-cloud-init.ts interprets (host keys) plus the droplet's ssh_keys
 * (authorized keys), asks `machines.boot` for a machine with them, and
 * reports the droplet active only once that machine is up, with its address
 * as the droplet's private (and public) IPv4; a failed boot errors the create
 * action. Deleting a droplet removes its machine before the droplet leaves
 * the list.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body?: unknown;
  authorization?: string;
}

interface FakeDroplet {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  region: string;
  size: string;
  image: string | number;
  tags: string[];
  vpc_uuid?: string;
  user_data?: string;
  ssh_keys: Array<string | number>;
  monitoring: boolean;
  ipv6: boolean;
  created_at: string;
  polls: number;
  publicIp?: string;
  privateIp?: string;
  actionId?: number;
  /** Set once DELETE was accepted: observations left before it is gone. */
  deleting?: number;
  /** Its create action will end errored. */
  doomed?: boolean;
  /** With machines: the boot under way, then its result. */
  machine?: { ip?: string; error?: string; removed?: boolean };
}

/** A real machine behind each droplet (see the class comment). */
export interface DropletMachines {
  /** Boot a machine for a new droplet with these host keys and authorized keys; resolves with its IPv4 once sshd serves them. */
  boot(d: { id: number; name: string; config: CloudConfig; authorizedKeys: string[] }): Promise<{ ip: string }>;
  remove(d: { id: number; name: string }): Promise<void>;
  /** The range the machines' addresses come from: the ip_range of a VPC created without one. */
  ipRange: string;
}

interface FakeVpc {
  id: string;
  name: string;
  region: string;
  ip_range: string;
  description: string;
  default: boolean;
  created_at: string;
}

interface FakeAction {
  id: number;
  dropletId: number;
  type: string;
  status: 'in-progress' | 'completed' | 'errored';
  started_at: string;
  completed_at: string | null;
  region: string;
}

interface FakeKey {
  id: number;
  name: string;
  public_key: string;
  fingerprint: string;
}

/** Sizes and where they are offered: s-8vcpu-16gb is not in fra1; m-2vcpu-16gb is sold out everywhere. */
export const FAKE_SIZES = [
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, price_monthly: 6, price_hourly: 0.00893, regions: ['fra1', 'ams3', 'nyc1', 'nyc3'], available: true },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, price_monthly: 24, price_hourly: 0.03571, regions: ['fra1', 'ams3', 'nyc1', 'nyc3'], available: true },
  { slug: 's-4vcpu-8gb', memory: 8192, vcpus: 4, disk: 160, price_monthly: 48, price_hourly: 0.07143, regions: ['fra1', 'ams3', 'nyc1', 'nyc3'], available: true },
  { slug: 's-8vcpu-16gb', memory: 16384, vcpus: 8, disk: 320, price_monthly: 96, price_hourly: 0.14286, regions: ['ams3', 'nyc3'], available: true },
  { slug: 'm-2vcpu-16gb', memory: 16384, vcpus: 2, disk: 50, price_monthly: 84, price_hourly: 0.125, regions: [] as string[], available: false },
].map((s) => ({ ...s, transfer: 4, description: 'Basic' }));

export const FAKE_REGIONS = [
  { slug: 'fra1', name: 'Frankfurt 1' },
  { slug: 'ams3', name: 'Amsterdam 3' },
  { slug: 'nyc1', name: 'New York 1' },
  { slug: 'nyc3', name: 'New York 3' },
].map((r) => ({ ...r, features: ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'], available: true, sizes: FAKE_SIZES.filter((s) => s.available && s.regions.includes(r.slug)).map((s) => s.slug) }));

/** DigitalOcean's words when a create would pass the droplet limit. NOT IN SPEC: the message as the API and doctl users report it. */
export const DROPLET_LIMIT_MESSAGE = 'creating this/these droplet(s) will exceed your droplet limit';

export interface FakeOptions {
  token: string;
  /** Observations before a new droplet becomes active (default 2). */
  activeAfterPolls?: number;
  /** The largest per_page honoured (DigitalOcean: 200). */
  maxPerPage?: number;
  /** Observations (list GETs showing it) a deleted droplet stays listed (default 2). */
  deleteAfterPolls?: number;
  /** The account's droplet_limit (default 25). */
  dropletLimit?: number;
  /** The token's scopes (`droplet:*` style wildcards); unset: a full-access token. */
  scopes?: string[];
  /** Order of a multi-create's action links (default 'reversed': the spec promises no order). */
  actionLinkOrder?: 'same' | 'reversed';
  /** Back every droplet with a real machine. */
  machines?: DropletMachines;
}

export class FakeDigitalOcean {
  url = '';
  readonly requests: FakeRequest[] = [];
  readonly droplets = new Map<number, FakeDroplet>();
  readonly actions = new Map<number, FakeAction>();
  readonly keys = new Map<number, FakeKey>();
  readonly vpcs = new Map<string, FakeVpc>();
  /** Contract violations (schemas in ./digitalocean-contract) of requests received and responses served. */
  readonly violations: string[] = [];
  private server: Server | undefined;
  private nextId = 3_000_000;
  private nextIp = 1;
  private rejected = new Map<string, string>();
  private rateLimited: { left: number; resetInSec: number; retryAfterSec?: number } | undefined;
  private failing: { left: number; status: number; method?: string } | undefined;
  private remaining = 5000;
  /** Tag names as first created, by lower case. */
  readonly tagNames = new Map<string, string>();

  constructor(private readonly opts: FakeOptions) {
    // Every region has its default VPC (named default-REGION), as every DigitalOcean account does.
    FAKE_REGIONS.forEach((r, i) => this.addVpc({ name: `default-${r.slug}`, region: r.slug, ip_range: `10.${100 + i}.0.0/20`, description: '', default: true }));
  }

  private addVpc(v: Omit<FakeVpc, 'id' | 'created_at'>): FakeVpc {
    const vpc = { ...v, id: randomUUID(), created_at: new Date().toISOString() };
    this.vpcs.set(vpc.id, vpc);
    return vpc;
  }

  private vpcJson(v: FakeVpc): Record<string, unknown> {
    return { id: v.id, urn: `do:vpc:${v.id}`, name: v.name, description: v.description, region: v.region, ip_range: v.ip_range, default: v.default, created_at: v.created_at };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'server_error', message: `fake crashed: ${(e as Error).message}`, request_id: randomUUID() }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stops the server; fails (throws) if any request or response broke the contract. */
  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    if (this.violations.length) {
      const v = this.violations.splice(0);
      throw new Error(`DigitalOcean contract violated ${v.length} time(s):\n  ${[...new Set(v)].join('\n  ')}`);
    }
  }

  /** The violations so far, cleared (for tests that break the contract on purpose). */
  takeViolations(): string[] {
    return this.violations.splice(0);
  }

  // ---- seeding and faults -------------------------------------------------

  /** A droplet that already exists (active, with addresses), e.g. someone else's. */
  seedDroplet(d: { name: string; tags?: string[]; size?: string; region?: string; status?: FakeDroplet['status'] }): number {
    const id = this.nextId++;
    const n = this.nextIp++;
    this.droplets.set(id, {
      id,
      name: d.name,
      status: d.status ?? 'active',
      region: d.region ?? 'fra1',
      size: d.size ?? 's-1vcpu-1gb',
      image: 'debian-12-x64',
      tags: this.registerTags(d.tags ?? []),
      ssh_keys: [],
      monitoring: false,
      ipv6: false,
      created_at: new Date().toISOString(),
      polls: 0,
      publicIp: `203.0.113.${n}`,
      privateIp: `10.110.0.${n}`,
    });
    if (d.status === 'new') {
      // Still starting: no addresses yet, its create action in progress.
      const a: FakeAction = { id: this.nextId++, dropletId: id, type: 'create', status: 'in-progress', started_at: new Date().toISOString(), completed_at: null, region: d.region ?? 'fra1' };
      this.actions.set(a.id, a);
      Object.assign(this.droplets.get(id)!, { actionId: a.id, publicIp: undefined, privateIp: undefined });
    }
    return id;
  }

  seedKey(name: string, publicKey: string): FakeKey {
    const k = { id: this.nextId++, name, public_key: publicKey, fingerprint: fingerprint(publicKey) };
    this.keys.set(k.id, k);
    return k;
  }

  /** The create action of the next droplet created with this name ends errored (and the droplet goes). */
  errorCreateAction(name: string): void {
    this.doomedNames.add(name);
  }
  private doomedNames = new Set<string>();

  /** Tags as DigitalOcean keeps them: the first capitalisation wins. */
  registerTags(tags: readonly string[]): string[] {
    return tags.map((t) => {
      const k = t.toLowerCase();
      if (!this.tagNames.has(k)) this.tagNames.set(k, t);
      return this.tagNames.get(k)!;
    });
  }

  /** Droplets as the API lists them (deleted ones linger until their time is up). */
  private listed(tag?: string): FakeDroplet[] {
    return [...this.droplets.values()].filter((d) => tag === undefined || d.tags.some((t) => t.toLowerCase() === tag.toLowerCase()));
  }

  rejectCreate(name: string, message = `Droplet name ${name} is not allowed here`): void {
    this.rejected.set(name, message);
  }

  clearRejections(): void {
    this.rejected.clear();
  }

  rateLimitNext(count: number, o: { resetInSec: number; retryAfterSec?: number }): void {
    this.rateLimited = { left: count, ...o };
  }

  /** The next `count` requests (only those with `method`, if given) answer `status`. */
  failNext(count: number, status = 500, method?: string): void {
    this.failing = { left: count, status, method };
  }

  /** Requests that change something. */
  writes(): FakeRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  // ---- HTTP ---------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    const rec: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query, status: 0, authorization: req.headers.authorization };
    this.requests.push(rec);
    const send = (status: number, payload?: unknown, extra: Record<string, string> = {}) => {
      rec.status = status;
      this.remaining = Math.max(0, this.remaining - 1);
      const headers: Record<string, string> = {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': String(this.remaining),
        'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
        'x-request-id': randomUUID(),
        ...extra,
      };
      this.violations.push(...checkResponse(rec, { status, headers, body: payload === undefined ? undefined : JSON.parse(JSON.stringify(payload)) }).map((v) => `fake response: ${v}`));
      if (payload === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(payload));
      }
    };
    const fail = (status: number, id: string, message: string, extra: Record<string, string> = {}) => send(status, { id, message, request_id: randomUUID() }, extra);

    let badJson = false;
    if (raw) {
      try {
        body = JSON.parse(raw);
        rec.body = body;
      } catch {
        badJson = true;
        this.violations.push(`drover request: ${rec.method} ${rec.path}: the body is not JSON`);
      }
    }
    if (!badJson) this.violations.push(...checkRequest({ method: rec.method, path: rec.path, query, body, contentType: req.headers['content-type'] }).map((v) => `drover request: ${v}`));
    if (this.rateLimited && this.rateLimited.left > 0) {
      this.rateLimited.left--;
      const reset = Math.floor(Date.now() / 1000) + this.rateLimited.resetInSec;
      return fail(429, 'too_many_requests', 'API Rate limit exceeded.', {
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(reset),
        ...(this.rateLimited.retryAfterSec !== undefined ? { 'retry-after': String(this.rateLimited.retryAfterSec) } : {}),
      });
    }
    if (this.failing && this.failing.left > 0 && (!this.failing.method || this.failing.method === req.method)) {
      this.failing.left--;
      return fail(this.failing.status, 'server_error', 'Unexpected server-side error');
    }
    if (req.headers.authorization !== `Bearer ${this.opts.token}`) return fail(401, 'Unauthorized', 'Unable to authenticate you');
    if (badJson) return fail(400, 'bad_request', 'The request body is not valid JSON');
    if (this.opts.scopes) {
      const op = operationFor(rec.method, rec.path, query);
      const granted = (s: string) => this.opts.scopes!.some((g) => g === s || (g.endsWith(':*') && s.startsWith(g.slice(0, -1))));
      const missing = op?.scopes({ query, body }).filter((s) => !granted(s)) ?? [];
      if (missing.length) return fail(403, 'Forbidden', `You are not authorized to perform this operation (missing scope ${missing.join(', ')})`);
    }

    const m = (re: RegExp) => re.exec(url.pathname);
    const method = req.method;
    let g: RegExpExecArray | null;
    if (url.pathname === '/v2/droplets' && method === 'GET') {
      // droplet_name parameter: "returning only exact matches. It is case-insensitive".
      const list = this.listed(query.tag_name).filter((d) => query.name === undefined || d.name.toLowerCase() === query.name.toLowerCase());
      const body = this.page(url, list.map((d) => this.dropletJson(d)), 'droplets');
      for (const d of list) this.observe(d);
      return send(200, body);
    }
    if (url.pathname === '/v2/droplets' && method === 'POST') return this.create(body as Record<string, unknown>, send, fail);
    if (url.pathname === '/v2/droplets' && method === 'DELETE') {
      if (!query.tag_name) return fail(422, 'unprocessable_entity', 'tag_name is required');
      for (const d of this.listed(query.tag_name)) if (d.deleting === undefined) this.startDelete(d);
      return send(204);
    }
    if ((g = m(/^\/v2\/droplets\/(\d+)$/))) {
      const d = this.droplets.get(Number(g[1]));
      if (!d) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
      if (method === 'GET') {
        const json = this.dropletJson(d);
        this.observe(d);
        return send(200, { droplet: json });
      }
      if (method === 'DELETE') {
        if (d.deleting !== undefined) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
        this.startDelete(d);
        return send(204);
      }
    }
    if ((g = m(/^\/v2\/droplets\/(\d+)\/actions$/)) && method === 'GET') {
      const id = Number(g[1]);
      if (!this.droplets.has(id)) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
      const list = [...this.actions.values()].filter((a) => a.dropletId === id);
      return send(200, this.page(url, list.map((a) => this.actionJson(a)), 'actions'));
    }
    if ((g = m(/^\/v2\/actions\/(\d+)$/)) && method === 'GET') {
      const a = this.actions.get(Number(g[1]));
      if (!a) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
      const d = this.droplets.get(a.dropletId);
      if (d) this.observe(d);
      return send(200, { action: this.actionJson(a) });
    }
    if (url.pathname === '/v2/account/keys' && method === 'GET') return send(200, this.page(url, [...this.keys.values()], 'ssh_keys'));
    if (url.pathname === '/v2/account/keys' && method === 'POST') {
      const b = (body ?? {}) as { name?: unknown; public_key?: unknown };
      if (typeof b.name !== 'string' || typeof b.public_key !== 'string') return fail(422, 'unprocessable_entity', 'name and public_key are required');
      let fp: string;
      try {
        fp = fingerprint(b.public_key);
      } catch {
        return fail(422, 'unprocessable_entity', 'Key invalid type, we support \'ssh-rsa\', \'ssh-dss\', \'ecdsa-sha2-nistp\', or \'ssh-ed25519\'');
      }
      if ([...this.keys.values()].some((k) => k.fingerprint === fp)) return fail(422, 'unprocessable_entity', 'SSH Key is already in use on your account');
      const k = { id: this.nextId++, name: b.name, public_key: b.public_key, fingerprint: fp };
      this.keys.set(k.id, k);
      return send(201, { ssh_key: k });
    }
    if (url.pathname === '/v2/sizes' && method === 'GET') return send(200, this.page(url, FAKE_SIZES, 'sizes'));
    if (url.pathname === '/v2/vpcs' && method === 'GET') return send(200, this.page(url, [...this.vpcs.values()].map((v) => this.vpcJson(v)), 'vpcs'));
    if (url.pathname === '/v2/vpcs' && method === 'POST') {
      const b = (body ?? {}) as { name?: string; region?: string; description?: string; ip_range?: string };
      if (!b.name || !b.region) return fail(422, 'unprocessable_entity', 'name and region are required');
      if (!FAKE_REGIONS.some((r) => r.slug === b.region)) return fail(422, 'unprocessable_entity', 'You specified an invalid region.');
      // vpc.yml, name: "Must be unique". NOT IN SPEC: the words of the refusal.
      if ([...this.vpcs.values()].some((v) => v.name === b.name)) return fail(422, 'unprocessable_entity', 'A VPC with that name already exists');
      const n = [...this.vpcs.values()].filter((v) => !v.default).length;
      const vpc = this.addVpc({ name: b.name, region: b.region, description: b.description ?? '', default: false, ip_range: b.ip_range ?? this.opts.machines?.ipRange ?? `10.${120 + n}.0.0/20` });
      return send(201, { vpc: this.vpcJson(vpc) });
    }
    if ((g = m(/^\/v2\/vpcs\/([^/]+)$/)) && method === 'DELETE') {
      const vpc = this.vpcs.get(g[1]!);
      if (!vpc) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
      // vpcs_delete.yml: the default VPC, or one that still has members -> 403.
      if (vpc.default) return fail(403, 'forbidden', 'Cannot delete the default VPC of a region');
      if ([...this.droplets.values()].some((d) => d.vpc_uuid === vpc.id)) return fail(403, 'forbidden', 'Cannot delete VPC with members');
      this.vpcs.delete(vpc.id);
      return send(204);
    }
    if (url.pathname === '/v2/account' && method === 'GET') {
      return send(200, {
        account: { droplet_limit: this.opts.dropletLimit ?? 25, floating_ip_limit: 3, email: 'sammy@example.com', name: 'Sammy', uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef', email_verified: true, status: 'active', status_message: '' },
      });
    }
    return fail(404, 'not_found', 'The resource you were accessing could not be found.');
  }

  private create(b: Record<string, unknown> | undefined, send: (s: number, p?: unknown) => void, fail: (s: number, id: string, m: string) => void): void {
    b ??= {};
    const names = typeof b.name === 'string' ? [b.name] : Array.isArray(b.names) ? (b.names as unknown[]) : undefined;
    if (!names || names.length === 0) return fail(422, 'unprocessable_entity', 'name is required');
    if (b.name !== undefined && b.names !== undefined) return fail(422, 'unprocessable_entity', 'only one of name or names may be given');
    if (names.length > 10) return fail(422, 'unprocessable_entity', 'You may only create up to 10 Droplets at a time.');
    for (const n of names) {
      if (typeof n !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(n)) return fail(422, 'unprocessable_entity', `Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)`);
      const why = this.rejected.get(n);
      if (why) return fail(422, 'unprocessable_entity', why);
    }
    for (const k of ['region', 'size', 'image']) if (b[k] === undefined || b[k] === '') return fail(422, 'unprocessable_entity', `${k} is required`);
    const size = FAKE_SIZES.find((s) => s.slug === b.size);
    if (!size) return fail(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
    // droplet_create.yml: "a slug prefix (e.g. `nyc`) can be used to deploy the Droplet in any of the that region's locations".
    const wanted = String(b.region);
    const regions = FAKE_REGIONS.filter((r) => r.slug === wanted || (/^[a-z]+$/.test(wanted) && r.slug.startsWith(wanted)));
    if (!regions.length) return fail(422, 'unprocessable_entity', 'You specified an invalid region for Droplet creation.');
    const region = regions.find((r) => size.available && size.regions.includes(r.slug));
    if (!region) return fail(422, 'unprocessable_entity', 'Size is not available in this region.');
    if (typeof b.user_data === 'string' && Buffer.byteLength(b.user_data, 'utf8') > 64 * 1024) return fail(422, 'unprocessable_entity', 'user_data must not exceed 64 KiB');
    const inAccount = this.droplets.size;
    if (inAccount + names.length > (this.opts.dropletLimit ?? 25)) return fail(422, 'unprocessable_entity', DROPLET_LIMIT_MESSAGE);
    const keys = Array.isArray(b.ssh_keys) ? (b.ssh_keys as Array<string | number>) : [];
    for (const k of keys) {
      if (![...this.keys.values()].some((x) => x.id === k || x.fingerprint === k)) return fail(422, 'unprocessable_entity', `ssh key ${k} was not found`);
    }
    // droplet_create.yml, vpc_uuid: "If excluded, the Droplet will be assigned to your account's default VPC for the region".
    const vpc = typeof b.vpc_uuid === 'string' ? this.vpcs.get(b.vpc_uuid) : [...this.vpcs.values()].find((v) => v.default && v.region === region.slug);
    if (!vpc) return fail(422, 'unprocessable_entity', `VPC ${String(b.vpc_uuid)} was not found`);
    if (vpc.region !== region.slug) return fail(422, 'unprocessable_entity', `VPC ${vpc.name} is in ${vpc.region}, not in ${region.slug}`);
    // With machines, the user_data must be the cloud-init subset the fake interprets: anything else is refused, not ignored.
    let config = interpretCloudConfig(undefined);
    if (this.opts.machines) {
      try {
        config = interpretCloudConfig(typeof b.user_data === 'string' ? b.user_data : undefined);
      } catch (e) {
        return fail(422, 'unprocessable_entity', `user_data: ${(e as Error).message}`);
      }
    }
    const asked = Array.isArray(b.tags) ? (b.tags as string[]) : [];
    for (const t of asked) if (!/^[A-Za-z0-9:_-]{1,255}$/.test(t)) return fail(422, 'unprocessable_entity', `invalid tag ${t}`);
    const tags = this.registerTags(asked);
    const created: FakeDroplet[] = [];
    const actions: FakeAction[] = [];
    for (const name of names as string[]) {
      const id = this.nextId++;
      const a: FakeAction = { id: this.nextId++, dropletId: id, type: 'create', status: 'in-progress', started_at: new Date().toISOString(), completed_at: null, region: region.slug };
      const d: FakeDroplet = {
        id,
        name,
        status: 'new',
        region: region.slug,
        size: String(b.size),
        image: b.image as string | number,
        tags,
        vpc_uuid: vpc.id,
        user_data: typeof b.user_data === 'string' ? b.user_data : undefined,
        ssh_keys: keys,
        monitoring: Boolean(b.monitoring),
        ipv6: Boolean(b.ipv6),
        created_at: new Date().toISOString(),
        polls: 0,
        actionId: a.id,
        doomed: this.doomedNames.delete(name),
      };
      this.droplets.set(id, d);
      this.actions.set(a.id, a);
      created.push(d);
      if (this.opts.machines) this.bootMachine(d, config, keys);
      actions.push(a);
    }
    const ordered = (this.opts.actionLinkOrder ?? 'reversed') === 'reversed' ? [...actions].reverse() : actions;
    const links = { actions: ordered.map((a) => ({ id: a.id, rel: 'create', href: `${this.url}/v2/actions/${a.id}` })) };
    if (typeof b.name === 'string') send(202, { droplet: this.dropletJson(created[0]!), links });
    else send(202, { droplets: created.map((d) => this.dropletJson(d)), links });
  }

  private startDelete(d: FakeDroplet): void {
    d.deleting = this.opts.deleteAfterPolls ?? 2;
    const m = d.machine;
    if (!m) return;
    this.opts.machines!.remove({ id: d.id, name: d.name }).then(
      () => (m.removed = true),
      (e: Error) => {
        this.violations.push(`fake machines: removing ${d.name} failed: ${e.message}`);
        m.removed = true;
      },
    );
  }

  /** Boot the droplet's machine in the background: authorized keys are the droplet's ssh_keys plus cloud-config's ssh_authorized_keys. */
  private bootMachine(d: FakeDroplet, config: CloudConfig, keyRefs: ReadonlyArray<string | number>): void {
    const authorizedKeys = [...keyRefs.map((k) => [...this.keys.values()].find((x) => x.id === k || x.fingerprint === k)!.public_key), ...config.authorizedKeys];
    d.machine = {};
    this.opts.machines!.boot({ id: d.id, name: d.name, config, authorizedKeys }).then(
      (r) => (d.machine!.ip = r.ip),
      (e: Error) => {
        // Not a contract matter, but the test must see why: the create action errors and this says why.
        process.stderr.write(`fake DigitalOcean: the machine for droplet ${d.name} (id ${d.id}) did not boot: ${e.message}\n`);
        d.machine!.error = e.message;
      },
    );
  }

  /** A GET saw this droplet: new droplets come up after enough looks. */
  private observe(d: FakeDroplet): void {
    if (d.deleting !== undefined) {
      // With machines, the droplet leaves the list once its machine is gone too.
      if (--d.deleting <= 0 && (!d.machine || d.machine.removed)) this.droplets.delete(d.id);
      return;
    }
    if (d.status !== 'new') return;
    d.polls++;
    if (d.machine?.error) d.doomed = true;
    // A droplet backed by a machine is active only once the machine is up.
    else if (d.machine && d.machine.ip === undefined) return;
    if (d.polls >= (this.opts.activeAfterPolls ?? 2) && d.doomed) {
      const a = d.actionId !== undefined ? this.actions.get(d.actionId) : undefined;
      if (a) Object.assign(a, { status: 'errored', completed_at: new Date().toISOString() });
      this.droplets.delete(d.id);
      return;
    }
    if (d.polls >= (this.opts.activeAfterPolls ?? 2)) {
      const n = this.nextIp++;
      d.status = 'active';
      d.publicIp = d.machine?.ip ?? `203.0.113.${n % 250}`;
      d.privateIp = d.machine?.ip ?? `10.110.0.${n % 250}`;
      const a = d.actionId !== undefined ? this.actions.get(d.actionId) : undefined;
      if (a) {
        a.status = 'completed';
        a.completed_at = new Date().toISOString();
      }
    }
  }

  private page<T>(url: URL, items: T[], key: string): Record<string, unknown> {
    const perPage = Math.min(Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20), this.opts.maxPerPage ?? 200);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const u = new URL(url.pathname, this.url);
      url.searchParams.forEach((v, k) => u.searchParams.set(k, v));
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return u.toString();
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
    if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
    // The real API leaves `links` out when everything fits on one page.
    return { [key]: items.slice((page - 1) * perPage, page * perPage), ...(last > 1 ? { links: { pages } } : {}), meta: { total: items.length } };
  }

  private dropletJson(d: FakeDroplet): Record<string, unknown> {
    const size = FAKE_SIZES.find((s) => s.slug === d.size)!;
    const region = FAKE_REGIONS.find((r) => r.slug === d.region)!;
    return {
      id: d.id,
      name: d.name,
      memory: size?.memory ?? 1024,
      vcpus: size?.vcpus ?? 1,
      disk: size?.disk ?? 25,
      locked: false,
      status: d.status,
      created_at: d.created_at,
      features: d.monitoring ? ['monitoring'] : [],
      backup_ids: [],
      snapshot_ids: [],
      next_backup_window: null,
      kernel: null,
      volume_ids: [],
      image: {
        id: typeof d.image === 'number' ? d.image : 106569146,
        name: typeof d.image === 'number' ? `image ${d.image}` : '12 x64',
        distribution: 'Debian',
        slug: typeof d.image === 'number' ? null : d.image,
        public: typeof d.image !== 'number',
        regions: FAKE_REGIONS.map((r) => r.slug),
        created_at: '2024-06-10T19:02:12Z',
        type: typeof d.image === 'number' ? 'snapshot' : 'base',
        min_disk_size: 15,
        size_gigabytes: 1.5,
        description: 'Debian 12 x64',
        tags: [],
        status: 'available',
      },
      size: { ...size },
      size_slug: d.size,
      networks: {
        v4:
          d.status === 'new'
            ? []
            : [
                // network_v4.yml: "For private interfaces, a gateway is not provided".
                { ip_address: d.privateIp, netmask: '255.255.240.0', type: 'private' },
                { ip_address: d.publicIp, netmask: '255.255.255.0', gateway: '203.0.113.254', type: 'public' },
              ],
        v6: [],
      },
      region: { ...region },
      tags: d.tags,
      vpc_uuid: d.vpc_uuid ?? [...this.vpcs.values()].find((v) => v.default && v.region === d.region)!.id,
    };
  }

  private actionJson(a: FakeAction): Record<string, unknown> {
    return { id: a.id, status: a.status, type: a.type, started_at: a.started_at, completed_at: a.completed_at, resource_id: a.dropletId, resource_type: 'droplet', region_slug: a.region };
  }
}

export function fingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) throw new Error('no key blob');
  return createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').match(/../g)!.join(':');
}

export async function startFakeDigitalOcean(opts: FakeOptions): Promise<FakeDigitalOcean> {
  return new FakeDigitalOcean(opts).start();
}
