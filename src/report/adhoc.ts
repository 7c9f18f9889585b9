/**
 * Ad-hoc output (`drover PATTERN -m MODULE`), in the shapes of Ansible's
 * `minimal` and `oneline` callbacks, so habits and greps carry over:
 *
 *   web1 | SUCCESS => { …result as sorted JSON… }
 *   web1 | CHANGED | rc=0 >>          (command and shell: their output as text)
 *   web1 | FAILED! => { … }           web1 | UNREACHABLE! => { … }
 *
 * `oneLine` (-o) puts each host on one line. Results go to stdout, warnings to
 * stderr; no play or task headers and no recap, as in Ansible.
 */
import type { EngineEvent, EventSink, TaskResultEvent } from './events.js';
import { unifiedDiff } from './diff.js';

export interface AdhocOutputOptions {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** The module run (command and shell print their output as text). */
  module: string;
  oneLine: boolean;
  verbose: number;
  /** -D: unified diffs of the files that change, after the host's line. */
  diff: boolean;
  color: boolean;
}

/** Modules whose result is shown as text, not JSON (Ansible's MODULE_NO_JSON). */
const TEXT_MODULES = new Set(['command', 'shell', 'ansible.builtin.command', 'ansible.builtin.shell']);

const COLOR: Record<string, string> = { SUCCESS: '32', CHANGED: '33', FAILED: '31', 'FAILED!': '31', 'UNREACHABLE!': '31', SKIPPED: '36', UNKNOWN: '36' };

export function adhocSink(o: AdhocOutputOptions): EventSink {
  const paint = (state: string, s: string) => (o.color && COLOR[state] ? `\x1b[${COLOR[state]}m${s}\x1b[0m` : s);
  return (e: EngineEvent) => {
    if (e.type === 'task_result') {
      const { state, text } = formatAdhocResult(e, o);
      o.out.write(paint(state, text) + '\n');
      if (o.diff) for (const c of e.changes) if (c.diff) o.out.write(unifiedDiff(c.diff).replace(/\n?$/, '\n'));
    } else if (e.type === 'warning') {
      o.err.write(`[WARNING]: ${e.message}\n`);
    } else if (e.type === 'log') {
      // A line may say at which -v count it shows (the commands a task runs: -vvv); default -v.
      const needs = (e as { verbosity?: number }).verbosity ?? 1;
      if (o.verbose >= needs) o.err.write(`${e.host ? `[${e.host}] ` : ''}${e.message}\n`);
    }
  };
}

/** One host's result as Ansible's ad-hoc callbacks print it. */
export function formatAdhocResult(e: TaskResultEvent, o: Pick<AdhocOutputOptions, 'module' | 'oneLine'>): { state: string; text: string } {
  const result: Record<string, unknown> = { ...(e.result ?? {}) };
  const host = e.host;
  const asText = TEXT_MODULES.has(o.module);
  switch (e.status) {
    case 'unreachable': {
      const msg = String(result.msg ?? e.msg ?? 'unreachable');
      if (o.oneLine) return { state: 'UNREACHABLE!', text: `${host} | UNREACHABLE!: ${msg}` };
      return { state: 'UNREACHABLE!', text: `${host} | UNREACHABLE! => ${dumpJson({ changed: false, msg, unreachable: true }, false)}` };
    }
    case 'skipped':
      return { state: 'SKIPPED', text: `${host} | SKIPPED` };
    case 'unknown':
      // Check mode could not predict this task (a command without creates/removes): nothing ran.
      return { state: 'UNKNOWN', text: `${host} | UNKNOWN => ${dumpJson({ changed: 'unknown', msg: e.msg ?? 'check mode cannot predict this task' }, o.oneLine)}` };
    case 'failed': {
      if (result.msg === undefined && e.msg !== undefined) result.msg = e.msg;
      result.failed = true;
      if (asText && !o.oneLine && typeof result.rc === 'number') return { state: 'FAILED', text: commandText(host, 'FAILED', result) };
      return { state: 'FAILED!', text: `${host} | FAILED! => ${dumpJson(result, o.oneLine)}` };
    }
    default: {
      const state = e.status === 'changed' || result.changed === true ? 'CHANGED' : 'SUCCESS';
      if (asText && (typeof result.rc === 'number' || typeof result.stdout === 'string')) {
        return { state, text: o.oneLine ? commandLine(host, state, result) : commandText(host, state, result) };
      }
      return { state, text: `${host} | ${state} => ${dumpJson(result, o.oneLine)}` };
    }
  }
}

/** `host | CHANGED | rc=0 >>` then stdout, stderr and msg, each on its own lines. */
function commandText(host: string, state: string, r: Record<string, unknown>): string {
  const parts = [r.stdout, r.stderr, r.msg].filter((x): x is string => typeof x === 'string' && x !== '').map((x) => x.replace(/\n+$/, ''));
  return [`${host} | ${state} | rc=${typeof r.rc === 'number' ? r.rc : -1} >>`, ...parts].join('\n');
}

/** `host | CHANGED | rc=0 | (stdout) a\nb (stderr) …`: newlines escaped, as Ansible's oneline callback. */
function commandLine(host: string, state: string, r: Record<string, unknown>): string {
  const esc = (x: unknown) => (typeof x === 'string' ? x : '').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  const stderr = typeof r.stderr === 'string' && r.stderr !== '' ? ` (stderr) ${esc(r.stderr)}` : '';
  return `${host} | ${state} | rc=${typeof r.rc === 'number' ? r.rc : -1} | (stdout) ${esc(r.stdout)}${stderr}`;
}

/** Keys sorted at every level, as Ansible's dump (sort_keys=True). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * Python's json.dumps(indent=4, sort_keys=True) layout; one line (`{"a": 1,"b": 2}`,
 * Ansible's indent=0 with newlines removed) for -o.
 */
export function dumpJson(v: unknown, oneLine: boolean): string {
  const sorted = sortKeys(v);
  if (!oneLine) return JSON.stringify(sorted, null, 4);
  return JSON.stringify(sorted, null, 1).replace(/\n */g, '');
}
