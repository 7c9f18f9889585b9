import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { errorSchema, OPERATIONS, RATELIMIT_HEADERS, type Operation } from './schemas.js';

/**
 * Checks one request or response against the contract in schemas.ts with Ajv
 * (a maintained JSON-Schema validator). Returns the violations as sentences
 * (empty when it conforms). The fake DigitalOcean calls these on every
 * request drover sends and every response it serves.
 */

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

const compiled = new WeakMap<object, ValidateFunction>();
function check(schema: object, value: unknown, where: string): string[] {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  if (v(value)) return [];
  return (v.errors ?? []).filter(keep).map((e) => `${where}: ${e.instancePath || '(root)'} ${e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

/** oneOf/if reports restate their branches' errors; keep the specific ones when there are any. */
function keep(e: ErrorObject, _i: number, all: ErrorObject[]): boolean {
  if ((e.keyword === 'oneOf' || e.keyword === 'if' || e.keyword === 'allOf') && all.length > 1) return false;
  return true;
}

export function operationFor(method: string, path: string, query: Record<string, string> = {}): Operation | undefined {
  const ops = OPERATIONS.filter((o) => o.method === method && o.path.test(path));
  // DELETE /v2/droplets is destroy-by-tag (the only DELETE on that path).
  return ops.length > 1 ? ops.find((o) => o.requiredQuery?.every((q) => q in query)) ?? ops[0] : ops[0];
}

export interface ContractRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  contentType?: string;
}

export function checkRequest(r: ContractRequest): string[] {
  const at = `${r.method} ${r.path}`;
  const op = operationFor(r.method, r.path, r.query);
  if (!op) return [`${at}: not an operation of the contract (drover calls only those in schemas.ts)`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(r.query)) {
    const s = op.query?.[k];
    if (!s) out.push(`${at} (${op.id}): query parameter "${k}" is not in the spec`);
    else out.push(...check(s, v, `${at} (${op.id}) query ${k}`));
  }
  for (const k of op.requiredQuery ?? []) if (!(k in r.query)) out.push(`${at} (${op.id}): required query parameter "${k}" missing`);
  const excl = (op.exclusiveQuery ?? []).filter((k) => k in r.query);
  if (excl.length > 1) out.push(`${at} (${op.id}): ${excl.join(' and ')} can not be combined`);
  if (op.body) {
    if (r.body === undefined) out.push(`${at} (${op.id}): request body missing`);
    else {
      if (!/^application\/json\b/.test(r.contentType ?? '')) out.push(`${at} (${op.id}): content-type ${r.contentType ?? '(none)'}, the spec's request body is application/json`);
      out.push(...check(op.body, r.body, `${at} (${op.id}) body`));
      // PROSE (droplet_create.yml, user_data): "may not exceed 64 KiB in size".
      const ud = (r.body as { user_data?: unknown }).user_data;
      if (typeof ud === 'string' && Buffer.byteLength(ud, 'utf8') > 64 * 1024) out.push(`${at} (${op.id}): user_data is ${Buffer.byteLength(ud, 'utf8')} bytes; the spec allows 64 KiB`);
    }
  } else if (r.body !== undefined) out.push(`${at} (${op.id}): the operation takes no request body`);
  return out;
}

export interface ContractResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** Parsed JSON, or undefined when there is no body. */
  body?: unknown;
}

export function checkResponse(req: Pick<ContractRequest, 'method' | 'path' | 'query'>, res: ContractResponse): string[] {
  const op = operationFor(req.method, req.path, req.query);
  const at = `${req.method} ${req.path} -> ${res.status}`;
  const out: string[] = [];
  for (const h of RATELIMIT_HEADERS) {
    const v = res.headers[h];
    if (v === undefined) out.push(`${at}: header ${h} missing`);
    else if (!/^[0-9]+$/.test(v)) out.push(`${at}: header ${h} is not an integer: ${v}`);
  }
  const declared = op?.responses[res.status];
  // Undeclared statuses fall under `default` (shared/responses/unexpected_error.yml): an error body.
  const expect = declared ?? 'error';
  if (expect === 'empty') {
    if (res.body !== undefined) out.push(`${at}: the spec's ${res.status} has no body`);
  } else if (expect === 'error') {
    if (res.status < 400) out.push(`${at}: status ${res.status} is not declared for ${op?.id ?? 'this path'}`);
    out.push(...check(errorSchema, res.body, `${at} error body`));
  } else {
    out.push(...check(expect, res.body, `${at} (${op?.id}) body`));
    // PROSE (the issue, from DigitalOcean's behaviour; the spec's shared/pages.yml allows an empty `links`): `links.pages` only names pages that exist.
    const b = res.body as { links?: { pages?: Record<string, string> }; meta?: { total?: number } } | undefined;
    const pages = b?.links?.pages;
    if (pages?.next && !pages.last) out.push(`${at}: links.pages.next without links.pages.last`);
  }
  return out;
}

/** Every scope the contract's operations can ask for (for the token hint's test). */
export function scopesOf(opIds: readonly string[]): string[] {
  const sample = { query: { tag_name: 't' }, body: { ssh_keys: [1], tags: ['t'] } };
  return [...new Set(OPERATIONS.filter((o) => opIds.includes(o.id)).flatMap((o) => o.scopes(sample)))].sort();
}
