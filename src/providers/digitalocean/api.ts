import type { DoAccount, DoAction, DoCreateRequest, DoDroplet, DoLinks, DoSize, DoSshKey, DoVpc } from './types.js';

/**
 * A small DigitalOcean API v2 client on Node's built-in fetch (no SDK: the
 * dozen calls drover makes do not justify a dependency, and owning the HTTP
 * loop is what lets us honour 429s, retry 5xx and bound every request).
 *
 * - Every attempt has its own timeout (AbortSignal.timeout).
 * - 429: waits for `Retry-After` (seconds) or `ratelimit-reset` (Unix epoch
 *   seconds), then retries; a wait longer than `maxRateLimitWaitMs` fails
 *   instead (the hourly quota is spent).
 * - 5xx and network errors: retried with exponential backoff, but only for
 *   requests that are safe to repeat (GET, DELETE, or marked idempotent). A
 *   droplet create that fails with a 5xx is not repeated blindly: the caller
 *   re-lists and creates what is still missing.
 * - Errors carry DigitalOcean's `id`, `message` and `request_id`, never the token.
 */

export const DEFAULT_API_URL = 'https://api.digitalocean.com';

export interface DoClientOptions {
  /** Origin of the API, e.g. https://api.digitalocean.com (paths start with /v2). */
  baseUrl?: string;
  token: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 5xx/network errors and for 429s. */
  maxRetries?: number;
  retryBaseMs?: number;
  maxRateLimitWaitMs?: number;
  perPage?: number;
  /** Told about every wait (rate limit, retry), for the operator. */
  onWait?: (info: { reason: 'rate-limit' | 'server-error' | 'network'; waitMs: number; method: string; path: string; detail: string }) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class DoApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly errorId: string | undefined,
    readonly apiMessage: string,
    readonly requestId: string | undefined,
  ) {
    super(`DigitalOcean API ${method} ${path} -> ${status}${errorId ? ` ${errorId}` : ''}: ${apiMessage}${requestId ? ` (request_id ${requestId})` : ''}`);
    this.name = 'DoApiError';
  }
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Safe to send twice (default: GET and DELETE). */
  idempotent?: boolean;
}

interface Response<T> {
  status: number;
  body: T;
  headers: Headers;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class DoClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly maxRateLimitWaitMs: number;
  private readonly perPage: number;
  private readonly onWait: DoClientOptions['onWait'];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(o: DoClientOptions) {
    this.baseUrl = checkBaseUrl(o.baseUrl ?? DEFAULT_API_URL);
    this.token = o.token;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxRetries = o.maxRetries ?? 5;
    this.retryBaseMs = o.retryBaseMs ?? 500;
    this.maxRateLimitWaitMs = o.maxRateLimitWaitMs ?? 5 * 60_000;
    this.perPage = o.perPage ?? 200;
    this.onWait = o.onWait;
    this.sleep = o.sleep ?? sleepMs;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Response<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const shown = url.pathname + url.search;
    const idempotent = opts.idempotent ?? (method === 'GET' || method === 'DELETE');
    let serverRetries = 0;
    let rateRetries = 0;
    for (;;) {
      let res: globalThis.Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            'user-agent': 'drover',
          },
          body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        const timedOut = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
        const detail = timedOut ? `no answer within ${this.timeoutMs / 1000}s` : networkDetail(e);
        if (idempotent && serverRetries < this.maxRetries) {
          const waitMs = this.backoff(serverRetries++);
          this.onWait?.({ reason: 'network', waitMs, method, path: shown, detail });
          await this.sleep(waitMs);
          continue;
        }
        throw new DoApiError(method, shown, 0, timedOut ? 'timeout' : 'network_error', `${detail} (${url.origin})`, undefined);
      }
      const text = await res.text();
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
      }
      if (res.ok) return { status: res.status, body: body as T, headers: res.headers };

      const err = body && typeof body === 'object' ? (body as { id?: string; message?: string; request_id?: string }) : {};
      const apiError = () =>
        new DoApiError(method, shown, res.status, err.id, err.message ?? (text.slice(0, 200) || res.statusText), err.request_id ?? res.headers.get('x-request-id') ?? undefined);
      if (res.status === 429 && rateRetries < this.maxRetries) {
        const waitMs = rateLimitWaitMs(res.headers, Date.now());
        if (waitMs > this.maxRateLimitWaitMs) {
          throw new DoApiError(method, shown, 429, err.id, `${err.message ?? 'rate limited'}; the limit resets in ${Math.ceil(waitMs / 1000)}s, longer than drover waits`, err.request_id);
        }
        rateRetries++;
        this.onWait?.({ reason: 'rate-limit', waitMs, method, path: shown, detail: rateLimitDetail(res.headers) });
        await this.sleep(waitMs);
        continue;
      }
      if (res.status >= 500 && idempotent && serverRetries < this.maxRetries) {
        const waitMs = this.backoff(serverRetries++);
        this.onWait?.({ reason: 'server-error', waitMs, method, path: shown, detail: `${res.status} ${err.message ?? res.statusText}` });
        await this.sleep(waitMs);
        continue;
      }
      throw apiError();
    }
  }

  /** Exponential backoff with jitter: base, 2×base, 4×base … capped at 10 s. */
  private backoff(attempt: number): number {
    const ms = Math.min(10_000, this.retryBaseMs * 2 ** attempt);
    return Math.round(ms * (0.8 + Math.random() * 0.4));
  }

  /** Every item of a paginated list, following `links.pages.next`. */
  async listAll<T>(path: string, key: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
    const out: T[] = [];
    let next: { path: string; query: Record<string, string | number | undefined> } | undefined = { path, query: { ...query, per_page: this.perPage } };
    const seen = new Set<string>();
    while (next) {
      const r: Response<Record<string, unknown> & { links?: DoLinks }> = await this.request('GET', next.path, { query: next.query });
      const items = r.body?.[key];
      if (!Array.isArray(items)) throw new DoApiError('GET', next.path, r.status, 'bad_response', `expected "${key}" to be a list`, undefined);
      out.push(...(items as T[]));
      const link = r.body.links?.pages?.next;
      if (!link || items.length === 0) break;
      // Re-root the link onto our base URL: it names the page; where we send it is ours to decide.
      const u = new URL(link, this.baseUrl);
      const q: Record<string, string> = {};
      u.searchParams.forEach((v, k) => (q[k] = v));
      const id = u.pathname + '?' + u.searchParams.toString();
      if (seen.has(id) || seen.size > 10_000) break;
      seen.add(id);
      next = { path: u.pathname, query: q };
    }
    return out;
  }

  listDroplets(tag?: string): Promise<DoDroplet[]> {
    return this.listAll<DoDroplet>('/v2/droplets', 'droplets', { tag_name: tag });
  }

  /** Droplets with exactly this name (DigitalOcean matches it case-insensitively). */
  listDropletsNamed(name: string): Promise<DoDroplet[]> {
    return this.listAll<DoDroplet>('/v2/droplets', 'droplets', { name });
  }

  /** How many droplets the account has: `meta.total` of a one-item page. */
  async countDroplets(): Promise<number> {
    const r = await this.request<{ droplets?: unknown[]; meta?: { total?: number } }>('GET', '/v2/droplets', { query: { per_page: 1 } });
    const total = r.body?.meta?.total;
    if (typeof total !== 'number') throw new DoApiError('GET', '/v2/droplets?per_page=1', r.status, 'bad_response', 'expected meta.total', undefined);
    return total;
  }

  /** GET /v2/account (needs the `account:read` scope). */
  async getAccount(): Promise<DoAccount> {
    return (await this.request<{ account: DoAccount }>('GET', '/v2/account')).body.account;
  }

  async getDroplet(id: number): Promise<DoDroplet> {
    return (await this.request<{ droplet: DoDroplet }>('GET', `/v2/droplets/${id}`)).body.droplet;
  }

  /** POST /v2/droplets with `name` or `names`; returns the droplets and their create action ids. */
  async createDroplets(req: DoCreateRequest): Promise<{ droplets: DoDroplet[]; actionIds: number[] }> {
    const r = await this.request<{ droplet?: DoDroplet; droplets?: DoDroplet[]; links?: DoLinks }>('POST', '/v2/droplets', { body: req, idempotent: false });
    const droplets = r.body.droplets ?? (r.body.droplet ? [r.body.droplet] : []);
    return { droplets, actionIds: (r.body.links?.actions ?? []).map((a) => a.id) };
  }

  async deleteDroplet(id: number): Promise<void> {
    await this.request('DELETE', `/v2/droplets/${id}`);
  }

  async getAction(id: number): Promise<DoAction> {
    return (await this.request<{ action: DoAction }>('GET', `/v2/actions/${id}`)).body.action;
  }

  listDropletActions(id: number): Promise<DoAction[]> {
    return this.listAll<DoAction>(`/v2/droplets/${id}/actions`, 'actions');
  }

  listSshKeys(): Promise<DoSshKey[]> {
    return this.listAll<DoSshKey>('/v2/account/keys', 'ssh_keys');
  }

  /** Uploading a key twice is refused (422), so a retry is harmless. */
  async createSshKey(name: string, publicKey: string): Promise<DoSshKey> {
    return (await this.request<{ ssh_key: DoSshKey }>('POST', '/v2/account/keys', { body: { name, public_key: publicKey }, idempotent: true })).body.ssh_key;
  }

  listSizes(): Promise<DoSize[]> {
    return this.listAll<DoSize>('/v2/sizes', 'sizes');
  }

  /** GET /v2/vpcs (needs `vpc:read`). */
  listVpcs(): Promise<DoVpc[]> {
    return this.listAll<DoVpc>('/v2/vpcs', 'vpcs');
  }

  /**
   * POST /v2/vpcs (needs `vpc:create`). VPC names are unique in an account, so
   * a repeated request is refused rather than making a second one: safe to retry.
   */
  async createVpc(req: { name: string; region: string; description?: string; ip_range?: string }): Promise<DoVpc> {
    return (await this.request<{ vpc: DoVpc }>('POST', '/v2/vpcs', { body: req, idempotent: true })).body.vpc;
  }

  /** DELETE /v2/vpcs/{id} (needs `vpc:delete`); refused (403) while the VPC has members. */
  async deleteVpc(id: string): Promise<void> {
    await this.request('DELETE', `/v2/vpcs/${encodeURIComponent(id)}`);
  }
}

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds) when present, else
 * until `ratelimit-reset` (Unix epoch seconds), else a minute (DigitalOcean's
 * per-minute window).
 *
 * `ratelimit-reset` is a time on DigitalOcean's clock, so it is measured
 * against the response's own `Date` header when there is one (this machine's
 * clock may be minutes off either way), plus half a second for the headers'
 * one-second resolution; without a Date header, against the local clock, and
 * a reset that looks past still waits a second (our clock may be ahead).
 */
export const RATE_LIMIT_SKEW_ALLOWANCE_MS = 500;
export function rateLimitWaitMs(headers: Headers, nowMs: number): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const s = Number(retryAfter);
    if (Number.isFinite(s)) return Math.max(0, Math.round(s * 1000));
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (headers.get('ratelimit-reset') !== null && Number.isFinite(reset) && reset > 0) {
    const serverNow = Date.parse(headers.get('date') ?? '');
    const base = Number.isFinite(serverNow) ? serverNow : nowMs;
    return Math.max(1000, reset * 1000 - base + RATE_LIMIT_SKEW_ALLOWANCE_MS);
  }
  return 60_000;
}

function rateLimitDetail(h: Headers): string {
  const parts = ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].filter((k) => h.get(k) !== null).map((k) => `${k}: ${h.get(k)}`);
  return parts.join(', ');
}

function networkDetail(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

/**
 * The token travels in a header: refuse plain http except to this machine
 * (the tests' fake API), so a typo in DIGITALOCEAN_API_URL cannot send it in the clear.
 */
export function checkBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`DigitalOcean API URL is not a URL: ${raw}`);
  }
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new Error(`DigitalOcean API URL must be https (plain http only to 127.0.0.1/localhost): ${u.origin}`);
  }
  return u.origin + '/';
}
