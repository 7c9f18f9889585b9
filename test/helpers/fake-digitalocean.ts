import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
 *
 * Bearer-token auth (401 otherwise); errors are {id, message, request_id};
 * every answer carries ratelimit-limit/-remaining/-reset. A new droplet is
 * `new` with no addresses and its create action `in-progress`; after
 * `activeAfterPolls` observations (GETs that return it or its action) it is
 * `active` with a public and a private IPv4 and the action `completed`.
 *
 * Faults: `rejectCreate(name, message)` (422 for any create naming it),
 * `rateLimitNext(k, {resetInSec, retryAfterSec})` and `failNext(k, status)`.
 * Every request is recorded in `requests` (method, path, query, status).
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

export const FAKE_SIZES = [
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, price_monthly: 6, price_hourly: 0.00893 },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, price_monthly: 24, price_hourly: 0.03571 },
  { slug: 's-4vcpu-8gb', memory: 8192, vcpus: 4, disk: 160, price_monthly: 48, price_hourly: 0.07143 },
  { slug: 's-8vcpu-16gb', memory: 16384, vcpus: 8, disk: 320, price_monthly: 96, price_hourly: 0.14286 },
].map((s) => ({ ...s, transfer: 4, regions: ['fra1', 'ams3', 'nyc3'], available: true, description: 'Basic' }));

export interface FakeOptions {
  token: string;
  /** Observations before a new droplet becomes active (default 2). */
  activeAfterPolls?: number;
  /** The largest per_page honoured (DigitalOcean: 200). */
  maxPerPage?: number;
}

export class FakeDigitalOcean {
  url = '';
  readonly requests: FakeRequest[] = [];
  readonly droplets = new Map<number, FakeDroplet>();
  readonly actions = new Map<number, FakeAction>();
  readonly keys = new Map<number, FakeKey>();
  private server: Server | undefined;
  private nextId = 3_000_000;
  private nextIp = 1;
  private rejected = new Map<string, string>();
  private rateLimited: { left: number; resetInSec: number; retryAfterSec?: number } | undefined;
  private failing: { left: number; status: number; method?: string } | undefined;
  private remaining = 5000;

  constructor(private readonly opts: FakeOptions) {}

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

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
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
      tags: d.tags ?? [],
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
      if (payload === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(payload));
      }
    };
    const fail = (status: number, id: string, message: string, extra: Record<string, string> = {}) => send(status, { id, message, request_id: randomUUID() }, extra);

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
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return fail(400, 'bad_request', 'The request body is not valid JSON');
      }
      rec.body = body;
    }

    const m = (re: RegExp) => re.exec(url.pathname);
    const method = req.method;
    let g: RegExpExecArray | null;
    if (url.pathname === '/v2/droplets' && method === 'GET') {
      const list = [...this.droplets.values()].filter((d) => !query.tag_name || d.tags.includes(query.tag_name));
      for (const d of list) this.observe(d);
      return send(200, this.page(url, list.map((d) => this.dropletJson(d)), 'droplets'));
    }
    if (url.pathname === '/v2/droplets' && method === 'POST') return this.create(body as Record<string, unknown>, send, fail);
    if (url.pathname === '/v2/droplets' && method === 'DELETE') {
      if (!query.tag_name) return fail(422, 'unprocessable_entity', 'tag_name is required');
      for (const d of [...this.droplets.values()]) if (d.tags.includes(query.tag_name)) this.droplets.delete(d.id);
      return send(204);
    }
    if ((g = m(/^\/v2\/droplets\/(\d+)$/))) {
      const d = this.droplets.get(Number(g[1]));
      if (!d) return fail(404, 'not_found', 'The resource you were accessing could not be found.');
      if (method === 'GET') {
        this.observe(d);
        return send(200, { droplet: this.dropletJson(d) });
      }
      if (method === 'DELETE') {
        this.droplets.delete(d.id);
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
    if (!FAKE_SIZES.some((s) => s.slug === b.size)) return fail(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
    const keys = Array.isArray(b.ssh_keys) ? (b.ssh_keys as Array<string | number>) : [];
    for (const k of keys) {
      if (![...this.keys.values()].some((x) => x.id === k || x.fingerprint === k)) return fail(422, 'unprocessable_entity', `ssh key ${k} was not found`);
    }
    const tags = Array.isArray(b.tags) ? (b.tags as string[]) : [];
    for (const t of tags) if (!/^[A-Za-z0-9:_-]{1,255}$/.test(t)) return fail(422, 'unprocessable_entity', `invalid tag ${t}`);
    const created: FakeDroplet[] = [];
    const actions: FakeAction[] = [];
    for (const name of names as string[]) {
      const id = this.nextId++;
      const a: FakeAction = { id: this.nextId++, dropletId: id, type: 'create', status: 'in-progress', started_at: new Date().toISOString(), completed_at: null, region: String(b.region) };
      const d: FakeDroplet = {
        id,
        name,
        status: 'new',
        region: String(b.region),
        size: String(b.size),
        image: b.image as string | number,
        tags,
        vpc_uuid: typeof b.vpc_uuid === 'string' ? b.vpc_uuid : undefined,
        user_data: typeof b.user_data === 'string' ? b.user_data : undefined,
        ssh_keys: keys,
        monitoring: Boolean(b.monitoring),
        ipv6: Boolean(b.ipv6),
        created_at: new Date().toISOString(),
        polls: 0,
        actionId: a.id,
      };
      this.droplets.set(id, d);
      this.actions.set(a.id, a);
      created.push(d);
      actions.push(a);
    }
    const links = { actions: actions.map((a) => ({ id: a.id, rel: 'create', href: `${this.url}/v2/actions/${a.id}` })) };
    if (typeof b.name === 'string') send(202, { droplet: this.dropletJson(created[0]!), links });
    else send(202, { droplets: created.map((d) => this.dropletJson(d)), links });
  }

  /** A GET saw this droplet: new droplets come up after enough looks. */
  private observe(d: FakeDroplet): void {
    if (d.status !== 'new') return;
    d.polls++;
    if (d.polls >= (this.opts.activeAfterPolls ?? 2)) {
      const n = this.nextIp++;
      d.status = 'active';
      d.publicIp = `203.0.113.${n % 250}`;
      d.privateIp = `10.110.0.${n % 250}`;
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
    return { [key]: items.slice((page - 1) * perPage, page * perPage), links: { pages }, meta: { total: items.length } };
  }

  private dropletJson(d: FakeDroplet): Record<string, unknown> {
    const size = FAKE_SIZES.find((s) => s.slug === d.size);
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
      image: typeof d.image === 'number' ? { id: d.image } : { slug: d.image, distribution: 'Debian', name: d.image },
      size: size ? { ...size } : { slug: d.size },
      size_slug: d.size,
      networks: {
        v4:
          d.status === 'new'
            ? []
            : [
                { ip_address: d.privateIp, netmask: '255.255.240.0', gateway: '10.110.0.1', type: 'private' },
                { ip_address: d.publicIp, netmask: '255.255.255.0', gateway: '203.0.113.254', type: 'public' },
              ],
        v6: [],
      },
      region: { slug: d.region, name: d.region, available: true },
      tags: d.tags,
      vpc_uuid: d.vpc_uuid ?? '5a4981aa-9653-4bd1-bef5-d6bff52042e4',
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
