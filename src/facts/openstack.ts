/**
 * OpenStack API answers as facts: a GET/HEAD (or a token request, which
 * reads whether credentials work) made ON THE TARGET with curl (why there:
 * modules/common/openstack-api.ts). The request — with the token, password
 * or body — travels in a curl config on stdin (`curl -K -`), never on a
 * command line. Read on every use: the API is the state.
 */
import { ModuleError } from '../util/errors.js';
import type { Fact } from './fact.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** A file on the target sent as the body (image data). */
  uploadFile?: string;
  timeoutSec?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** curl's config syntax: a double-quoted value with \\ and \" escaped. */
export function curlQuote(v: string): string {
  if (/[\r\n]/.test(v)) throw new Error('a curl config value cannot contain a newline');
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const STATUS_MARK = '\n__drover_http_status__=';

/** Pure: the curl config (sent on stdin) for one request. */
export function curlConfig(req: HttpRequest, caCert?: string, insecure = false, statusMark = STATUS_MARK, afterStatus = ''): string {
  const lines = [
    `url = ${curlQuote(req.url)}`,
    `request = ${curlQuote(req.method)}`,
    'silent',
    'show-error',
    'dump-header = "-"',
    `write-out = ${curlQuote(statusMark.replace('\n', '\\n') + '%{http_code}' + afterStatus)}`,
    'connect-timeout = 10',
    `max-time = ${req.timeoutSec ?? 60}`,
    // A 16 MiB upload would otherwise wait for "100 Continue" first.
    'header = "Expect:"',
    'header = "Accept: application/json"',
  ];
  if (req.method === 'HEAD') lines.push('head');
  if (caCert) lines.push(`cacert = ${curlQuote(caCert)}`);
  if (insecure) lines.push('insecure');
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`header = ${curlQuote(`${k}: ${v}`)}`);
  const hasType = Object.keys(req.headers ?? {}).some((k) => k.toLowerCase() === 'content-type');
  if (req.json !== undefined) {
    if (!hasType) lines.push('header = "Content-Type: application/json"');
    // JSON.stringify never emits raw newlines; a leading @ would make curl read a file, JSON never starts with one.
    lines.push(`data-binary = ${curlQuote(JSON.stringify(req.json))}`);
  }
  if (req.uploadFile !== undefined) {
    if (!hasType) lines.push('header = "Content-Type: application/octet-stream"');
    lines.push(`upload-file = ${curlQuote(req.uploadFile)}`);
  }
  return lines.join('\n') + '\n';
}

/** Pure: split curl's stdout (header blocks, body, status mark) into a response. */
export function parseCurlOutput(out: string): HttpResponse {
  const at = out.lastIndexOf(STATUS_MARK);
  if (at < 0) throw new Error('curl output has no status line');
  const status = Number(out.slice(at + STATUS_MARK.length).trim());
  let rest = out.slice(0, at);
  let headers: Record<string, string> = {};
  // Interim responses (100 Continue) come first, each with its own header block.
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.search(/\r?\n\r?\n/);
    const block = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end).replace(/^\r?\n\r?\n/, '');
    headers = {};
    for (const line of block.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return { status, headers, body: rest };
}

/** Pure: what curl prints for a response with drover's config (parseCurlOutput's inverse; recorded answers in tests). */
export function formatCurlOutput(res: HttpResponse): string {
  const h = Object.entries(res.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${res.status} X\r\n${h}\r\n${res.body}${STATUS_MARK}${res.status}`;
}

/** curl exit codes that mean "nobody answers (yet)": refused, reset, empty reply, timeout. */
const NOT_REACHABLE = new Set([7, 28, 52, 56]);

export interface ApiParams {
  req: HttpRequest;
  caCert?: string;
  insecure?: boolean;
}

/** Nobody answers (yet): the caller retries, or in check mode calls the task unknown. */
export interface ApiUnreachableAnswer {
  unreachable: string;
  rc: number;
}

export const CURL_COMMAND = 'curl -q -K -';

/** A request's key: method and URL; a token request also names its user (several users authenticate). */
export function requestKey(req: HttpRequest): string {
  const user = (req.json as { auth?: { identity?: { password?: { user?: { name?: string } } } } } | undefined)?.auth?.identity?.password?.user?.name;
  return `${req.method} ${req.url}${/\/auth\/tokens$/.test(req.url) && user ? ` as ${user}` : ''}`;
}

/** curl is not on the target: the os_* modules cannot talk to the API from there. */
export class CurlMissing extends ModuleError {}

/** curl is not on the target (rc 127): the task's error, whatever was asked. */
function requireCurl(r: { stderr: string; rc: number }): void {
  if (r.rc === 127) throw new CurlMissing('the os_* modules need curl on the target (install the curl package first)', CURL_COMMAND, r.stderr, r.rc);
}

/** One request's answer from curl's result (reads and writes alike). */
export function curlResult(r: { stdout: string; stderr: string; rc: number }, req: HttpRequest): HttpResponse | ApiUnreachableAnswer {
  requireCurl(r);
  if (NOT_REACHABLE.has(r.rc)) return { unreachable: r.stderr.trim() || `curl rc=${r.rc}`, rc: r.rc };
  if (r.rc !== 0) throw new ModuleError(`${req.method} ${req.url}: curl failed (rc=${r.rc})`, CURL_COMMAND, r.stderr, r.rc);
  return parseCurlOutput(r.stdout);
}

/** `openstack.api` (key: "GET url", "POST …/auth/tokens as user"). */
export const apiFact: Fact<ApiParams, HttpResponse | ApiUnreachableAnswer> = {
  name: 'openstack.api',
  key: (p) => requestKey(p.req),
  command: () => CURL_COMMAND,
  stdin: (p) => curlConfig(p.req, p.caCert, p.insecure),
  timeoutMs: (p) => ((p.req.timeoutSec ?? 60) + 15) * 1000,
  cached: false,
  parse: (r, p) => curlResult(r, p.req),
  // Test data: {status, headers, body} with the body as JSON data (or text), header names in any case.
  fromData(data, p) {
    const k = requestKey(p.req);
    const d = data && typeof data === 'object' && Object.hasOwn(data, k) ? (data as Record<string, Record<string, unknown>>)[k]! : undefined;
    if (!d) throw new Error(`no recorded answer for ${k}`);
    if (d.unreachable !== undefined) return d as unknown as ApiUnreachableAnswer;
    const headers = Object.fromEntries(Object.entries((d.headers ?? {}) as Record<string, string>).map(([h, v]) => [h.toLowerCase(), v]));
    const body = d.body === undefined ? '' : typeof d.body === 'string' ? d.body : JSON.stringify(d.body);
    return { status: Number(d.status), headers, body };
  },
};

export interface ApiBatchParams {
  reqs: HttpRequest[];
  caCert?: string;
  insecure?: boolean;
  /** Makes the status marks unique to drover's run: a body cannot end a transfer early. */
  nonce: string;
}

const batchMark = (nonce: string) => `\n__drover_http_status_${nonce}__=`;

/** Pure: one curl config for several requests, one transfer each (`next`), each ending with its status mark. */
export function curlBatchConfig(p: ApiBatchParams): string {
  return p.reqs.map((req) => curlConfig(req, p.caCert, p.insecure, batchMark(p.nonce), '\\n')).join('next\n');
}

/**
 * Pure: the answers of a batch in order, or null when any transfer got no
 * answer (status 000) or curl failed: the caller then asks one at a time,
 * which tells unreachable from failed and retries as a single request does.
 */
export function parseCurlBatch(r: { stdout: string; stderr: string; rc: number }, p: Pick<ApiBatchParams, 'reqs' | 'nonce'>): HttpResponse[] | null {
  requireCurl(r);
  if (r.rc !== 0) return null;
  const mark = batchMark(p.nonce);
  const out: HttpResponse[] = [];
  let at = 0;
  for (let i = 0; i < p.reqs.length; i++) {
    const m = r.stdout.indexOf(mark, at);
    if (m < 0) return null;
    const eol = r.stdout.indexOf('\n', m + mark.length);
    const status = r.stdout.slice(m + mark.length, eol < 0 ? undefined : eol).trim();
    if (!/^\d{3}$/.test(status) || status === '000') return null;
    out.push(parseCurlOutput(r.stdout.slice(at, m) + STATUS_MARK + status));
    at = eol < 0 ? r.stdout.length : eol + 1;
  }
  return out;
}

/**
 * `openstack.api` again, several independent reads in one curl process (the
 * lookups a plan makes before it decides): test data answers each request as
 * it answers it alone.
 */
export const apiBatchFact: Fact<ApiBatchParams, HttpResponse[] | null> = {
  name: 'openstack.api_batch',
  dataName: apiFact.name,
  key: (p) => p.reqs.map(requestKey).join(' + '),
  command: () => CURL_COMMAND,
  stdin: (p) => curlBatchConfig(p),
  timeoutMs: (p) => (p.reqs.reduce((s, q) => s + (q.timeoutSec ?? 60), 0) + 15) * 1000,
  cached: false,
  // A loop's items that look up the same things (an endpoint per interface) share one read while no item writes.
  loopShared: true,
  parse: (r, p) => parseCurlBatch(r, p),
  fromData(data, p) {
    const answers = p.reqs.map((req) => apiFact.fromData!(data, { req }));
    return answers.some((a) => 'unreachable' in a) ? null : (answers as HttpResponse[]);
  },
};
