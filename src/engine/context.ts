import type { FactCache } from '../facts/cache.js';
import { readFact } from '../facts/fact.js';
import type { FileQuery } from '../facts/file-state.js';
import { fileStatesFact } from '../facts/files.js';
import type { Connection, ExecOptions, ExecResult } from '../transport/connection.js';
import type { LocalFileKind, TaskContext } from '../modules/types.js';
import { searchLocalFile } from '../playbook/local-files.js';
import type { TaskNode } from '../playbook/types.js';
import { evaluateCondition, renderText } from '../template/index.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Redactor } from '../util/redact.js';
import type { HostState } from './host-state.js';
import { extendVars } from './vars.js';
import type { PredictedRead, ReadAhead } from './read-ahead.js';

export interface ContextParams {
  host: HostState;
  node: TaskNode;
  conn: Connection;
  vars: Record<string, unknown>;
  check: boolean;
  /**
   * Check mode: an earlier task of this run predicted a change (or could not predict)
   * on the controller (a host drover reaches with the local connection), so a
   * controller-side file may not exist yet (credentials it generates): findFile says so.
   */
  controllerChangesPredicted: boolean;
  diff: boolean;
  becomeUser?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Readings of uncached facts shared by one loop's items (task-runner.ts); dropped by any other command. */
  readings?: FactCache;
  /** The host's readings made ahead (read-ahead.ts), and what the next tasks will read; for a task on its own host, without a loop. */
  readAhead?: { state: ReadAhead; predict: () => PredictedRead[] };
  redactor: Redactor;
  /** verbosity: the -v count that shows the line (default 1). */
  log: (message: string, verbosity?: number) => void;
}

/** Builds the TaskContext a module sees for one (host, task, item). */
export function makeTaskContext(p: ContextParams): TaskContext {
  const { node, redactor } = p;
  const runCommand = async (command: string, opts: ExecOptions = {}): Promise<ExecResult> => {
    const merged: ExecOptions = {
      becomeUser: p.becomeUser,
      timeoutMs: p.timeoutMs,
      ...opts,
      env: p.env || opts.env ? { ...(p.env ?? {}), ...(opts.env ?? {}) } : undefined,
    };
    const started = Date.now();
    const r = await p.conn.exec(command, merged);
    // Logged as run (shown at -vvv); known secrets are masked where the log event leaves the engine.
    p.log(
      `$ ${command}${merged.becomeUser ? ` (as ${merged.becomeUser})` : ''} -> rc=${r.rc} ${Date.now() - started}ms` +
        (r.stderr.trim() ? `\n  stderr: ${r.stderr.trim().split('\n').slice(-5).join('\n  stderr: ')}` : ''),
      3,
    );
    return r;
  };
  // A command that is not a fact's read may change what the loop's readings saw.
  const readings = p.readings;
  const exec = !readings
    ? runCommand
    : async (command: string, opts?: ExecOptions): Promise<ExecResult> => {
        readings.clear();
        try {
          return await runCommand(command, opts);
        } finally {
          readings.clear();
        }
      };
  const ctx: TaskContext = {
    host: p.host.name,
    conn: p.conn,
    exec,
    async run(command, opts) {
      const r = await exec(command, opts);
      if (r.rc !== 0) {
        const firstLine = r.stderr.trim().split('\n').slice(-1)[0] ?? '';
        throw new ModuleError(`command failed with rc=${r.rc}${firstLine ? `: ${firstLine}` : ''}`, command, r.stderr, r.rc, r.stdout);
      }
      return r;
    },
    vars: p.vars,
    check: p.check,
    earlierChangesPredicted: p.check && p.host.tally.changed + p.host.tally.unknown > 0,
    diff: p.diff,
    becomeUser: p.becomeUser,
    facts: p.host.factCache,
    fact: (def, params) => {
      const alone = () => readFact(runCommand, p.host.factCache, def, params, readings);
      if (!p.readAhead || def !== (fileStatesFact as unknown)) return alone();
      const { queries } = params as { queries: FileQuery[] };
      return p.readAhead.state.read(node, p.conn, p.becomeUser, queries, runCommand, p.readAhead.predict, alone as () => Promise<never>) as Promise<never>;
    },
    evaluate: (expression) => evaluateCondition(expression, p.vars, node.pos),
    render: (text, extraVars, file, options) =>
      renderText(text, extraVars ? extendVars(p.vars, extraVars) : p.vars, file ?? `${node.pos.file}:${node.pos.line}`, options),
    findFile: (kind, path) => {
      try {
        return findLocalFile(node, kind, path);
      } catch (e) {
        // Check mode: an earlier task on the controller may create it (credentials, a key pair it generates).
        if (p.check && p.controllerChangesPredicted && e instanceof ModuleError) throw new LocalFileNotYet(kind, path);
        throw e;
      }
    },
    secret: (value) => redactor.add(value),
    log: (message) => p.log(message),
    async expandUser(path) {
      const m = /^~([A-Za-z0-9_.-]*)(\/.*)?$/.exec(path);
      if (!m) return path;
      const user = m[1] ?? '';
      const key = `home:${user || `~${p.becomeUser ?? ''}`}`;
      const home = await p.host.factCache.get(key, async () => {
        const r = await runCommand(user ? `getent passwd ${shq(user)} | cut -d: -f6` : 'printf %s "$HOME"');
        const h = r.stdout.trim();
        if (r.rc !== 0 || !h) throw new ModuleError(`cannot expand ${path}: no home directory found`, undefined, r.stderr, r.rc);
        return h;
      });
      return home + (m[2] ?? '');
    },
  };
  return ctx;
}

/** Check mode: a controller-side file not there yet, after a change predicted on the controller. The task is unknown. */
export class LocalFileNotYet extends ModuleError {
  constructor(kind: LocalFileKind, path: string) {
    super(`${kind} file ${path} is not on the controller yet: whether an earlier task creates it, and what it holds, is known only then`);
  }
}

/** A controller-side file by the playbook's search rule; not found is the task's error. */
export function findLocalFile(node: { role?: { path: string }; baseDir: string }, kind: LocalFileKind, p: string): string {
  const { found, candidates } = searchLocalFile(node, kind, p);
  if (found) return found;
  throw new ModuleError(candidates.length === 1 ? `file not found: ${candidates[0]}` : `could not find ${kind} file '${p}' (looked in ${candidates.join(', ')})`);
}
