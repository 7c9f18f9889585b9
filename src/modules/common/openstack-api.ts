/**
 * The OpenStack REST client behind the os_* modules. Requests are made ON THE
 * TARGET with curl over the task's SSH channel, for three reasons: the target
 * resolves the names the catalog uses (`http://controller:5000/v3` comes from
 * the node's /etc/hosts, which drover's machine does not have); an image file
 * lives on the node and is uploaded from there without a detour; and it works
 * wherever SSH works (Vagrant, local nodes, droplets with private API
 * addresses). One curl process costs a few ms on the open channel — the
 * `openstack` CLI costs 1–2 s per call.
 *
 * Secrets (password, token, request bodies) travel in a curl config read from
 * stdin (`curl -K -`), never on a command line. Tokens are cached per host and
 * credentials for the run, so a role's dozen catalog tasks authenticate once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { apiBatchFact, apiFact, curlResult, CurlMissing, CURL_COMMAND, type HttpRequest, type HttpResponse } from '../../facts/openstack.js';
import { ModuleError } from '../../util/errors.js';
import type { Plan, TaskContext } from '../types.js';

/** Ansible's `auth:` dict (password auth; the os_ prefixed keys are the blog's spelling). */
export const authSchema = z
  .object({
    auth_url: z.string().min(1),
    username: z.string().min(1),
    password: z.string().min(1),
    project_name: z.string().optional(),
    project_domain_name: z.string().optional(),
    user_domain_name: z.string().optional(),
    os_project_name: z.string().optional(),
    os_project_domain_name: z.string().optional(),
    os_user_domain_name: z.string().optional(),
    system_scope: z.string().optional().describe('"all" for a system-scoped token instead of a project one.'),
  })
  .passthrough();

export type OsAuth = z.infer<typeof authSchema>;

/** Arguments every os_* module takes (Ansible's openstack.cloud common options). */
export const commonArgs = {
  auth: authSchema.describe('Admin credentials: auth_url, username, password, project_name, domains.'),
  auth_type: z.string().optional().describe('Only "password" is supported.'),
  region_name: z.string().optional().describe('Region of the endpoints used (default: the first one found).'),
  interface: z.enum(['public', 'internal', 'admin']).default('public').describe('Catalog interface used to reach the services.'),
  validate_certs: z.union([z.boolean(), z.string()]).optional().describe('Verify TLS certificates of https endpoints (false or "no": do not).'),
  ca_cert: z.string().optional().describe('CA bundle on the target for https endpoints.'),
  api_timeout: z.coerce.number().positive().default(60).describe('Seconds to keep retrying while the API is not reachable yet (a service that was just restarted).'),
  wait: z.union([z.boolean(), z.string()]).optional().describe('Accepted for compatibility; ignored.'),
  timeout: z.coerce.number().optional().describe('Accepted for compatibility; ignored (see api_timeout).'),
};

export interface CommonArgs {
  auth: OsAuth;
  auth_type?: string;
  region_name?: string;
  interface: 'public' | 'internal' | 'admin';
  validate_certs?: boolean | string;
  ca_cert?: string;
  api_timeout: number;
}

export class ApiUnreachable extends ModuleError {}

/**
 * One HTTP request through curl on the target; retries while the API is not
 * reachable or answers 502/503. Reads (GET, HEAD, a token request) are the
 * `openstack.api` fact; writes are plain commands.
 */
export async function httpRequest(ctx: TaskContext, req: HttpRequest, opts: { caCert?: string; insecure?: boolean; retryForSec?: number } = {}): Promise<HttpResponse> {
  const deadline = Date.now() + (opts.retryForSec ?? 0) * 1000;
  const params = { req, caCert: opts.caCert, insecure: opts.insecure };
  const isRead = req.method === 'GET' || req.method === 'HEAD' || /\/auth\/tokens$/.test(req.url);
  for (let attempt = 1; ; attempt++) {
    const res = isRead
      ? await ctx.fact(apiFact, params)
      : curlResult(await ctx.exec(CURL_COMMAND, { stdin: apiFact.stdin!(params), timeoutMs: apiFact.timeoutMs!(params) }), req);
    if (!('unreachable' in res) && res.status !== 502 && res.status !== 503) return res;
    if (Date.now() >= deadline) {
      const why = 'unreachable' in res ? res.unreachable : `HTTP ${res.status}`;
      throw new ApiUnreachable(`${req.method} ${req.url}: API not reachable: ${why}`, CURL_COMMAND, 'unreachable' in res ? res.unreachable : '', 'unreachable' in res ? res.rc : 0);
    }
    ctx.log(`${req.method} ${req.url}: not reachable yet (attempt ${attempt}), retrying`);
    await new Promise((res2) => setTimeout(res2, Math.min(500 * attempt, 3000)));
  }
}

/**
 * Several independent reads in one curl process (sequential transfers over
 * one kept-alive connection): a plan's lookups cost one process start on the
 * target instead of one each. undefined when any of them got no answer: the
 * caller asks one at a time (and waits, retries, or calls the API unreachable
 * as a single request does).
 */
export async function httpReads(ctx: TaskContext, reqs: HttpRequest[], opts: { caCert?: string; insecure?: boolean } = {}): Promise<HttpResponse[] | undefined> {
  const answers = await ctx.fact(apiBatchFact, { reqs, caCert: opts.caCert, insecure: opts.insecure, nonce: BATCH_NONCE });
  return answers ?? undefined;
}
/** One per run (no body can hold it), the same for every batch so that a loop's equal batches share a reading. */
const BATCH_NONCE = randomBytes(6).toString('hex');

export interface CatalogEndpoint {
  interface: string;
  region_id?: string;
  region?: string;
  url: string;
}
export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface Session {
  token: string;
  catalog: CatalogEntry[];
  authUrl: string;
}

const sessions = new Map<string, Session>();

function pick<T>(...v: Array<T | undefined>): T | undefined {
  return v.find((x) => x !== undefined && x !== '');
}

/** Pure: the body of POST /v3/auth/tokens for these credentials. */
export function authBody(auth: OsAuth): unknown {
  const userDomain = pick(auth.user_domain_name, auth.os_user_domain_name, 'Default')!;
  const project = pick(auth.project_name, auth.os_project_name);
  const projectDomain = pick(auth.project_domain_name, auth.os_project_domain_name, 'Default')!;
  const scope = auth.system_scope ? { system: { all: true } } : project ? { project: { name: project, domain: { name: projectDomain } } } : undefined;
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: auth.username, domain: { name: userDomain }, password: auth.password } } },
      ...(scope ? { scope } : {}),
    },
  };
}

/** The v3 base URL from an auth_url with or without /v3. */
export function identityBase(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(u) ? u : `${u}/v3`;
}

function tlsOpts(a: CommonArgs) {
  const v = a.validate_certs;
  const insecure = v === false || (typeof v === 'string' && /^(no|false|off|0)$/i.test(v));
  return { caCert: a.ca_cert, insecure };
}

/** A token for these credentials (cached per host for the run). */
export async function session(ctx: TaskContext, a: CommonArgs, fresh = false): Promise<Session> {
  ctx.secret(a.auth.password);
  if (a.auth_type && a.auth_type !== 'password') throw new ModuleError(`auth_type ${a.auth_type} is not supported (only password)`);
  const key = createHash('sha256').update(JSON.stringify([ctx.host, a.auth])).digest('hex');
  const cached = sessions.get(key);
  if (cached && !fresh) return cached;
  const base = identityBase(a.auth.auth_url);
  const res = await httpRequest(ctx, { method: 'POST', url: `${base}/auth/tokens`, json: authBody(a.auth) }, { ...tlsOpts(a), retryForSec: a.api_timeout });
  if (res.status !== 201) throw new ModuleError(`authentication as ${a.auth.username} at ${base} failed: HTTP ${res.status} ${apiMessage(res.body)}`);
  const token = res.headers['x-subject-token'];
  if (!token) throw new ModuleError(`authentication at ${base}: no X-Subject-Token in the answer`);
  ctx.secret(token);
  const body = JSON.parse(res.body) as { token?: { catalog?: CatalogEntry[] } };
  const s: Session = { token, catalog: body.token?.catalog ?? [], authUrl: base };
  sessions.set(key, s);
  return s;
}

/** Pure: a service's endpoint URL from the catalog. */
export function endpointFor(catalog: CatalogEntry[], type: string, iface: string, region?: string): string | undefined {
  const entry = catalog.find((c) => c.type === type);
  const ep = entry?.endpoints.find((e) => e.interface === iface && (!region || e.region_id === region || e.region === region));
  return ep?.url.replace(/\/+$/, '');
}

/** The message of an OpenStack error body ({"error": {"message": …}} and friends). */
export function apiMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const e = (j.error ?? j.badRequest ?? j.itemNotFound ?? j.conflictingRequest ?? j) as Record<string, unknown>;
    const m = e.message ?? e.title ?? e.explanation;
    if (typeof m === 'string') return m;
  } catch {
    /* not JSON */
  }
  return body.trim().slice(0, 300);
}

/**
 * A client bound to one service: `call('GET', '/projects?name=x')`. Relative
 * paths are resolved against the service's catalog URL (identity: the
 * auth_url). A 401 (token expired or revoked) re-authenticates once.
 */
export class OsClient {
  /** Answers read ahead by prefetch(), each for the one call() that asks for it. */
  private prefetched = new Map<string, HttpResponse>();

  constructor(
    private ctx: TaskContext,
    private a: CommonArgs,
    private s: Session,
  ) {}

  /**
   * Read several GETs of one service in one curl process — the independent
   * lookups the plan makes next; each answer is taken by the first call()
   * of exactly that GET, and only by it. Nothing is kept when any of them got
   * no answer: each call then asks on its own.
   */
  async prefetch(service: string, paths: string[]): Promise<void> {
    const unique = [...new Set(paths)].filter((p) => !this.prefetched.has(`${service} ${p}`));
    if (unique.length < 2) return;
    await this.catalogWith(service);
    const reqs = unique.map((p): HttpRequest => ({ method: 'GET', url: `${this.url(service)}${p}`, headers: { 'X-Auth-Token': this.s.token } }));
    const answers = await httpReads(this.ctx, reqs, tlsOpts(this.a));
    // A 401 (token expired) or a 502/503 is left to the call, which re-authenticates or waits.
    answers?.forEach((r, i) => {
      if (r.status !== 401 && r.status !== 502 && r.status !== 503) this.prefetched.set(`${service} ${unique[i]}`, r);
    });
  }

  static async connect(ctx: TaskContext, a: CommonArgs): Promise<OsClient> {
    return new OsClient(ctx, a, await session(ctx, a));
  }

  /** A cached token's catalog predates endpoints created later in the run (glance's, placement's): refresh once. */
  private async catalogWith(service: string): Promise<void> {
    if (service !== 'identity' && !endpointFor(this.s.catalog, service, this.a.interface, this.a.region_name)) this.s = await session(this.ctx, this.a, true);
  }

  /** Base URL of a service type. */
  url(type: string): string {
    if (type === 'identity') return this.s.authUrl;
    const u = endpointFor(this.s.catalog, type, this.a.interface, this.a.region_name);
    if (!u) throw new ModuleError(`no ${this.a.interface} endpoint of type ${type}${this.a.region_name ? ` in region ${this.a.region_name}` : ''} in the catalog`);
    return u;
  }

  async call(service: string, method: HttpRequest['method'], path: string, extra: Partial<HttpRequest> = {}): Promise<HttpResponse> {
    const key = `${service} ${path}`;
    const ahead = method === 'GET' && Object.keys(extra).length === 0 ? this.prefetched.get(key) : undefined;
    if (ahead) {
      this.prefetched.delete(key);
      return ahead;
    }
    await this.catalogWith(service);
    const url = /^https?:/.test(path) ? path : `${this.url(service)}${path}`;
    const send = () =>
      httpRequest(this.ctx, { method, url, ...extra, headers: { 'X-Auth-Token': this.s.token, ...(extra.headers ?? {}) } }, { ...tlsOpts(this.a), retryForSec: this.a.api_timeout });
    let res = await send();
    if (res.status === 401) {
      this.s = await session(this.ctx, this.a, true);
      res = await send();
    }
    return res;
  }

  /** call() that expects one of `ok` statuses and returns the parsed JSON body (or null when empty). */
  async json<T = any>(service: string, method: HttpRequest['method'], path: string, extra: Partial<HttpRequest> = {}, ok: number[] = [200, 201, 202, 204]): Promise<T> {
    const res = await this.call(service, method, path, extra);
    if (!ok.includes(res.status)) throw new ModuleError(`${method} ${service} ${path}: HTTP ${res.status}: ${apiMessage(res.body)}`);
    return (res.body.trim() ? JSON.parse(res.body) : null) as T;
  }
}

/** Read-time lookups shared by the identity modules. */
export const identity = {
  /** A domain's id from its name or id (Ansible accepts both); "default"/"Default" is the default domain. */
  async domainId(c: OsClient, nameOrId: string | undefined): Promise<string> {
    if (!nameOrId || /^default$/i.test(nameOrId)) return 'default';
    const byName = await c.json<{ domains: Array<{ id: string }> }>('identity', 'GET', `/domains?name=${encodeURIComponent(nameOrId)}`);
    if (byName.domains[0]) return byName.domains[0].id;
    const res = await c.call('identity', 'GET', `/domains/${encodeURIComponent(nameOrId)}`);
    if (res.status === 200) return (JSON.parse(res.body) as { domain: { id: string } }).domain.id;
    throw new ModuleError(`domain ${nameOrId} not found`);
  },

  /** The GET findByName makes first (for OsClient.prefetch). */
  byNamePath(collection: string, name: string, query = ''): string {
    return `/${collection}?name=${encodeURIComponent(name)}${query}`;
  },

  /** One named object of a collection (projects, users, roles, services, groups); undefined when absent. */
  async findByName<T extends { id: string; name?: string }>(c: OsClient, collection: string, name: string, query = ''): Promise<T | undefined> {
    const list = await c.json<Record<string, T[]>>('identity', 'GET', identity.byNamePath(collection, name, query));
    const found = (list[collection] ?? []).filter((x) => x.name === name);
    if (found.length > 1) throw new ModuleError(`${found.length} ${collection} are named ${name}: give an id`);
    if (found[0]) return found[0];
    // Ansible also accepts an id where a name is expected.
    if (/^[0-9a-f]{32}$/.test(name)) {
      const res = await c.call('identity', 'GET', `/${collection}/${name}`);
      if (res.status === 200) return Object.values(JSON.parse(res.body) as Record<string, T>)[0];
    }
    return undefined;
  },
};

/**
 * Plan with a client. In check mode an API that does not answer (the service
 * is not installed yet) makes the task "unknown" instead of failing, and is
 * not waited for: nothing was restarted. So does curl missing on a host an
 * earlier task is predicted to change (it may install curl).
 */
export async function planWithClient<D>(ctx: TaskContext, a: CommonArgs, what: string, read: (c: OsClient) => Promise<Plan<D>>): Promise<Plan<D>> {
  const args = ctx.check ? { ...a, api_timeout: 0 } : a;
  try {
    return await read(await OsClient.connect(ctx, args));
  } catch (e) {
    if (ctx.check && e instanceof ApiUnreachable) return { changes: [], unknown: `${what}: ${e.message}` };
    if (ctx.check && ctx.earlierChangesPredicted && e instanceof CurlMissing) return { changes: [], unknown: `${what}: curl is not installed yet (an earlier task may install it)` };
    throw e;
  }
}

/** For tests: forget cached tokens. */
export function clearSessions(): void {
  sessions.clear();
}
