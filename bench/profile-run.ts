/**
 * Profile one drover CLI run (node --cpu-prof) against N loopback hosts on
 * converged state, then print the top frames (bench/cpuprofile-top.ts).
 *
 *   npx tsx bench/profile-run.ts [--hosts 3] [--playbook bench/playbooks/vs-ansible/drover.yaml] [--keep DIR]
 */
import { join, resolve } from 'node:path';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { startSshd } from '../test/helpers/sshd.js';
import { DROVER_BIN, ROOT, droverInventory, ensureBuilt, flags, fmtMs, loopbackHosts, runChild, runDrover, tempDir } from './lib.js';
import { summarize } from './cpuprofile-top.js';

const f = flags();
const n = Number(f.get('hosts') ?? 3);
const playbook = resolve(f.get('playbook') ?? join(ROOT, 'bench', 'playbooks', 'vs-ansible', 'drover.yaml'));
ensureBuilt();
const sshd = await startSshd();
const work = tempDir('drover-bench-prof-');
const { hosts, dir } = loopbackHosts(sshd, Array.from({ length: n }, (_, i) => `node${i + 1}`));
try {
  const inv = droverInventory(hosts, 'drover', join(work, 'hosts.ini'));
  const forks = String(Math.max(20, n));
  const warm = await runDrover(playbook, inv, ['-f', forks]);
  if (warm.code !== 0) throw new Error(`warm-up failed:\n${warm.stdout.slice(-2000)}${warm.stderr}`);
  const profDir = f.get('keep') ?? join(work, 'prof');
  mkdirSync(profDir, { recursive: true });
  const r = await runChild(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, DROVER_BIN, 'play', playbook, '-i', inv, '-f', forks], { cwd: work });
  if (r.code !== 0) throw new Error(`profiled run failed:\n${r.stdout.slice(-2000)}${r.stderr}`);
  console.log(`profiled run: ${fmtMs(r.wallMs)} wall, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB, ${n} hosts\n`);
  const file = readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile')).map((x) => join(profDir, x))[0]!;
  console.log(summarize(file, Number(f.get('top') ?? 25)));
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
  if (!f.get('keep')) rmSync(work, { recursive: true, force: true });
}
