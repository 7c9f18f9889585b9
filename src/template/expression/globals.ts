/**
 * The functions every expression may call, as Jinja and Ansible define them:
 * `range`, `dict`, `namespace`, `lookup`/`query`/`q`. Macros of a template
 * are Callables in its variables and are found before these.
 */
import * as F from '../functions.js';
import { lookup } from '../lookups.js';
import { Callable, isMapping } from '../values.js';

/** Marks a mapping made by namespace(): `{% set ns.x = … %}` may assign into it. */
export const NAMESPACE: unique symbol = Symbol('namespace');

function range(args: unknown[]): number[] {
  const n = args.map((a) => {
    if (!Number.isInteger(a)) throw new F.ValueError(`range needs integers, got ${F.pyStr(a)}`);
    return a as number;
  });
  const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
  if (step === 0) throw new F.ValueError('range step must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.push(i);
    if (out.length > 100_000) throw new F.ValueError('range of more than 100000 items');
  }
  return out;
}

export const GLOBALS: Record<string, Callable> = {
  range: new Callable('range', (args) => range(args)),
  dict: new Callable('dict', (args, kwargs) => {
    const out: Record<string, unknown> = {};
    for (const a of args) {
      if (isMapping(a)) Object.assign(out, a);
      else if (Array.isArray(a)) for (const pair of a) if (Array.isArray(pair) && pair.length === 2) out[F.pyStr(pair[0])] = pair[1];
    }
    return Object.assign(out, kwargs);
  }),
  namespace: new Callable('namespace', (args, kwargs) => {
    const ns: Record<string | symbol, unknown> = { ...(isMapping(args[0]) ? args[0] : {}), ...kwargs };
    Object.defineProperty(ns, NAMESPACE, { value: true });
    return ns;
  }),
  lookup: new Callable('lookup', (args, kwargs, vars) => {
    const [name, ...terms] = args;
    const results = lookup(String(name), terms, kwargs, vars);
    if (kwargs.wantlist === true) return results;
    // Ansible joins several results with ','; one result is itself.
    return results.length === 1 ? results[0] : results.map((r) => F.pyStr(r)).join(',');
  }),
  query: new Callable('query', (args, kwargs, vars) => lookup(String(args[0]), args.slice(1), kwargs, vars)),
};
GLOBALS.q = GLOBALS.query!;
