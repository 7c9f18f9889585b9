/**
 * Processes a converged task starts on the target, per module: the playbook
 * bench/playbooks/processes/site.yaml (one converged case per module that runs
 * as a plain user) on one loopback host, converged once, then run R more
 * times under `strace -f` on the loopback sshd (bench/proc-trace.ts says how
 * events are counted and attributed). Prints forks and execs per task (the
 * median over the traced runs) and which programs ran.
 *
 *   npx tsx bench/processes-per-task.ts [--runs 3] [--drover path/to/bin/drover.js]
 *
 * --drover runs another build (e.g. a worktree at an older commit) for a
 * before/after table; the default is this tree's bin/drover.js.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSshd } from '../test/helpers/sshd.js';
import { DROVER_BIN, ROOT, droverInventory, ensureBuilt, flags, loopbackHosts, machine, median, runChild, table, tempDir } from './lib.js';
import { attachDelay, attribute, taskWindows, traceProcess, type ResultEvent } from './proc-trace.js';

const f = flags();
const runs = Number(f.get('runs') ?? 3);
const bin = resolve(f.get('drover') ?? DROVER_BIN);
if (!f.get('drover')) ensureBuilt();
const playbook = join(ROOT, 'bench', 'playbooks', 'processes', 'site.yaml');
const sshd = await startSshd();
const work = tempDir('drover-bench-procs-');
const { hosts } = loopbackHosts(sshd, ['node1']);
const inventory = droverInventory(hosts, 'drover', join(work, 'hosts.ini'));

const counts = new Map<string, { forks: number[]; execs: number[]; progs: Map<string, number> }>();
let between = { forks: 0, execs: 0 };
try {
  for (let i = 0; i <= runs; i++) {
    const events = join(work, `events-${i}.jsonl`);
    const trace = i > 0 ? traceProcess(sshd.pid, join(work, `strace-${i}.txt`)) : undefined;
    if (trace) await attachDelay();
    const r = await runChild(process.execPath, [bin, 'play', playbook, '-i', inventory, '--events', events], { cwd: work, timeoutMs: 300_000 });
    const evs = trace ? await trace.stop() : [];
    if (r.code !== 0) throw new Error(`drover exit ${r.code}:\n${r.stdout.slice(-3000)}${r.stderr}`);
    if (!trace) continue; // the converging run
    const results = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultEvent);
    const changed = results.filter((e) => e.type === 'task_result' && e.status !== 'ok' && e.status !== 'skipped');
    if (changed.length) throw new Error(`not converged: ${changed.map((e) => `${e.task}: ${e.status}`).join(', ')}`);
    const windows = taskWindows(results);
    const perTask = new Map<string, { forks: number; execs: number; progs: string[] }>(windows.map((w) => [w.key, { forks: 0, execs: 0, progs: [] }]));
    for (const ev of evs) {
      const key = attribute(windows, ev.t);
      if (key === undefined) {
        between = { forks: between.forks + (ev.kind === 'fork' ? 1 / runs : 0), execs: between.execs + (ev.kind === 'exec' ? 1 / runs : 0) };
        continue;
      }
      const c = perTask.get(key)!;
      if (ev.kind === 'fork') c.forks++;
      else {
        c.execs++;
        c.progs.push(ev.prog ?? '?');
      }
    }
    for (const [key, c] of perTask) {
      const acc = counts.get(key) ?? { forks: [] as number[], execs: [] as number[], progs: new Map<string, number>() };
      acc.forks.push(c.forks);
      acc.execs.push(c.execs);
      for (const p of c.progs) acc.progs.set(p, (acc.progs.get(p) ?? 0) + 1 / runs);
      counts.set(key, acc);
    }
  }
} finally {
  await sshd.stop();
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
console.log(`processes per converged task on the target (${runs} traced runs, median), ${bin === DROVER_BIN ? 'this tree' : bin}; ${machine()}\n`);
console.log(
  table(
    ['task (module)', 'forks', 'execs', 'programs'],
    [...counts].map(([key, c]) => [key.replace(/^\S+ /, ''), fmt(median(c.forks)), fmt(median(c.execs)), [...c.progs].map(([p, n]) => (n === 1 ? p : `${p}×${fmt(n)}`)).join(' ') || '-']),
  ),
);
console.log(`\noutside task windows (connecting, starting the shell): forks ${fmt(between.forks)}, execs ${fmt(between.execs)} per run`);
