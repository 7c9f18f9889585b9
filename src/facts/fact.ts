/**
 * Named facts, as pyinfra has them: one read of host state is a value with a
 * name, a key, the command that reads it and a pure parser. Modules read
 * facts through `ctx.fact(def, params)` and decide from the parsed values
 * only, so planning is tested from facts given as data (test/unit/modules/
 * cases/*.yaml: facts keyed by name), never from command text in order.
 *
 * Values are plain data (JSON-shaped: records, arrays, strings, numbers,
 * null) so that test data can state them; where a value cannot be (file
 * content is bytes), `fromData` builds it from the test data's form.
 *
 * Caching: a fact is read once per host per run and kept in the host's
 * FactCache under `name:key` until a module that changes it invalidates it
 * (apt forgets `dpkg.installed`). A fact whose state other tasks may change
 * without saying so (a unit's state after a `copy` of its unit file, a
 * database after a `shell`) sets `cached: false` and is read on every use —
 * unless it is `loopShared`: then the items of one loop share a reading while
 * they change nothing (`readings`, engine/task-runner.ts).
 */
import type { ExecOptions, ExecResult } from '../transport/connection.js';
import type { FactCache } from './cache.js';

export interface Fact<P, T> {
  /** Dotted name, e.g. 'dpkg.installed'; test data keys facts by it. */
  name: string;
  /**
   * What tells one reading from another for these params (a unit name, an
   * account); '' for a host-wide fact. Never a secret: it is a cache key and
   * test data names readings by it.
   */
  key(params: P): string;
  /** The shell command that reads it (never holds a secret: that goes on stdin). */
  command(params: P): string;
  /** What the command reads on stdin (passwords travel here, never in argv). */
  stdin?(params: P): string | undefined;
  /** The read's timeout when it is not the task's (an HTTP request's own). */
  timeoutMs?(params: P): number;
  /** The command's result -> the value. Throws a ModuleError (naming the command) when the read failed. */
  parse(result: ExecResult, params: P): T;
  /** false: read on every use. Default: once per host until invalidated. */
  cached?: boolean;
  /**
   * With cached: false, the items of one loop may share a reading while no item
   * changed anything (27 ini_file items on one nova.conf read it once). Not for
   * a fact a module reads again to see it change (an API polled until it answers).
   */
  loopShared?: boolean;
  /**
   * Test data -> value. `data` is what test data gives under the fact's name.
   * Default: a host-wide fact takes it as the value; a keyed fact takes data[key].
   */
  fromData?(data: unknown, params: P): T;
  /** Test data gives this fact's readings under another fact's name (several of that fact's readings at once). */
  dataName?: string;
}

/** The cache key of one reading: `name` or `name:key`. */
export function factKey<P>(def: Fact<P, unknown>, params: P): string {
  const k = def.key(params);
  return k ? `${def.name}:${k}` : def.name;
}

/** Forget every cached reading of a fact (after a module changed what it reads). */
export function forgetFact(cache: FactCache, def: Fact<any, unknown>): void {
  cache.invalidate(def.name);
  cache.invalidate(`${def.name}:*`);
}

export type FactExec = (command: string, opts?: ExecOptions) => Promise<ExecResult>;

/**
 * Read a fact with a command runner, through the host's cache; an uncached
 * fact afresh, or through `readings` (one loop's) when it is loopShared.
 */
export function readFact<P, T>(exec: FactExec, cache: FactCache, def: Fact<P, T>, params: P, readings?: FactCache): Promise<T> {
  const load = async (): Promise<T> => {
    const stdin = def.stdin?.(params);
    const timeoutMs = def.timeoutMs?.(params);
    const opts: ExecOptions | undefined =
      stdin !== undefined || timeoutMs !== undefined ? { ...(stdin !== undefined ? { stdin } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) } : undefined;
    return def.parse(await exec(def.command(params), opts), params);
  };
  return throughCache(cache, def, params, load, readings);
}

/** Run `load` for one reading, or take the cached value (the cache rule of every fact reader). */
export function throughCache<P, T>(cache: FactCache, def: Fact<P, T>, params: P, load: () => Promise<T>, readings?: FactCache): Promise<T> {
  if (def.cached !== false) return cache.get(factKey(def, params), load);
  // The whole params: a key names the paths only, and another query of them may ask for more (content).
  return readings && def.loopShared ? readings.get(`${factKey(def, params)}\0${JSON.stringify(params)}`, load) : load();
}

/**
 * A fact's value from test data (see fromData). Throws when the data has no
 * value for this reading, naming what is missing.
 */
export function factFromData<P, T>(def: Fact<P, T>, data: unknown, params: P): T {
  if (def.fromData) return def.fromData(data, params);
  const k = def.key(params);
  if (!k) return data as T;
  if (data === null || typeof data !== 'object' || !Object.hasOwn(data, k)) {
    throw new Error(`no recorded value for fact ${def.name} with key ${JSON.stringify(k)}`);
  }
  return (data as Record<string, unknown>)[k] as T;
}

/** Own-property lookup in a record parsed from data (a package named "constructor" is not Object's). */
export function own<T>(rec: Readonly<Record<string, T>>, k: string): T | undefined {
  return Object.hasOwn(rec, k) ? rec[k] : undefined;
}
