/**
 * Where one CLI run's wall time goes: drover's CLI run R times (after a
 * warm-up that converges) against N loopback hosts with `--events`, and the
 * medians of: process start -> play start (node start, loading the CLI,
 * inventory + playbook load and validation), -> first task result (connect,
 * first shell, first task), -> last task result, -> exit; plus each task's
 * slowest host. Timestamps are the event log's (1 ms resolution).
 *
 *   npx tsx bench/timeline.ts [--hosts 3] [--runs 7] [--playbook bench/playbooks/vs-ansible/drover.yaml]
 */
import { join, resolve } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { startSshd } from '../test/helpers/sshd.js';
import { DROVER_BIN, ROOT, droverInventory, ensureBuilt, flags, loopbackHosts, machine, median, runChild, table, tempDir } from './lib.js';

interface LoggedEvent {
  ts: string;
  type: string;
  task?: string;
  durationMs?: number;
}

const f = flags();
const n = Number(f.get('hosts') ?? 3);
const runs = Number(f.get('runs') ?? 7);
const playbook = resolve(f.get('playbook') ?? join(ROOT, 'bench', 'playbooks', 'vs-ansible', 'drover.yaml'));
ensureBuilt();
const sshd = await startSshd();
const work = tempDir('drover-bench-timeline-');
const { hosts, dir } = loopbackHosts(sshd, Array.from({ length: n }, (_, i) => `node${i + 1}`));
const inventory = droverInventory(hosts, 'drover', join(work, 'hosts.ini'));

const phases: Record<string, number[]> = {};
const tasks = new Map<string, number[]>();
const add = (m: Record<string, number[]> | Map<string, number[]>, k: string, v: number) => {
  if (m instanceof Map) (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  else (m[k] ??= []).push(v);
};
try {
  for (let i = 0; i <= runs; i++) {
    const events = join(work, `events-${i}.jsonl`);
    const t0 = Date.now();
    const r = await runChild(process.execPath, [DROVER_BIN, 'play', playbook, '-i', inventory, '-f', String(Math.max(5, n)), '--events', events], { cwd: work });
    const t1 = Date.now();
    if (r.code !== 0) throw new Error(`drover exit ${r.code}:\n${r.stdout.slice(-2000)}${r.stderr}`);
    if (i === 0) continue; // warm-up: converges, fills caches
    const evs = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoggedEvent);
    const at = (e: LoggedEvent | undefined) => (e ? Date.parse(e.ts) - t0 : NaN);
    const results = evs.filter((e) => e.type === 'task_result');
    const playStart = at(evs.find((e) => e.type === 'play_start'));
    const first = at(results[0]);
    const last = at(results.at(-1));
    add(phases, 'start -> play start (node, CLI load, inventory + playbook load and validation)', playStart);
    add(phases, 'play start -> first result (connect, first shell, first task)', first - playStart);
    add(phases, 'first result -> last result (the other tasks)', last - first);
    add(phases, 'last result -> process exit (recap, close)', t1 - t0 - last);
    add(phases, 'wall', t1 - t0);
    const slowest = new Map<string, number>();
    for (const e of results) slowest.set(e.task!, Math.max(slowest.get(e.task!) ?? 0, e.durationMs ?? 0));
    for (const [t, ms] of slowest) add(tasks, t, ms);
  }
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

console.log(`# timeline of a CLI run — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`${playbook.replace(ROOT + '/', '')} on ${n} loopback host(s), converged, ${runs} runs (median)\n`);
console.log(table(['phase', 'ms'], Object.entries(phases).map(([k, v]) => [k, median(v).toFixed(0)])));
console.log('');
console.log(table(['task', 'slowest host, ms'], [...tasks].map(([k, v]) => [k, median(v).toFixed(0)])));
