/**
 * Controller memory when a command prints a lot: one loopback host, one
 * `shell: head -c N /dev/zero | tr '\0' x` task (registered), the CLI as a
 * child process under GNU time. Reports drover's wall time and peak RSS per
 * size; size 0 is the baseline (the same play printing nothing). The output
 * kept is bounded by DROVER_MAX_COMMAND_OUTPUT (README, "Limits").
 *
 *   npx tsx bench/huge-output.ts [--sizes 0,200000000,1000000000] [--runs 1]
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startSshd } from '../test/helpers/sshd.js';
import { droverInventory, ensureBuilt, flags, fmtMs, loopbackHosts, machine, median, runDrover, table, tempDir } from './lib.js';

const f = flags();
const sizes = (f.get('sizes') ?? '0,200000000,1000000000').split(',').map(Number);
const runs = Number(f.get('runs') ?? 1);

ensureBuilt();
const sshd = await startSshd();
const work = tempDir('drover-bench-huge-');
const { hosts } = loopbackHosts(sshd, ['node1']);
const inventory = droverInventory(hosts, 'drover', join(work, 'hosts.ini'));
console.log(`# huge command output — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`target: loopback sshd 127.0.0.1:${sshd.port}, user ${sshd.user}; runs: ${runs} per size (median)\n`);

const rows: (string | number)[][] = [];
try {
  for (const n of sizes) {
    const pb = join(work, `huge-${n}.yaml`);
    writeFileSync(
      pb,
      [
        '- hosts: all',
        '  gather_facts: false',
        '  tasks:',
        `    - shell: "head -c ${n} /dev/zero | tr '\\\\0' x; echo; echo the-end"`,
        '      register: out',
        '',
      ].join('\n'),
    );
    const wall: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await runDrover(pb, inventory, [], 1_800_000);
      if (r.code !== 0) throw new Error(`drover exited ${r.code} at ${n} bytes:\n${r.stdout}\n${r.stderr}`);
      wall.push(r.wallMs);
      rss.push(r.maxRssKb);
    }
    rows.push([n === 0 ? '0 (baseline)' : `${(n / 1e6).toFixed(0)} MB`, fmtMs(median(wall)), `${(median(rss) / 1024).toFixed(1)} MB`, n ? `${(n / 1e6 / (median(wall) / 1000)).toFixed(0)} MB/s` : '']);
  }
} finally {
  await sshd.stop();
}
console.log(table(['printed', 'drover wall', 'drover peak RSS', 'throughput'], rows));
