import type { Module, ModuleResult } from '../types.js';

/**
 * `apply` of a module whose plan decides everything (the controller modules,
 * setup, ping): the plan never lists a change, so there is nothing to apply.
 */
export async function nothingToApply(): Promise<ModuleResult> {
  return { changed: false };
}

/**
 * A module that runs on the controller (debug, assert, fail, set_fact,
 * pause …): it needs no connection, and its plan decides its whole result.
 */
export function controllerModule<A>(m: Omit<Module<A>, 'runsOn' | 'apply'>): Module<A> {
  return { ...m, runsOn: 'controller', apply: nothingToApply };
}
