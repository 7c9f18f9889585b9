/**
 * Test data helpers for the planning cases (planning-cases.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCurlOutput } from '../../../src/facts/openstack.js';
import type { ExecResult } from '../../../src/transport/connection.js';

/** `{content_file: path}` anywhere in the facts: the file's text (under cases/) as `content`. */
export function fileFacts(facts: Record<string, unknown>, dir: string): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'content_file') out.content = readFileSync(join(dir, String(x)), 'utf8');
      else out[k] = walk(x);
    }
    return out;
  };
  return walk(facts) as Record<string, unknown>;
}

/** An HTTP answer in a case, as curl prints it for the os_* modules' requests. */
export function curlAnswer(http: { status: number; headers?: Record<string, string>; body?: unknown }): Partial<ExecResult> {
  const body = http.body === undefined ? '' : typeof http.body === 'string' ? http.body : JSON.stringify(http.body);
  return { stdout: formatCurlOutput({ status: http.status, headers: http.headers ?? {}, body }) };
}
