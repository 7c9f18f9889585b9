/**
 * A TaskContext for planning tests. Nothing here runs a command.
 *
 * Facts: given `facts` (test data keyed by fact name, values as parsed), a
 * fact read is answered from it — through the same cache rule as the engine,
 * so "read once per host" is observable in `reads` — and a fact the data
 * lacks is an error. Without `facts`, a fact runs its command against the
 * recorded answers like any other command (to test commands and parsers).
 *
 * Commands: exec answers from the recorded outputs in order (none left: an
 * error, or with `facts`, a plain success) and records every command.
 */
import { FactCache } from '../../../src/facts/cache.js';
import { factFromData, factKey, readFact, throughCache } from '../../../src/facts/fact.js';
import type { ExecOptions, ExecResult } from '../../../src/transport/connection.js';
import type { TaskContext } from '../../../src/modules/types.js';
import { ModuleError } from '../../../src/util/errors.js';

export interface FactRead {
  /** name or name:key */
  key: string;
  /** What the fact would have sent (for the no-secret-in-argv check). */
  command: string;
  stdin?: string;
}

export interface Recorded {
  ctx: TaskContext;
  sent: Array<{ command: string; opts?: ExecOptions }>;
  secrets: unknown[];
  /** Facts read from data, in order (cached readings are not read again). */
  reads: FactRead[];
}

/** A recorded answer, or one computed from what was sent (an answer that echoes a per-read marker). */
export type RecordedAnswer = Partial<ExecResult> | ((command: string, opts?: ExecOptions) => Partial<ExecResult>);

export function recordedContext(answers: RecordedAnswer[], over: Partial<TaskContext> = {}, facts?: Record<string, unknown>): Recorded {
  const sent: Recorded['sent'] = [];
  const secrets: unknown[] = [];
  const reads: FactRead[] = [];
  const cache = new FactCache();
  const exec = async (command: string, opts?: ExecOptions): Promise<ExecResult> => {
    sent.push({ command, opts });
    const a = answers.shift();
    if (!a && !facts) throw new Error(`unexpected command (no recorded answer left): ${command}`);
    return { stdout: '', stderr: '', rc: 0, ...(typeof a === 'function' ? a(command, opts) : a) };
  };
  const ctx: TaskContext = {
    host: 'h1',
    conn: undefined as never,
    exec,
    run: async (command, opts) => {
      const r = await exec(command, opts);
      if (r.rc !== 0) throw new ModuleError(`command failed with rc=${r.rc}: ${r.stderr.trim()}`, command, r.stderr, r.rc);
      return r;
    },
    vars: {},
    check: false,
    earlierChangesPredicted: false,
    diff: false,
    facts: cache,
    fact: (def, params) => {
      if (!facts) return readFact(exec, cache, def, params);
      return throughCache(cache, def, params, async () => {
        const key = factKey(def, params);
        reads.push({ key, command: def.command(params), stdin: def.stdin?.(params) });
        const name = def.dataName ?? def.name;
        if (!Object.hasOwn(facts, name)) throw new Error(`no recorded value for fact ${name} (reading ${key})`);
        const v = factFromData(def, facts[name], params);
        // { $error: message }: reading this fact fails, as a failed command would.
        if (v && typeof v === 'object' && Object.hasOwn(v, '$error')) throw new ModuleError(String((v as unknown as { $error: unknown }).$error), def.command(params));
        return v;
      });
    },
    evaluate: () => {
      throw new Error('no evaluator in this test');
    },
    render: (t) => t,
    expandUser: async (p) => p,
    findFile: (_k, p) => p,
    secret: (v) => secrets.push(v),
    log: () => {},
    ...over,
  };
  return { ctx, sent, secrets, reads };
}
