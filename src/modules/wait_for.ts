/**
 * `wait_for`: wait until a TCP port is open/closed, a file is present/absent
 * or contains a regex. The waiting happens in ONE remote loop (bash
 * /dev/tcp, `timeout`, `grep -P`), not in a loop of round trips. Planning
 * probes once: if the condition already holds the task is ok without waiting;
 * otherwise apply waits (check mode: unknown). Never changes anything.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { num, shPath } from './command-common.js';
import { registerModule } from './registry.js';
import type { Module, ModuleResult, Plan } from './types.js';

const schema = z
  .strictObject({
    host: z.string().default('127.0.0.1').describe('Host to connect to, as seen from the target.'),
    port: num.int().min(1).max(65535).optional().describe('TCP port to wait for.'),
    path: z.string().optional().describe('File to wait for.'),
    state: z.enum(['started', 'stopped', 'present', 'absent']).default('started').describe('started/present: wait until open or there; stopped/absent: until closed or gone.'),
    search_regex: z.string().optional().describe('A regex (PCRE) that must appear in the file, or in what the port sends.'),
    timeout: num.min(0).default(300).describe('Seconds to wait before failing.'),
    delay: num.min(0).default(0).describe('Seconds to wait before the first check.'),
    sleep: num.min(0).default(1).describe('Seconds between checks.'),
    connect_timeout: num.min(0).default(5).describe('Seconds a single connection attempt may take.'),
    msg: z.string().optional().describe('Message on timeout instead of the default.'),
  })
  .superRefine((a, ctx) => {
    if (a.port !== undefined && a.path !== undefined) ctx.addIssue({ code: 'custom', message: 'port and path are mutually exclusive' });
    if (a.search_regex !== undefined && (a.state === 'stopped' || a.state === 'absent')) {
      ctx.addIssue({ code: 'custom', path: ['search_regex'], message: `search_regex makes no sense with state=${a.state}` });
    }
  });

export type WaitForArgs = z.infer<typeof schema>;

/** What is being waited for, in Ansible's wording ("127.0.0.1:5672 to be started"). */
export function describeWait(a: WaitForArgs): string {
  const away = a.state === 'stopped' || a.state === 'absent';
  if (a.port !== undefined) {
    const target = `${a.host}:${a.port}`;
    if (away) return `${target} to stop`;
    return a.search_regex !== undefined ? `search string ${JSON.stringify(a.search_regex)} on ${target}` : target;
  }
  if (a.path !== undefined) {
    if (away) return `${a.path} to be absent`;
    return a.search_regex !== undefined ? `search string ${JSON.stringify(a.search_regex)} in ${a.path}` : `file ${a.path}`;
  }
  return `${a.timeout}s`;
}

/** The shell test that is true once the condition holds. */
export function conditionTest(a: WaitForArgs): string {
  const away = a.state === 'stopped' || a.state === 'absent';
  const ct = Math.max(1, Math.ceil(a.connect_timeout));
  if (a.port !== undefined) {
    const host = shq(a.host);
    if (a.search_regex !== undefined) {
      // Read what the server sends line by line (a partial last line counts too).
      const inner = 'exec 3<>"/dev/tcp/$0/$1" || exit 1; while IFS= read -r -t 1 l <&3 || [ -n "$l" ]; do printf "%s\\n" "$l" | grep -qP -- "$2" && exit 0; l=; done; exit 1';
      return `timeout ${ct} bash -c ${shq(inner)} ${host} ${a.port} ${shq(a.search_regex)} 2>/dev/null`;
    }
    const open = `timeout ${ct} bash -c ${shq('exec 3<>"/dev/tcp/$0/$1"')} ${host} ${a.port} 2>/dev/null`;
    return away ? `! ${open}` : open;
  }
  if (a.path !== undefined) {
    const p = shPath(a.path);
    if (away) return `! [ -e ${p} ]`;
    if (a.search_regex !== undefined) return `{ [ -f ${p} ] && grep -qP -- ${shq(a.search_regex)} ${p}; }`;
    return `[ -e ${p} ]`;
  }
  return 'false';
}

/**
 * The remote script. Prints `drover-wait ok N` or `drover-wait timeout N`
 * (N = seconds waited); probe mode checks once without waiting.
 */
export function waitScript(a: WaitForArgs, probe: boolean): string {
  const test = conditionTest(a);
  if (probe) return `if ${test}; then echo 'drover-wait ok 0'; else echo 'drover-wait notyet 0'; fi`;
  return [
    // Milliseconds from bash's EPOCHREALTIME (bash >= 5), else whole seconds from date.
    'ms() { if [ -n "${EPOCHREALTIME:-}" ]; then local r=${EPOCHREALTIME/[.,]/}; echo $((r / 1000)); else echo $(($(date +%s) * 1000)); fi; }',
    'start=$(ms)',
    a.delay > 0 ? `sleep ${a.delay}` : '',
    `deadline=$((start + ${Math.round((a.delay + a.timeout) * 1000)}))`,
    'while :; do',
    `  if ${test}; then echo "drover-wait ok $(( ($(ms) - start) / 1000 ))"; exit 0; fi`,
    '  now=$(ms)',
    '  if [ "$now" -ge "$deadline" ]; then echo "drover-wait timeout $(( (now - start) / 1000 ))"; exit 0; fi',
    `  sleep ${a.sleep}`,
    'done',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Parse the script's verdict line. */
export function parseVerdict(stdout: string): { verdict: 'ok' | 'timeout' | 'notyet'; elapsed: number } | null {
  const m = /drover-wait (ok|timeout|notyet) (\d+)/.exec(stdout);
  return m ? { verdict: m[1] as 'ok' | 'timeout' | 'notyet', elapsed: Number(m[2]) } : null;
}

function baseResult(a: WaitForArgs, elapsed: number): ModuleResult {
  return {
    changed: false,
    elapsed,
    state: a.state,
    ...(a.port !== undefined ? { port: a.port } : {}),
    ...(a.path !== undefined ? { path: a.path } : {}),
    ...(a.search_regex !== undefined ? { search_regex: a.search_regex } : {}),
  };
}

/** Run the script in a fresh bash so its `exit` and variables stay inside it. */
function remote(script: string): string {
  return `bash -c ${shq(script)}`;
}

export const waitForModule: Module<WaitForArgs> = {
  name: 'wait_for',
  doc: {
    short: 'Wait until a port is open or closed, or a file is present, absent or contains a pattern.',
    examples: `
- name: Wait for the database port
  wait_for:
    host: 127.0.0.1
    port: 3306
    timeout: 60

- name: Wait until a log says the service is ready
  wait_for:
    path: /var/log/app.log
    search_regex: "ready to accept connections"
`,
  },
  schema,
  async plan(ctx, args): Promise<Plan> {
    if (args.port === undefined && args.path === undefined) {
      // Nothing to watch: Ansible just sleeps `timeout` seconds (after delay).
      const secs = args.delay + args.timeout;
      if (!ctx.check) await new Promise((r) => setTimeout(r, secs * 1000));
      return { changes: [], result: { ...baseResult(args, ctx.check ? 0 : secs) } };
    }
    // With a delay the user wants the wait itself (e.g. after a restart): no early probe.
    if (args.delay > 0 && !ctx.check) return { changes: [], unknown: `wait_for waits in apply (delay ${args.delay}s)` };
    const cmd = remote(waitScript(args, true));
    const r = await ctx.exec(cmd);
    const v = parseVerdict(r.stdout);
    if (!v) throw new ModuleError(`wait_for: the check did not run (rc ${r.rc})`, cmd, r.stderr, r.rc);
    if (v.verdict === 'ok') return { changes: [], result: baseResult(args, 0) };
    return { changes: [], unknown: `not yet: waiting for ${describeWait(args)} happens in apply (up to ${args.timeout}s)` };
  },
  async apply(ctx, args) {
    const cmd = remote(waitScript(args, false));
    // The remote loop bounds itself (each probe under `timeout`); the task timeout stays the backstop.
    const r = await ctx.exec(cmd);
    const v = parseVerdict(r.stdout);
    if (!v) throw new ModuleError(`wait_for: the wait loop did not run (rc ${r.rc})`, cmd, r.stderr, r.rc);
    if (v.verdict === 'ok') return baseResult(args, v.elapsed);
    return {
      ...baseResult(args, v.elapsed),
      failed: true,
      msg: args.msg ?? `Timeout when waiting for ${describeWait(args)} (waited ${v.elapsed}s, timeout ${args.timeout}s)`,
    };
  },
};

registerModule(waitForModule);
