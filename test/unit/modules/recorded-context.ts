/**
 * A TaskContext for planning tests: exec answers from recorded outputs (in
 * order) and records every command, so a test can assert both the decision and
 * the number of round trips. Nothing here runs a command.
 */
import { FactCache } from '../../../src/facts/cache.js';
import type { ExecOptions, ExecResult } from '../../../src/transport/connection.js';
import type { TaskContext } from '../../../src/modules/types.js';

export interface Recorded {
  ctx: TaskContext;
  sent: Array<{ command: string; opts?: ExecOptions }>;
  secrets: unknown[];
}

export function recordedContext(answers: Array<Partial<ExecResult>>, over: Partial<TaskContext> = {}): Recorded {
  const sent: Recorded['sent'] = [];
  const secrets: unknown[] = [];
  const exec = async (command: string, opts?: ExecOptions): Promise<ExecResult> => {
    sent.push({ command, opts });
    const a = answers.shift();
    if (!a) throw new Error(`unexpected command (no recorded answer left): ${command}`);
    return { stdout: '', stderr: '', rc: 0, ...a };
  };
  const ctx: TaskContext = {
    host: 'h1',
    conn: undefined as never,
    exec,
    run: exec,
    vars: {},
    check: false,
    diff: false,
    facts: new FactCache(),
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
  return { ctx, sent, secrets };
}
