/**
 * drover's start-up: what a user waits for before (and without) any host is
 * contacted. Each command runs R times, alternated between the builds given
 * (this tree, and with --before DIR an older build: `git archive REV | tar -x
 * -C DIR`, node_modules linked, `npm run build`), next to `node -e 0` (the floor
 * no CLI on Node can beat). Medians and minima of the wall time of the whole
 * process.
 *
 * The play rows run the 20-task vs-ansible playbook on 3 hosts over the local
 * connection (no SSH, so they show start-up and engine, not the network):
 * "converged" after a warm-up run; "start -> play start" is read from the run's
 * event log (node start, CLI load, inventory and playbook load and validation).
 *
 * Commands run in bench/lib.ts's benchEnv (without NODE_EXTRA_CA_CERTS).
 *
 *   npx tsx bench/startup.ts [--runs 21] [--before DIR]
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, ensureBuilt, flags, machine, median, runChild, table, tempDir } from './lib.js';

const f = flags();
const runs = Number(f.get('runs') ?? 21);
ensureBuilt();
const builds: { name: string; bin: string }[] = [];
if (f.get('before')) builds.push({ name: 'before', bin: join(resolve(f.get('before')!), 'bin', 'drover.js') });
builds.push({ name: f.get('before') ? 'after' : 'drover', bin: join(ROOT, 'bin', 'drover.js') });

const work = tempDir('drover-bench-startup-');
cpSync(join(ROOT, 'bench', 'playbooks', 'vs-ansible'), work, { recursive: true });
const hosts = ['node1', 'node2', 'node3'].map((h) => `${h} ansible_connection=local workdir=${join(work, 'hosts', h)}`);
writeFileSync(join(work, 'hosts.ini'), `[bench]\n${hosts.join('\n')}\n`);
// Made here: three local "hosts" creating one shared parent at once race each other's mkdir.
for (const h of ['node1', 'node2', 'node3']) mkdirSync(join(work, 'hosts', h), { recursive: true });

interface Case {
  name: string;
  args: string[];
  /** Read "start -> play start" from this run's event log. */
  events?: boolean;
}
const play = ['play', 'drover.yaml', '-i', 'hosts.ini'];
const cases: Case[] = [
  { name: 'drover --version', args: ['--version'] },
  { name: 'drover --help', args: ['--help'] },
  { name: 'drover play --syntax-check (20 tasks)', args: [...play, '--syntax-check'] },
  { name: 'drover play, converged (20 tasks x 3 local hosts)', args: [...play, '-f', '5'], events: true },
];

const samples = new Map<string, number[]>();
const add = (k: string, v: number) => (samples.get(k) ?? samples.set(k, []).get(k)!).push(v);
console.log(`# drover start-up, ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`runs: ${runs} each, alternated\n`);

try {
  for (const b of builds) {
    // Converge the hosts, and let each build write its code cache if it has none yet.
    const r = await runChild(process.execPath, [b.bin, ...play], { cwd: work });
    if (r.code !== 0) throw new Error(`${b.name}: warm-up play exit ${r.code}\n${r.stdout.slice(-2000)}${r.stderr}`);
  }
  for (let i = 0; i < runs; i++) {
    add('node -e 0', (await runChild(process.execPath, ['-e', '0'])).wallMs);
    for (const c of cases) {
      for (const b of builds) {
        const events = join(work, `events-${b.name}-${i}.jsonl`);
        const t0 = Date.now();
        const r = await runChild(process.execPath, [b.bin, ...c.args, ...(c.events ? ['--events', events] : [])], { cwd: work });
        if (r.code !== 0) throw new Error(`${b.name} ${c.name}: exit ${r.code}\n${r.stdout.slice(-2000)}${r.stderr}`);
        if (c.events && / changed=[1-9]/.test(r.stdout)) throw new Error(`${b.name} ${c.name}: not converged\n${r.stdout.slice(-2000)}`);
        add(`${c.name}|${b.name}`, r.wallMs);
        if (c.events) {
          const start = readFileSync(events, 'utf8').split('\n').find((l) => l.includes('"play_start"'));
          add(`start -> play start (of the converged play)|${b.name}`, Date.parse(JSON.parse(start!).ts) - t0);
        }
      }
    }
    process.stderr.write(`  run ${i + 1}/${runs}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)})`;
const names = ['node -e 0', ...cases.map((c) => c.name), 'start -> play start (of the converged play)'];
const rows = names.map((n) => {
  if (n === 'node -e 0') return [n, ...builds.map(() => ms(samples.get(n)!)), ...(builds.length > 1 ? [''] : [])];
  const per = builds.map((b) => samples.get(`${n}|${b.name}`)!);
  return [n, ...per.map(ms), ...(builds.length > 1 ? [`${(median(per[0]!) / median(per[1]!)).toFixed(2)}×`] : [])];
});
console.log(table(['command', ...builds.map((b) => `${b.name} (median, min)`), ...(builds.length > 1 ? ['before / after'] : [])], rows));
console.log(`\nload after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
