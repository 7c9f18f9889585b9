/**
 * drover vs ansible-playbook: the same 20-task playbook (10 file/copy/template/
 * lineinfile tasks + 10 command tasks; bench/playbooks/vs-ansible/) against the
 * same 1 and 3 hosts, runs alternated A B A B, medians and ratios, for a
 * converged run (nothing to change) and a first run (fresh directories).
 *
 * Targets: the nodes of a running local lab (default lab1, if `drover lab up
 * lab1` left it reachable), else hosts on a loopback sshd as user drover-t1.
 * Ansible is Debian's ansible-core, tuned fairly: pipelining, ControlPersist,
 * forks >= hosts, no fact gathering, host key checking on, its own ansible.cfg
 * and HOME in a temp dir.
 *
 * With --before DIR (an older build: `git archive REV | tar -x -C DIR`,
 * node_modules linked, `npm run build` there) that build is timed too, in the
 * same alternation (before, drover, ansible), as extra rows.
 *
 *   npx tsx bench/vs-ansible.ts [--runs 5] [--hosts 1,3] [--target auto|lab|loopback] [--lab lab1] [--before DIR]
 */
import { dirname, join, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import {
  ROOT, ansibleEnv, ansibleInventory, droverInventory, ensureBuilt, flags, fmtMs, labHosts, loopbackHosts, machine, median,
  resetWorkdirs, runAnsible, runChild, runDrover, stopAnsibleMasters, table, tempDir, type BenchHost, type ChildRun,
} from './lib.js';

const f = flags();
const runs = Number(f.get('runs') ?? 5);
const hostCounts = (f.get('hosts') ?? '1,3').split(',').map(Number);
const target = f.get('target') ?? 'auto';
const lab = f.get('lab') ?? 'lab1';
const maxHosts = Math.max(...hostCounts);
const PB = join(ROOT, 'bench', 'playbooks', 'vs-ansible');
const before = f.get('before') ? join(resolve(f.get('before')!), 'bin', 'drover.js') : undefined;

ensureBuilt();

let sshd: Sshd | undefined;
let all: BenchHost[] | undefined;
let loopback = false;
let cleanupDir: string | undefined;
if (target !== 'loopback') all = labHosts(lab, maxHosts);
if (!all) {
  if (target === 'lab') throw new Error(`lab ${lab} is not up with ${maxHosts} reachable nodes (drover lab up ${lab})`);
  sshd = await startSshd();
  const lb = loopbackHosts(sshd, Array.from({ length: maxHosts }, (_, i) => `node${i + 1}`));
  all = lb.hosts;
  cleanupDir = lb.dir;
  loopback = true;
}
const where = loopback ? `loopback sshd 127.0.0.1:${sshd!.port}, user ${sshd!.user}, per-host directories` : `local lab ${lab} nodes (systemd-nspawn), user ${all[0]!.user}`;
console.log(`# drover vs ansible-playbook — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`targets: ${where}`);
console.log(`runs: ${runs} each, alternated\n`);

const work = tempDir('drover-bench-vs-');
const ans = ansibleEnv(Math.max(5, maxHosts));

/** Every host ok, none failed; converged: none changed. Both tools print Ansible's recap lines. */
function checkRecap(tool: string, r: ChildRun, converged: boolean, what: string): void {
  const rows = r.stdout.split('\n').filter((l) => /: ok=\d+/.test(l));
  const bad = rows.filter((l) => /failed=[1-9]|unreachable=[1-9]/.test(l) || (converged && /changed=[1-9]/.test(l)));
  if (r.code !== 0 || rows.length === 0 || bad.length) throw new Error(`${tool} ${what}: exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr}`);
}
const checkDrover = (r: ChildRun, converged: boolean, what: string) => checkRecap('drover', r, converged, what);
const checkAnsible = (r: ChildRun, converged: boolean, what: string) => checkRecap('ansible', r, converged, what);
/** The engine's own time from drover's "SLOWEST TASKS (run 1.23s)" line (older builds: the recap's "(1.23s)"): the rest is process start and load/validate. */
function recapMs(r: ChildRun): number {
  const m = /SLOWEST TASKS \(run (\d+\.\d+)s\)/.exec(r.stdout) ?? /\((\d+\.\d+)s\)\s*$/.exec(r.stdout.trim());
  return m ? Number(m[1]) * 1000 : NaN;
}

const rows: (string | number)[][] = [];
const details: string[] = [];
try {
  for (const n of hostCounts) {
    const hosts = all.slice(0, n);
    const dInv = droverInventory(hosts, 'drover', join(work, `drover-${n}.ini`));
    const aInv = ansibleInventory(hosts, 'ansible', join(work, `ansible-${n}.ini`), ans);
    const forks = Math.max(5, n);
    const drover = () => runDrover(join(PB, 'drover.yaml'), dInv, ['-f', String(forks)]);
    const ansible = () => runAnsible(ans, join(PB, 'ansible.yaml'), aInv, forks);
    const droverBefore = () => runChild(process.execPath, [before!, 'play', join(PB, 'drover.yaml'), '-i', dInv, '-f', String(forks)], { cwd: dirname(dInv), timeoutMs: 300_000 });

    for (const scenario of ['converged', 'first run'] as const) {
      const converged = scenario === 'converged';
      const d: ChildRun[] = [];
      const a: ChildRun[] = [];
      const b: ChildRun[] = [];
      if (converged) {
        // Converge both once (untimed) so the timed runs have nothing to change.
        checkDrover(await drover(), false, 'warm-up');
        checkAnsible(await ansible(), false, 'warm-up');
      }
      for (let i = 0; i < runs; i++) {
        if (before) {
          if (!converged) resetWorkdirs(hosts, 'drover', loopback);
          const br = await droverBefore();
          checkDrover(br, converged, `${scenario} (before)`);
          b.push(br);
        }
        if (!converged) resetWorkdirs(hosts, 'drover', loopback);
        const dr = await drover();
        checkDrover(dr, converged, scenario);
        d.push(dr);
        if (!converged) resetWorkdirs(hosts, 'ansible', loopback);
        const ar = await ansible();
        checkAnsible(ar, converged, scenario);
        a.push(ar);
        process.stderr.write(`  ${n} host(s), ${scenario}, run ${i + 1}/${runs}: ${before ? `before ${fmtMs(b.at(-1)!.wallMs)}, ` : ''}drover ${fmtMs(dr.wallMs)}, ansible ${fmtMs(ar.wallMs)}\n`);
      }
      const dm = median(d.map((r) => r.wallMs));
      const am = median(a.map((r) => r.wallMs));
      rows.push([
        `20 tasks × ${n} host${n > 1 ? 's' : ''}`,
        scenario,
        fmtMs(dm),
        fmtMs(median(d.map(recapMs))),
        fmtMs(am),
        `${(am / dm).toFixed(1)}×`,
        `${(median(d.map((r) => r.maxRssKb)) / 1024).toFixed(0)} / ${(median(a.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB`,
      ]);
      if (before) {
        const bm = median(b.map((r) => r.wallMs));
        rows.push([`20 tasks × ${n} host${n > 1 ? 's' : ''}`, `${scenario}, before`, fmtMs(bm), fmtMs(median(b.map(recapMs))), fmtMs(am), `${(am / bm).toFixed(1)}×`, `${(median(b.map((r) => r.maxRssKb)) / 1024).toFixed(0)} / ${(median(a.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB`]);
        details.push(`${n} host(s) ${scenario}, before: drover ${b.map((r) => r.wallMs.toFixed(0)).join(', ')} ms`);
      }
      details.push(`${n} host(s) ${scenario}: drover ${d.map((r) => r.wallMs.toFixed(0)).join(', ')} ms; ansible ${a.map((r) => r.wallMs.toFixed(0)).join(', ')} ms`);
    }
  }
} finally {
  stopAnsibleMasters(ans);
  await sshd?.stop();
  if (cleanupDir) rmSync(cleanupDir, { recursive: true, force: true });
  rmSync(ans.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

console.log(table(['playbook', 'state', 'drover (wall, median)', 'drover engine (recap)', 'ansible-playbook (median)', 'ansible / drover', 'peak RSS drover / ansible*'], rows));
console.log('\n* ansible-playbook\'s RSS is its main process only (forks and ssh are separate processes).');
console.log('drover wall = the whole CLI process (node start, load + validate, connect, run); engine = the recap\'s own duration.');
console.log('\nall runs (ms):\n' + details.join('\n'));
