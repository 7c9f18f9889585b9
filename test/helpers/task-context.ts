/**
 * A full TaskContext over a real Connection, for module integration tests
 * that run modules without the engine: exec goes to the connection (with the
 * become user), run raises ModuleError like the engine's, render uses the
 * real template layer (renderText, noEscape, strict), findFile looks in
 * `<baseDir>/<kind>/p` then takes p as given. Every command sent is recorded
 * so tests can count round trips.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FactCache } from '../../src/facts/cache.js';
import { readFact } from '../../src/facts/fact.js';
import type { Module, ModuleResult, Plan, TaskContext } from '../../src/modules/types.js';
import { renderText } from '../../src/template/index.js';
import type { Connection, ExecOptions } from '../../src/transport/connection.js';
import { ModuleError } from '../../src/util/errors.js';
import { executePlan } from '../../src/modules/execute-plan.js';

export interface TaskContextOptions {
  check?: boolean;
  /** Check mode: an earlier task predicted a change on this host. */
  earlierChangesPredicted?: boolean;
  diff?: boolean;
  becomeUser?: string;
  vars?: Record<string, unknown>;
  /** Role-like directory holding files/ and templates/. */
  baseDir?: string;
  /** Receives every command sent (in order). */
  sent?: string[];
  secrets?: unknown[];
  logs?: string[];
}

export function makeTaskContext(conn: Connection, o: TaskContextOptions = {}): TaskContext {
  const vars = o.vars ?? {};
  const facts = new FactCache();
  const exec = (command: string, opts: ExecOptions = {}) => {
    o.sent?.push(command);
    return conn.exec(command, { ...(o.becomeUser ? { becomeUser: o.becomeUser } : {}), ...opts });
  };
  return {
    host: conn.host,
    conn,
    exec,
    async run(command, opts) {
      const r = await exec(command, opts);
      if (r.rc !== 0) throw new ModuleError(`command failed (rc ${r.rc}): ${r.stderr.trim()}`, command, r.stderr, r.rc);
      return r;
    },
    vars,
    check: o.check ?? false,
    earlierChangesPredicted: o.earlierChangesPredicted ?? false,
    diff: o.diff ?? false,
    becomeUser: o.becomeUser,
    facts,
    fact: (def, params) => readFact(exec, facts, def, params),
    evaluate() {
      throw new Error('makeTaskContext: no expression evaluator in module tests');
    },
    render(text, extraVars, file) {
      return renderText(text, { ...vars, ...(extraVars ?? {}) }, file ?? '<template>');
    },
    async expandUser(p) {
      if (!p.startsWith('~')) return p;
      const home = (await exec('printf %s "$HOME"')).stdout;
      return home + p.slice(1);
    },
    findFile(kind, p) {
      if (o.baseDir) {
        const candidate = join(o.baseDir, kind, p);
        if (existsSync(candidate)) return candidate;
      }
      return p;
    },
    secret: (v) => o.secrets?.push(v),
    log: (m) => o.logs?.push(m),
  };
}

/** The summaries of a plan's changes, in order. */
export const summaries = (p: { changes: { summary: string }[] }): string[] => p.changes.map((c) => c.summary);

export interface ModuleRun {
  plan: Plan;
  /** What the engine would report: 'unknown' only in check mode, for a plan that cannot predict. */
  status: 'ok' | 'changed' | 'failed' | 'unknown';
  /** What the task registers: apply's result, or the plan's. */
  result: ModuleResult;
  /** The plan has changes. */
  changed: boolean;
}

/**
 * Parse the args, plan, then executePlan (the engine's own rule: apply only
 * when the plan has changes or is unknown, never in check mode), so module
 * tests exercise plan and apply for real, without the engine.
 */
export async function runModule(m: Module, rawArgs: unknown, ctx: TaskContext): Promise<ModuleRun> {
  const args = m.schema.parse(rawArgs);
  const plan = await m.plan(ctx, args);
  const changed = plan.changes.length > 0;
  const done = await executePlan(m, ctx, args, plan, ctx.check);
  if (done.unknown !== undefined) return { plan, status: 'unknown', result: done.result, changed };
  const { result } = done;
  return { plan, status: result.failed ? 'failed' : result.changed ? 'changed' : 'ok', result, changed };
}
