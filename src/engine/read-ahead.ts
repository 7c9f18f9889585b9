/**
 * Reading ahead: the probe of a file task also reads the paths the next file
 * tasks of the same task list will ask for (each module says which:
 * Module.readAhead), so a converged run of N file tasks costs one round trip
 * on the host instead of N.
 *
 * A reading is used only by the task it was read for, only when that task
 * asks for exactly the queries it was read with, as the same user over the
 * same connection, and only while no command at all ran on that connection
 * since the read (its command count has not moved: any change a task
 * applies, any other host's delegated command drops it). A task the read
 * was not made for that runs on the host in between drops every reading.
 * What is left is the same window as a loop's shared reading: a process on
 * the host that changes a file between two tasks without drover.
 */
import { fileStateScript, parseFileStates, type FileQuery, type FileState } from '../facts/file-state.js';
import { getModule } from '../modules/registry.js';
import type { Node, TaskNode } from '../playbook/types.js';
import { renderDeep } from '../template/index.js';
import type { Connection, ExecResult } from '../transport/connection.js';
import { collectStrings } from '../util/strings-in.js';

/** A later task and the queries its module says it will read first. */
export interface PredictedRead {
  node: TaskNode;
  queries: FileQuery[];
}

interface Reading {
  key: string;
  states: FileState[];
}

/** Per host: the readings made ahead for the tasks that follow. */
export class ReadAhead {
  private readings = new Map<TaskNode, Reading>();
  private conn: Connection | undefined;
  private becomeUser: string | undefined;
  private commandsAt = -1;
  /**
   * A reading went stale (a task wrote): the host is changing (a first run),
   * where reading ahead is wasted, so tasks read alone until one of them
   * leaves the connection quiet (nothing ran after its read).
   */
  private changing = false;
  private alone: { conn: Connection; commandsAt: number } | undefined;

  /** A task starts on the host: a task nothing was read for ends the readings. */
  begin(node: TaskNode): void {
    if (!this.readings.has(node)) this.drop();
  }

  drop(): void {
    this.readings.clear();
    this.conn = undefined;
  }

  /**
   * The states of `queries` for `node`: the reading made ahead when it is
   * still good, else one command reading them and what `predict` says the
   * next tasks will ask for.
   */
  async read(
    node: TaskNode,
    conn: Connection,
    becomeUser: string | undefined,
    queries: FileQuery[],
    exec: (command: string) => Promise<ExecResult>,
    predict: () => PredictedRead[],
    readAlone: () => Promise<FileState[]>,
  ): Promise<FileState[]> {
    const kept = this.take(node, conn, becomeUser, queries);
    if (kept) return kept;
    this.drop();
    const quietSinceAlone = this.alone?.conn === conn && this.alone.commandsAt === conn.stats().commands;
    if (this.changing && !quietSinceAlone) {
      const states = await readAlone();
      this.alone = { conn, commandsAt: conn.stats().commands };
      return states;
    }
    this.changing = false;
    const ahead = predict().filter((p) => p.node !== node);
    if (ahead.length === 0) return readAlone();
    const all = [...queries, ...ahead.flatMap((p) => p.queries.map(capContent))];
    const before = conn.stats().commands;
    const r = await exec(fileStateScript(all));
    let states: FileState[];
    try {
      if (r.rc !== 0) throw new Error(`rc ${r.rc}`);
      states = parseFileStates(r.stdout, all);
    } catch {
      // A later task's path failed to read (permission denied …): this task reads its own, and says why if it fails.
      return readAlone();
    }
    // Another command on the connection while this one ran (a delegated task): its effect may be missing.
    if (conn.stats().commands !== before + 1) return states.slice(0, queries.length);
    let at = queries.length;
    for (const p of ahead) {
      const got = states.slice(at, at + p.queries.length);
      // Content cut short by the cap: that task reads its file itself.
      const cut = got.some((st, i) => st.contentTooLarge && capContent(p.queries[i]!) !== p.queries[i]);
      if (!cut) this.readings.set(p.node, { key: JSON.stringify(p.queries), states: got });
      at += p.queries.length;
    }
    this.conn = conn;
    this.becomeUser = becomeUser;
    this.commandsAt = conn.stats().commands;
    return states.slice(0, queries.length);
  }

  private take(node: TaskNode, conn: Connection, becomeUser: string | undefined, queries: FileQuery[]): FileState[] | undefined {
    const r = this.readings.get(node);
    if (!r) return undefined;
    this.readings.delete(node);
    if (this.conn === conn && conn.stats().commands !== this.commandsAt) this.changing = true;
    const fresh = this.conn === conn && this.becomeUser === becomeUser && conn.stats().commands === this.commandsAt;
    return fresh && r.key === JSON.stringify(queries) ? r.states : undefined;
  }
}

/**
 * The content a later task's query may fetch ahead (lineinfile and ini_file
 * read whole files): what is read ahead is held until used, on every host at
 * once, so a larger file is left to its task.
 */
const AHEAD_CONTENT_MAX = 64 * 1024;
const capContent = (q: FileQuery): FileQuery =>
  q.contentMaxBytes !== undefined && q.contentMaxBytes > AHEAD_CONTENT_MAX ? { ...q, contentMaxBytes: AHEAD_CONTENT_MAX } : q;

/** How many tasks one read serves at most (a long run of file tasks reads in steps). */
const MAX_AHEAD = 16;
/** A lookup may do something (the password lookup writes a file): such args are rendered only when the task runs. */
const LOOKUP = /\b(?:lookup|query|q)\s*\(/;

/** What the play runner knows of a later task on this host. */
export interface ReadAheadScope {
  /** Its effective keywords (inherited from blocks and the play). */
  keywords(node: TaskNode): { become?: boolean; becomeUser?: string; delegateTo?: string; noLog?: boolean | string };
  /** Its variables on this host, as of now. */
  vars(node: TaskNode): Record<string, unknown>;
  diff: boolean;
}

/**
 * What the tasks after the current one will read first, as far as they can
 * be known now: consecutive file tasks that run on this host as the same
 * user, without a loop or no_log, whose args render now. Stops at the first
 * other node (a command, a block, an include): whatever runs there would
 * drop the readings anyway.
 */
export function predictReads(following: readonly Node[], current: { become?: boolean; becomeUser?: string }, scope: ReadAheadScope): PredictedRead[] {
  const user = (k: { become?: boolean; becomeUser?: string }) => (k.become ? (k.becomeUser ?? 'root') : undefined);
  const out: PredictedRead[] = [];
  for (const node of following.slice(0, MAX_AHEAD)) {
    if (node.kind !== 'task' || node.loop) break;
    const mod = getModule(node.module);
    if (!mod?.readAhead) break;
    const k = scope.keywords(node);
    if (k.delegateTo !== undefined || (k.noLog !== undefined && k.noLog !== false) || user(k) !== user(current)) break;
    if (collectStrings(node.args).some((s) => LOOKUP.test(s))) break;
    let queries;
    try {
      const parsed = mod.schema.safeParse(renderDeep(node.args, scope.vars(node), node.pos));
      queries = parsed.success ? mod.readAhead(parsed.data, scope.diff) : undefined;
    } catch {
      queries = undefined; // an undefined variable (set by a task before it): read when it runs
    }
    if (!queries) break;
    out.push({ node, queries });
  }
  return out;
}
