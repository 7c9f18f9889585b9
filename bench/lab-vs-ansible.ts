/**
 * A lab's roles under drover and under ansible-playbook, on the same
 * converged local nodes: `drover play` and `ansible-playbook` of the lab's
 * site.yaml (lab1's by default: its roles are Ansible content as written —
 * Debian's ansible runs them, with community.mysql, community.rabbitmq and
 * community.crypto), converged (or --check), runs alternated, medians, ratio.
 * Every run must end with changed=0 on every host (both tools print the
 * same recap lines): a run that changes something is not the converged run
 * being measured, and the bench stops.
 *
 * Ansible is tuned as in bench/vs-ansible.ts (pipelining, ControlPersist,
 * forks >= hosts, roles_path = roles/) and gathers facts where the plays ask
 * for them, as drover does. Both use the user's HOME (the lab's credentials
 * under ~/.os_credentials) and the lab's known_hosts. Ansible's apt module
 * needs python3-apt on the nodes: install it first
 * (`drover all -i INVENTORY -m apt -a name=python3-apt`).
 *
 *   npx tsx bench/lab-vs-ansible.ts [--lab lab1] [--nodes lab5] [--runs 3] [--check]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DROVER_BIN, ROOT, benchEnv, ensureBuilt, flags, fmtMs, machine, median, runChild, table, type ChildRun } from './lib.js';
import { labHome } from './lab-nodes.js';

const f = flags();
const lab = f.get('lab') ?? 'lab1';
const nodesLab = f.get('nodes') ?? lab;
const runs = Number(f.get('runs') ?? 3);
const check = f.has('check');
const home = labHome(nodesLab);
const inventory = join(home, 'inventory.ini');
const labDir = join(ROOT, 'labs', lab);
const playbook = join(labDir, 'site.yaml');

ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'drover-bench-lab-ansible-'));
mkdirSync(join(dir, 'cp'));
const cfg = join(dir, 'ansible.cfg');
writeFileSync(
  cfg,
  [
    '[defaults]',
    'forks = 10',
    'host_key_checking = True',
    'interpreter_python = /usr/bin/python3',
    'retry_files_enabled = False',
    `roles_path = ${join(ROOT, 'roles')}`,
    `local_tmp = ${dir}/tmp`,
    '',
    '[ssh_connection]',
    'pipelining = True',
    `control_path_dir = ${dir}/cp`,
    `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${join(home, 'known_hosts')}`,
    '',
  ].join('\n'),
);
// Only what ansible needs from our environment (not root's pyenv shims); the user's HOME for the lab's credentials.
const ansibleEnv: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME, LANG: 'C.UTF-8', ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: '1' };
const modeArgs = check ? ['--check'] : [];

const drover = () =>
  runChild(process.execPath, [DROVER_BIN, 'play', playbook, '-i', inventory, ...modeArgs], {
    cwd: labDir,
    timeoutMs: 1_800_000,
    env: { ...benchEnv, ANSIBLE_ROLES_PATH: join(ROOT, 'roles') },
  });
const ansible = () => runChild('ansible-playbook', ['-i', inventory, ...modeArgs, playbook], { cwd: labDir, env: ansibleEnv, timeoutMs: 1_800_000 });

/** Every host of the recap with failed=0 unreachable=0 changed=0. */
function converged(tool: string, r: ChildRun): void {
  const recap = [...r.stdout.matchAll(/^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  const bad = recap.filter((m) => m[2] !== '0' || m[3] !== '0' || m[4] !== '0');
  if (r.code !== 0 || recap.length === 0 || bad.length > 0) {
    throw new Error(`${tool} did not end converged (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  }
}

console.log(`# ${lab}'s site.yaml on ${nodesLab}'s nodes, ${check ? '--check' : 'converged run'} — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
const times: Record<'drover' | 'ansible', number[]> = { drover: [], ansible: [] };
for (let i = 1; i <= runs; i++) {
  for (const [tool, run] of [['drover', drover], ['ansible', ansible]] as const) {
    const r = await run();
    converged(tool, r);
    times[tool].push(r.wallMs);
    console.log(`  run ${i}/${runs}: ${tool} ${fmtMs(r.wallMs)}`);
  }
}
const d = median(times.drover);
const a = median(times.ansible);
console.log(
  '\n' +
    table(
      ['playbook', 'mode', 'drover (median)', 'ansible-playbook (median)', 'ansible / drover'],
      [[`labs/${lab}/site.yaml`, check ? '--check' : 'converged', fmtMs(d), fmtMs(a), `${(a / d).toFixed(1)}×`]],
    ),
);
console.log(`\nall runs (ms): drover ${times.drover.map(Math.round).join(', ')}; ansible ${times.ansible.map(Math.round).join(', ')}`);
console.log(`machine at the end: ${machine()}`);
