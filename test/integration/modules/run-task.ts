/**
 * Drive one module the way the engine does (parse args, plan, apply only when
 * the plan has changes or is unknown, never in check mode), without the
 * engine, so module integration tests exercise plan and apply for real.
 */
import type { Module, ModuleResult, Plan, TaskContext } from '../../../src/modules/types.js';

export interface TaskRun {
  plan: Plan;
  /** 'ok' | 'changed' | 'failed' | 'unknown' (check mode) */
  status: string;
  result: ModuleResult;
}

export async function runTask(mod: Module, rawArgs: unknown, ctx: TaskContext): Promise<TaskRun> {
  const args = mod.schema.parse(rawArgs);
  const plan = await mod.plan(ctx, args);
  let result: ModuleResult;
  if (ctx.check) {
    if (plan.unknown !== undefined) return { plan, status: 'unknown', result: { changed: false, ...plan.result } };
    result = { ...plan.result, changed: plan.changes.length > 0 };
  } else if (plan.changes.length > 0 || plan.unknown !== undefined) {
    result = await mod.apply(ctx, args, plan);
  } else {
    result = { ...plan.result, changed: false };
  }
  return { plan, status: result.failed ? 'failed' : result.changed ? 'changed' : 'ok', result };
}
