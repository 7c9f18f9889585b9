/**
 * Where a converged lab's run goes: `drover play` of the lab's site.yaml on
 * its running local nodes (`drover lab run LAB` first), converged and
 * `--check`, with `--events`; per task the slowest host's time and the sum
 * over hosts, the module, and (with --strace) the processes the task started
 * on each node.
 *
 * Counting processes: `strace -f` from this machine (local nodes are
 * containers on it) attached to each node's sshd listener, tracing execve and
 * the fork family. Every connection drover opens is a child of that sshd, so
 * everything the run starts on the node is seen; services the run only talks
 * to (mysqld, systemd, keystone) are not its children and are not counted.
 * Each event is attributed by its timestamp to the task running then (the
 * linear strategy runs one task at a time on all hosts; a task's window is
 * [result time - duration, result time] from the event log, same clock).
 * "forks" are new processes (clone without CLONE_THREAD, fork, vfork), "execs"
 * programs started (successful execve): a subshell is a fork without an exec.
 *
 *   npx tsx bench/lab-profile.ts --lab lab4 [--nodes lab4] [--runs 1] [--strace] [--top 25] [--json out.json]
 *
 * The lab's placement comes from the environment, as for `drover lab`
 * (DROVER_HOME, DROVER_MACHINE_PREFIX, …).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DROVER_BIN, ROOT, benchEnv, ensureBuilt, flags, fmtMs, machine, median, runChild, table, tempDir } from './lib.js';
import { labHome, sshdHostPid } from './lab-nodes.js';
import { attachDelay, attribute, taskWindows, traceProcess, type ResultEvent, type TraceEvent } from './proc-trace.js';
import '../src/modules/index.js';
import { moduleNames } from '../src/modules/registry.js';

interface LoggedEvent extends ResultEvent {
  hosts?: Record<string, { changed: number; failed: number; unknown?: number; ok: number }>;
}

const f = flags();
const lab = f.get('lab') ?? 'lab4';
const runs = Number(f.get('runs') ?? 1);
const top = Number(f.get('top') ?? 25);
const withStrace = f.has('strace');
ensureBuilt();
// --nodes: another lab's running nodes (lab1's playbook on lab4's nodes, which hold lab1's roles too).
const nodesLab = f.get('nodes') ?? lab;
const home = labHome(nodesLab);
const inventory = join(home, 'inventory.ini');
const playbook = join(ROOT, 'labs', lab, 'site.yaml');
if (!existsSync(inventory)) throw new Error(`${inventory} missing: bring the lab up first (drover lab run ${nodesLab})`);
const nodes = (JSON.parse(readFileSync(join(home, 'lab.json'), 'utf8')) as { nodes: Array<{ name: string }> }).nodes.map((n) => n.name);
const work = tempDir('drover-lab-profile-');

/** The module a task uses: the first key of the task's mapping that names a module (read from its source line). */
const moduleCache = new Map<string, string>();
const known = new Set(moduleNames());
function moduleAt(where: string): string {
  const hit = moduleCache.get(where);
  if (hit) return hit;
  const m = /^(.*):(\d+):(\d+)$/.exec(where);
  let found = '?';
  if (m) {
    const lines = readFileSync(m[1]!, 'utf8').split('\n');
    const col = Number(m[3]) - 1;
    const first = lines[Number(m[2]) - 1] ?? '';
    // The task's keys sit at the column after "- " (or at the position given).
    const keyCol = first.slice(col).startsWith('- ') ? col + 2 : col;
    for (let i = Number(m[2]) - 1; i < lines.length; i++) {
      const line = i === Number(m[2]) - 1 ? ' '.repeat(keyCol) + first.slice(keyCol) : lines[i]!;
      if (i > Number(m[2]) - 1 && line.trim() && line.search(/\S/) < keyCol) break;
      const k = /^\s*([A-Za-z_][\w.]*):/.exec(line);
      if (k && line.search(/\S/) === keyCol) {
        const name = k[1]!.replace(/^ansible\.(builtin|legacy)\./, '');
        if (known.has(name) || ['include_role', 'import_role', 'include_tasks', 'meta'].includes(name)) {
          found = name;
          break;
        }
      }
    }
  }
  moduleCache.set(where, found);
  return found;
}

interface RunResult {
  wallMs: number;
  events: LoggedEvent[];
  traces: Map<string, TraceEvent[]>;
  recap: string;
}

async function oneRun(check: boolean, i: number): Promise<RunResult> {
  const eventsFile = join(work, `events-${check ? 'check' : 'run'}-${i}.jsonl`);
  const tracers = withStrace ? nodes.map((node) => ({ node, trace: traceProcess(sshdHostPid(nodesLab, node), join(work, `strace-${node}-${check ? 'check' : 'run'}-${i}.txt`)) })) : [];
  if (withStrace) await attachDelay();
  const r = await runChild(process.execPath, [DROVER_BIN, 'play', playbook, '-i', inventory, '--events', eventsFile, ...(check ? ['--check'] : [])], { cwd: work, timeoutMs: 1_800_000, env: { ...benchEnv, ANSIBLE_ROLES_PATH: join(ROOT, 'roles') } });
  const traces = new Map<string, TraceEvent[]>();
  for (const t of tracers) traces.set(t.node, await t.trace.stop());
  if (r.code !== 0) throw new Error(`drover exit ${r.code}:\n${r.stdout.slice(-3000)}${r.stderr}`);
  const events = readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoggedEvent);
  const recap = (r.stdout.match(/^PLAY RECAP[\s\S]*?(?=\n\n|$)/m)?.[0] ?? '').trim();
  return { wallMs: r.wallMs, events, traces, recap };
}

interface TaskRow {
  key: string;
  task: string;
  where: string;
  module: string;
  maxMs: number[];
  sumMs: number[];
  forks: Map<string, number>;
  execs: Map<string, number>;
  progs: Map<string, number>;
  /** Per run: host-task executions that did something (not skipped); a loop counts its items. */
  units: number[];
}

function profile(results: RunResult[]): { rows: TaskRow[]; wall: number[]; recaps: string[] } {
  const rows = new Map<string, TaskRow>();
  const wall: number[] = [];
  for (const res of results) {
    wall.push(res.wallMs);
    const perRun = new Map<string, { max: number; sum: number; units: number }>();
    const windows = taskWindows(res.events);
    for (const e of res.events) {
      if (e.type !== 'task_result') continue;
      const key = `${e.where} ${e.task}`;
      const row = rows.get(key) ?? { key, task: e.task!, where: e.where!, module: moduleAt(e.where!), maxMs: [], sumMs: [], forks: new Map(), execs: new Map(), progs: new Map(), units: [] };
      rows.set(key, row);
      const acc = perRun.get(key) ?? { max: 0, sum: 0, units: 0 };
      acc.max = Math.max(acc.max, e.durationMs ?? 0);
      acc.sum += e.durationMs ?? 0;
      if (e.status !== 'skipped') acc.units += Math.max(1, e.loopItems ?? 0);
      perRun.set(key, acc);
    }
    for (const [key, acc] of perRun) {
      rows.get(key)!.maxMs.push(acc.max);
      rows.get(key)!.sumMs.push(acc.sum);
      rows.get(key)!.units.push(acc.units);
    }
    for (const [node, evs] of res.traces) {
      for (const ev of evs) {
        const row = rows.get(attribute(windows, ev.t) ?? '') ?? rows.get('(between tasks: connect, facts)');
        const target =
          row ??
          rows
            .set('(between tasks: connect, facts)', { key: '(between tasks: connect, facts)', task: '(between tasks: connect, facts)', where: '', module: '-', maxMs: [], sumMs: [], forks: new Map(), execs: new Map(), progs: new Map(), units: [] })
            .get('(between tasks: connect, facts)')!;
        const m = ev.kind === 'fork' ? target.forks : target.execs;
        m.set(node, (m.get(node) ?? 0) + 1 / results.length);
        if (ev.prog) target.progs.set(ev.prog, (target.progs.get(ev.prog) ?? 0) + 1 / results.length);
      }
    }
  }
  return { rows: [...rows.values()], wall, recaps: results.map((r) => r.recap) };
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const fmtN = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function report(title: string, p: ReturnType<typeof profile>): string {
  const out: string[] = [];
  const totalMax = p.rows.reduce((a, r) => a + (r.maxMs.length ? median(r.maxMs) : 0), 0);
  out.push(`### ${title}: wall ${fmtMs(median(p.wall))} (runs: ${p.wall.map((w) => fmtMs(w)).join(', ')}); sum of per-task slowest host ${fmtMs(totalMax)}`);
  out.push('');
  const sorted = [...p.rows].filter((r) => r.maxMs.length).sort((a, b) => median(b.maxMs) - median(a.maxMs));
  const header = ['task', 'module', 'slowest host', 'sum over hosts'];
  if (withStrace) header.push('forks / execs (all nodes)', 'programs');
  out.push(
    table(
      header,
      sorted.slice(0, top).map((r) => {
        const row: string[] = [`${r.task.slice(0, 60)} (${r.where.replace(/^.*\/(roles|labs)\//, '$1/')})`, r.module, fmtMs(median(r.maxMs)), fmtMs(median(r.sumMs))];
        if (withStrace) row.push(`${fmtN(sum(r.forks))} / ${fmtN(sum(r.execs))}`, [...r.progs].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k}×${fmtN(v)}`).join(' '));
        return row;
      }),
    ),
  );
  // By module: where the time goes, and processes per task run.
  const byModule = new Map<string, { ms: number; tasks: number; forks: number; execs: number; units: number }>();
  for (const r of p.rows) {
    if (!r.maxMs.length) continue;
    const m = byModule.get(r.module) ?? { ms: 0, tasks: 0, forks: 0, execs: 0, units: 0 };
    m.ms += median(r.maxMs);
    m.tasks += 1;
    m.forks += sum(r.forks);
    m.execs += sum(r.execs);
    m.units += median(r.units);
    byModule.set(r.module, m);
  }
  out.push('');
  const per = (n: number, d: number) => (d ? (n / d).toFixed(1) : '-');
  out.push(
    table(
      ['module', 'tasks', 'time (slowest host, summed)', ...(withStrace ? ['host runs (loop items)', 'forks', 'execs', 'forks / run', 'execs / run'] : [])],
      [...byModule]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([k, v]) => [k, v.tasks, fmtMs(v.ms), ...(withStrace ? [fmtN(v.units), fmtN(v.forks), fmtN(v.execs), per(v.forks, v.units), per(v.execs, v.units)] : [])]),
    ),
  );
  const between = p.rows.find((r) => r.key.startsWith('(between'));
  if (between) out.push('', `outside task windows (connect, become shells, fact gathering): forks ${fmtN(sum(between.forks))}, execs ${fmtN(sum(between.execs))} (${[...between.progs].map(([k, v]) => `${k}×${fmtN(v)}`).join(' ')})`);
  out.push('', '```', p.recaps.at(-1) ?? '', '```');
  return out.join('\n');
}

const results: { run: RunResult[]; check: RunResult[] } = { run: [], check: [] };
for (let i = 0; i < runs; i++) {
  results.run.push(await oneRun(false, i));
  results.check.push(await oneRun(true, i));
}
const text = [
  `${lab} converged on local nodes (${nodes.join(', ')}), ${runs} run(s) each, ${machine()}`,
  '',
  report('converged run', profile(results.run)),
  '',
  report('--check on the converged nodes', profile(results.check)),
].join('\n');
console.log(text);
if (f.get('json')) writeFileSync(f.get('json')!, JSON.stringify({ run: profile(results.run).rows, check: profile(results.check).rows }, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2));
