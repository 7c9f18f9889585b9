/**
 * `drover events merge`: the event logs of the runners one run was fanned out
 * to (`--shard K/N`, or any split by `--limit`) read back as one run, for one
 * PLAY RECAP. The logs must make one whole, or the merge says why not:
 *
 * - A host in two runs is an error: the split was broken (runners saw
 *   different inventories, N or --limit), the host was worked on twice at
 *   once, and no single recap line can say what state it is in.
 * - Two runs of the same shard K/N are a re-run: the later one counts (a file
 *   may hold both, as --events appends).
 * - A run that wrote no recap (killed) is counted from its task results and
 *   is an error: its hosts did not finish.
 * - Shards with different N, or a shard of 1..N without a log, are errors.
 */
import type { HostTally } from './events.js';
import { countResult, emptyTally } from './tally.js';
import { InputError } from '../util/errors.js';

/** One run as its event log tells it (from its run_start to its recap). */
export interface LoggedRun {
  file: string;
  /** Line of the run's run_start. */
  line: number;
  /** The run_start's time (ISO), to order re-runs of a shard. */
  started: string;
  shard?: { index: number; count: number };
  check: boolean;
  hosts: Record<string, HostTally>;
  /** false: no recap line (the run was killed); hosts are tallied from its task results. */
  complete: boolean;
  durationMs?: number;
}

interface LogLine {
  ts?: string;
  type?: string;
  host?: string;
  status?: string;
  ignored?: boolean;
  check?: boolean;
  shard?: { index: number; count: number };
  hosts?: Record<string, HostTally>;
  durationMs?: number;
}

/** The runs in one event log's text (`--events` appends, so a file may hold several). */
export function readLoggedRuns(file: string, text: string): LoggedRun[] {
  const runs: LoggedRun[] = [];
  let run: LoggedRun | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    let e: LogLine;
    try {
      e = JSON.parse(raw) as LogLine;
    } catch (err) {
      throw new InputError(`not a line of a drover event log: ${(err as Error).message}`, { file, line: i + 1, col: 1 });
    }
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') throw new InputError('not a line of a drover event log: no "type"', { file, line: i + 1, col: 1 });
    if (e.type === 'run_start') {
      run = { file, line: i + 1, started: e.ts ?? '', check: Boolean(e.check), hosts: {}, complete: false, ...(e.shard ? { shard: e.shard } : {}) };
      runs.push(run);
      return;
    }
    if (!run) throw new InputError(`a "${e.type}" line before any run_start: not a drover event log (written by --events)`, { file, line: i + 1, col: 1 });
    if (e.type === 'task_result' && typeof e.host === 'string' && !run.complete) {
      countResult((run.hosts[e.host] ??= emptyTally()), e.status as Parameters<typeof countResult>[1], Boolean(e.ignored));
    } else if (e.type === 'recap' && e.hosts) {
      // The engine's own tally wins over the one counted here: it knows rescued blocks and unreachable hosts.
      run.hosts = e.hosts;
      run.complete = true;
      if (typeof e.durationMs === 'number') run.durationMs = e.durationMs;
    }
  });
  if (runs.length === 0) throw new InputError('no run in this file: a drover event log starts with a run_start line (written by --events)', { file, line: 1, col: 1 });
  return runs;
}

export interface MergedRuns {
  /** Every host once, sorted by name (as Ansible's recap). */
  hosts: Record<string, HostTally>;
  /** Every counted run was a check run. */
  check: boolean;
  /** The runs counted (re-runs replaced by their later run). */
  runs: LoggedRun[];
  /** Why these logs are not one whole run (non-empty: exit 4). */
  errors: string[];
  warnings: string[];
}

const where = (r: LoggedRun) => `${r.file}:${r.line}`;
const shardName = (r: LoggedRun) => (r.shard ? `shard ${r.shard.index}/${r.shard.count}` : 'run');

export function mergeLoggedRuns(all: LoggedRun[]): MergedRuns {
  const errors: string[] = [];
  const warnings: string[] = [];
  // A shard logged twice: its later run is the current one.
  const byShard = new Map<string, LoggedRun>();
  const runs: LoggedRun[] = [];
  for (const r of all) {
    if (!r.shard) {
      runs.push(r);
      continue;
    }
    const key = `${r.shard.index}/${r.shard.count}`;
    const seen = byShard.get(key);
    if (!seen) byShard.set(key, r);
    else {
      const [earlier, later] = seen.started <= r.started ? [seen, r] : [r, seen];
      warnings.push(`shard ${key} was run twice: ${where(later)} (${later.started}) replaces ${where(earlier)} (${earlier.started})`);
      byShard.set(key, later);
    }
  }
  runs.push(...byShard.values());
  runs.sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0) || a.file.localeCompare(b.file) || a.line - b.line);

  const counts = new Set(runs.flatMap((r) => (r.shard ? [r.shard.count] : [])));
  if (counts.size > 1) errors.push(`the logs are shards of different splits (N = ${[...counts].sort((a, b) => a - b).join(', ')}): merge the logs of one fan-out`);
  else if (counts.size === 1) {
    const n = [...counts][0]!;
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !byShard.has(`${k}/${n}`));
    if (missing.length) errors.push(`no log of shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')}: the recap lacks ${missing.length > 1 ? 'their' : 'its'} hosts`);
  }
  for (const r of runs) if (!r.complete) errors.push(`${shardName(r)} at ${where(r)} has no recap (the run was killed?): its hosts did not finish; counted from the task results it logged`);

  const owner = new Map<string, LoggedRun>();
  const hosts: Record<string, HostTally> = {};
  for (const r of runs) {
    for (const [h, t] of Object.entries(r.hosts)) {
      const other = owner.get(h);
      if (other) {
        errors.push(`host ${h} is in two runs: ${shardName(other)} at ${where(other)} and ${shardName(r)} at ${where(r)} (the runners did not split the same hosts the same way)`);
        continue;
      }
      owner.set(h, r);
      hosts[h] = t;
    }
  }
  const checks = new Set(runs.map((r) => r.check));
  if (checks.size > 1) warnings.push('some runs were check runs (--check) and some were not: the recap mixes predictions and changes');
  const sorted = Object.fromEntries(Object.keys(hosts).sort().map((h) => [h, hosts[h]!]));
  return { hosts: sorted, check: checks.size === 1 && checks.has(true), runs, errors, warnings };
}
