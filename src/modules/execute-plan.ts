import type { Module, ModuleResult, Plan, TaskContext } from './types.js';

/** What came of a plan: the module's result, or (check mode) that the plan could not predict it. */
export type Execution = { result: ModuleResult; unknown?: undefined } | { unknown: string; result: ModuleResult };

/**
 * The contract's one rule for a plan, shared by the engine and the module
 * tests: check mode reports the plan (or that it cannot predict); otherwise
 * apply runs only when the plan has changes or is unknown, and a plan with
 * nothing to do registers its own result.
 */
export async function executePlan<A, D>(mod: Module<A, D>, ctx: TaskContext, args: A, plan: Plan<D>, check: boolean): Promise<Execution> {
  if (check) {
    if (plan.unknown !== undefined) return { unknown: plan.unknown, result: { changed: false, ...plan.result } };
    return { result: { ...plan.result, changed: plan.changes.length > 0 } };
  }
  if (plan.changes.length > 0 || plan.unknown !== undefined) return { result: await mod.apply(ctx, args, plan) };
  return { result: { ...plan.result, changed: false } };
}
