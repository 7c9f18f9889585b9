/**
 * A real TaskContext over a real Connection, for module integration tests
 * that do not need the whole engine: exec goes to the connection (with the
 * given become user), run raises ModuleError like the engine's, secrets are
 * collected so tests can check them. Evaluate/render are supplied by the test
 * when it needs them.
 */
import { FactCache } from '../../src/facts/cache.js';
import type { TaskContext } from '../../src/modules/types.js';
import type { Connection, ExecOptions } from '../../src/transport/connection.js';
import { ModuleError } from '../../src/util/errors.js';

export interface MinContextOptions {
  check?: boolean;
  diff?: boolean;
  becomeUser?: string;
  vars?: Record<string, unknown>;
  evaluate?: (expression: string) => boolean;
  findFile?: TaskContext['findFile'];
  /** Every command sent, for round-trip counting. */
  sent?: string[];
  secrets?: unknown[];
}

export function makeMinTaskContext(conn: Connection, o: MinContextOptions = {}): TaskContext {
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
      if (r.rc !== 0) throw new ModuleError(`command failed with rc=${r.rc}`, command, r.stderr, r.rc);
      return r;
    },
    vars: o.vars ?? {},
    check: o.check ?? false,
    diff: o.diff ?? false,
    becomeUser: o.becomeUser,
    facts: new FactCache(),
    evaluate: o.evaluate ?? (() => {
      throw new Error('this test context has no evaluator');
    }),
    render: () => {
      throw new Error('this test context has no renderer');
    },
    async expandUser(p) {
      if (!p.startsWith('~')) return p;
      const home = (await exec('printf %s "$HOME"')).stdout;
      return home + p.slice(1);
    },
    findFile: o.findFile ?? ((_kind, p) => p),
    secret: (v) => o.secrets?.push(v),
    log: () => {},
  };
}
