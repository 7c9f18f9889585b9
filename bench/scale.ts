/**
 * Scale: N inventory hosts (default 50, 200, 500) that all point at one
 * loopback sshd (user drover-t1, a directory per host), a 4-task idempotent
 * playbook (bench/playbooks/scale/) on converged state. Reports drover's wall
 * time (the CLI as a child process), its peak RSS and per-host cost, and the
 * floor measured in the same run: a bare ssh2 script (bench/floor-client.ts)
 * that opens the same connections with the same bounded concurrency (64, as
 * drover's connection pool) and sends the very commands drover sent (recorded
 * from drover's event log) over one long-lived shell per host. Runs are
 * alternated drover, floor, drover, floor. Ansible runs at N = 50 (and 200 with --ansible 50,200),
 * each run capped (--ansible-cap seconds).
 *
 *   npx tsx bench/scale.ts [--sizes 50,200,500] [--runs 2] [--ansible 50] [--ansible-cap 60] [--count-recording]   (--ansible 50,200 --ansible-cap 120: Ansible took 79 s at 200 here)
 */
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { startSshd } from '../test/helpers/sshd.js';
import {
  ROOT, ansibleEnv, ansibleInventory, droverInventory, ensureBuilt, flags, fmtMs, loopbackHosts, machine, median, runAnsible,
  runDrover, stopAnsibleMasters, table, tempDir, type ChildRun,
} from './lib.js';
import { floorRun } from './floor-client.js';

const f = flags();
const sizes = (f.get('sizes') ?? '50,200,500').split(',').map(Number);
const runs = Number(f.get('runs') ?? 2);
// --count-recording: the run that records the commands (with --events) is also drover's first measured run: one run fewer at 2,000 hosts, where a run takes minutes; its event log only adds to drover's time.
const countRecording = f.has('count-recording');
const ansibleSizes = new Set((f.get('ansible') ?? '50').split(',').filter(Boolean).map(Number));
const ansibleCapMs = Number(f.get('ansible-cap') ?? 60) * 1000;
const CONNECT_CONCURRENCY = 64; // src/engine/connections.ts: min(forks, 64)
const PB = join(ROOT, 'bench', 'playbooks', 'scale');

ensureBuilt();
// Unthrottled: drover and the floor connect 64 at a time, so sshd never has more unauthenticated connections than that.
const sshd = await startSshd({ extraConfig: 'MaxStartups 1000\nMaxSessions 1000' });
const work = tempDir('drover-bench-scale-');
console.log(`# scale — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`targets: N inventory hosts on one loopback sshd 127.0.0.1:${sshd.port} (MaxStartups 1000, MaxSessions 1000), user ${sshd.user}`);
console.log(`runs: ${runs} each for drover and the floor, alternated\n`);

interface Row {
  n: number;
  drover: ChildRun[];
  engineMs: number[];
  floor: { totalMs: number; connectMs: number; failures: number }[];
  ansible?: ChildRun | 'capped' | 'failed';
  unreachable: number;
}
const rows: Row[] = [];

/** drover's recap (`host : ok=N changed=N unreachable=N failed=N …`): sums over the hosts, and the engine's own duration (`SLOWEST TASKS (run 1m03s)`). */
function recap(r: ChildRun): { changed: number; failed: number; unreachable: number; ok: number; ms: number } {
  const text = r.stdout.slice(r.stdout.lastIndexOf('PLAY RECAP'));
  let changed = 0, failed = 0, unreachable = 0, ok = 0;
  for (const l of text.split('\n')) {
    const m = /^\S+\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(l);
    if (!m) continue;
    ok++;
    changed += Number(m[2]);
    unreachable += Number(m[3]);
    failed += Number(m[4]);
  }
  const t = /SLOWEST TASKS \(run (?:(\d+)m(\d+)s|(\d+\.\d+)s)\)/.exec(r.stdout);
  const ms = !t ? NaN : t[3] !== undefined ? Number(t[3]) * 1000 : (Number(t[1]) * 60 + Number(t[2])) * 1000;
  return { changed, failed, unreachable, ok, ms };
}

/** drover's unreachable results (`unreachable: [h]` and the line that says why). */
function unreachableLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  return lines.flatMap((l, i) => (l.startsWith('unreachable: [') ? [`${l} ${(lines[i + 1] ?? '').trim()}`] : []));
}

/** Per host, the commands drover sent, from the `log` events of its event log ("$ CMD -> rc=N Tms"). */
function recordedCommands(eventsFile: string): Map<string, { cmd: string; rc: number }[]> {
  const out = new Map<string, { cmd: string; rc: number }[]>();
  for (const line of readFileSync(eventsFile, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: string; host?: string; message?: string };
    if (e.type !== 'log' || !e.host || !e.message?.startsWith('$ ')) continue;
    const m = /^\$ ([\s\S]*?)(?: \(as [^)]+\))? -> rc=(\d+) \d+ms(?:\n {2}stderr: [\s\S]*)?$/.exec(e.message);
    if (!m) throw new Error(`cannot parse log event: ${e.message.slice(0, 200)}`);
    const list = out.get(e.host) ?? [];
    list.push({ cmd: m[1]!, rc: Number(m[2]) });
    out.set(e.host, list);
  }
  return out;
}

const ans = ansibleEnv(50);
const started = Date.now();
try {
  for (const n of sizes) {
    const names = Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(3, '0')}`);
    const { hosts, dir } = loopbackHosts(sshd, names);
    try {
      const inv = droverInventory(hosts, 'drover', join(work, `drover-${n}.ini`));
      const dArgs = ['-f', String(n)];
      // A loaded machine at 2,000 hosts needs more than runDrover's default 5 minutes.
      const capMs = Math.max(300_000, n * 600);
      const pb = join(PB, 'drover.yaml');
      // Converge, then record what a converged run sends.
      // Converge. Under heavy load some connections time out (exit 3): say why, and converge again (at most 3 times).
      for (let attempt = 1; ; attempt++) {
        const w1 = await runDrover(pb, inv, dArgs, capMs);
        process.stderr.write(`  N=${n} warm-up ${attempt}: ${fmtMs(w1.wallMs)}, exit ${w1.code}\n`);
        if (w1.code === 0) break;
        const lost = unreachableLines(w1.stdout);
        process.stderr.write(`  N=${n} warm-up ${attempt}: ${lost.length} hosts unreachable${lost.length ? `, e.g.\n    ${lost.slice(0, 3).join('\n    ')}` : ''}\n`);
        if (w1.code !== 3 || attempt === 3) throw new Error(`drover warm-up (N=${n}) exit ${w1.code}\n${w1.stdout.slice(-2000)}${w1.stderr}`);
      }
      const events = join(work, `events-${n}.jsonl`);
      const w2 = await runDrover(pb, inv, [...dArgs, '--events', events], capMs);
      if (w2.code !== 0 || recap(w2).changed) throw new Error(`drover second warm-up (N=${n}) not converged\n${w2.stdout.slice(-2000)}`);
      const cmds = recordedCommands(events);
      if (cmds.size !== n) throw new Error(`recorded commands for ${cmds.size} of ${n} hosts`);
      const perHost = names.map((h) => cmds.get(h)!);
      const target = { host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile, hostPublicKey: sshd.hostPublicKey };

      const row: Row = { n, drover: [], engineMs: [], floor: [], unreachable: 0 };
      for (let r = 0; r < runs; r++) {
        const d = r === 0 && countRecording ? w2 : await runDrover(pb, inv, dArgs, capMs);
        const rc = recap(d);
        if (d.code !== 0 || rc.changed || rc.failed || rc.ok !== n) {
          throw new Error(`drover run (N=${n}) exit ${d.code}, recap: ${rc.ok} of ${n} hosts, changed ${rc.changed}, failed ${rc.failed}\n${d.stdout.slice(-2000)}${d.stderr}`);
        }
        row.unreachable += rc.unreachable;
        row.drover.push(d);
        row.engineMs.push(rc.ms);
        // The floor: same connections and commands (a command's recorded rc is what it should return).
        const fl = await floorRun(
          perHost.map(() => target),
          (i) => perHost[i]!.map((c) => (c.rc === 0 ? c.cmd : `{ ${c.cmd}\n}; [ $? = ${c.rc} ]`)),
          CONNECT_CONCURRENCY,
        );
        row.floor.push(fl);
        process.stderr.write(`  N=${n} run ${r + 1}/${runs}: drover ${fmtMs(d.wallMs)} (engine ${fmtMs(rc.ms)}, ${(d.maxRssKb / 1024).toFixed(0)} MB), floor ${fmtMs(fl.totalMs)} (connect ${fmtMs(fl.connectMs)}), floor failures ${fl.failures}\n`);
      }

      if (ansibleSizes.has(n)) {
        const aInv = ansibleInventory(hosts, 'ansible', join(work, `ansible-${n}.ini`), ans);
        const forks = Math.min(n, 50);
        const a1 = await runAnsible(ans, join(PB, 'ansible.yaml'), aInv, forks, ansibleCapMs);
        if (a1.wallMs >= ansibleCapMs) row.ansible = 'capped';
        else if (a1.code !== 0) row.ansible = 'failed';
        else {
          const a2 = await runAnsible(ans, join(PB, 'ansible.yaml'), aInv, forks, ansibleCapMs);
          row.ansible = a2.wallMs >= ansibleCapMs ? 'capped' : a2.code !== 0 || /changed=[1-9]/.test(a2.stdout) ? 'failed' : a2;
          if (row.ansible === 'failed') process.stderr.write(a2.stdout.slice(-2000) + a2.stderr);
        }
        stopAnsibleMasters(ans);
        process.stderr.write(`  N=${n} ansible: ${typeof row.ansible === 'string' ? row.ansible : fmtMs(row.ansible.wallMs)}\n`);
      }
      rows.push(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  stopAnsibleMasters(ans);
  await sshd.stop().catch(() => undefined);
  rmSync(ans.dir, { recursive: true, force: true });
}
const sshdLog = sshd.log();
const throttled = (sshdLog.match(/MaxStartups|drop connection|exceeded/gi) ?? []).length;
rmSync(work, { recursive: true, force: true });

console.log(
  table(
    ['hosts', 'drover wall', 'drover engine', 'floor', 'floor connect', 'drover / floor', 'per host', 'peak RSS', 'ansible-playbook'],
    rows.map((r) => {
      const dw = median(r.drover.map((x) => x.wallMs));
      const fw = median(r.floor.map((x) => x.totalMs));
      const a = r.ansible === undefined ? '-' : typeof r.ansible === 'string' ? (r.ansible === 'capped' ? `> ${ansibleCapMs / 1000} s (capped)` : 'failed') : fmtMs(r.ansible.wallMs);
      return [
        r.n,
        fmtMs(dw),
        fmtMs(median(r.engineMs)),
        fmtMs(fw),
        fmtMs(median(r.floor.map((x) => x.connectMs))),
        `${(dw / fw).toFixed(2)}× (engine ${(median(r.engineMs) / fw).toFixed(2)}×)`,
        `${(dw / r.n).toFixed(1)} ms`,
        `${(Math.max(...r.drover.map((x) => x.maxRssKb)) / 1024).toFixed(0)} MB`,
        a,
      ];
    }),
  ),
);
console.log(`\nunreachable hosts in drover runs: ${rows.reduce((s, r) => s + r.unreachable, 0)}; floor failures: ${rows.reduce((s, r) => s + r.floor.reduce((t, x) => t + x.failures, 0), 0)}; sshd throttling messages: ${throttled}`);
console.log(`drover wall = the CLI process (node start, load + validate, connect, 4 tasks, close), median of ${runs}; engine = its recap's duration; floor = connect + commands in this process.`);
console.log(`ansible-playbook: forks = min(N, 50), one ControlPersist master per inventory host, converged run after a warm-up.`);
console.log(`total bench time ${fmtMs(Date.now() - started)}`);
