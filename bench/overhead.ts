/**
 * Per-task engine overhead against the floor, on one host (loopback sshd,
 * user drover-t1). The same K remote commands are run:
 *   1. raw ssh2, a new exec channel per command
 *   2. raw ssh2, one long-lived `bash -s`, commands framed by an end marker (the floor)
 *   2b. the same, each command in a `( … )` subshell: what isolating a command costs
 *       (drover runs each command as its own job, so `exit`, `cd` or `set -e` in one
 *       command never reach the session, and a timeout can kill its process group)
 *   3. drover's transport alone (SshConnection.exec, with the engine's default timeout armed)
 *   4. drover's engine: a playbook of K `command` tasks (runPlaybook in this process),
 *      timed from the first task's result to the last one (connect and load excluded)
 * Each is repeated R times (alternated); medians; per-command cost and ratio to the floor.
 *
 *   npx tsx bench/overhead.ts [--tasks 300] [--runs 5]   (300: a sample large enough that one slow command does not move the median)
 */
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { startSshd, sshSpec } from '../test/helpers/sshd.js';
import { SshConnection } from '../src/transport/ssh.js';
import { runPlaybook } from '../src/engine/run.js';
import type { EngineEvent } from '../src/report/events.js';
import { droverInventory, flags, loopbackHosts, machine, median, table, tempDir } from './lib.js';
import { FloorShell, floorConnect, floorExec } from './floor-client.js';

const f = flags();
const K = Number(f.get('tasks') ?? 300);
const runs = Number(f.get('runs') ?? 5);
const COMMANDS = ['true', 'id -u', 'cat /etc/hostname', 'uname -r', 'test -d /tmp', 'date +%s'];
const cmds = Array.from({ length: K }, (_, i) => COMMANDS[i % COMMANDS.length]!);

const sshd = await startSshd();
const work = tempDir('drover-bench-ovh-');
const { hosts, dir } = loopbackHosts(sshd, ['node1']);
const target = { host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile, hostPublicKey: sshd.hostPublicKey };

const playbook = join(work, 'commands.yaml');
writeFileSync(
  playbook,
  ['- hosts: bench', '  gather_facts: false', '  tasks:', ...cmds.flatMap((c, i) => [`    - name: c${i}`, `      command: ${JSON.stringify(c)}`, '      changed_when: false'])].join('\n') + '\n',
);
const inventory = droverInventory(hosts, 'drover', join(work, 'hosts.ini'));

async function rawExec(): Promise<number> {
  const c = await floorConnect(target);
  const t0 = performance.now();
  for (const cmd of cmds) if ((await floorExec(c, cmd)).rc !== 0) throw new Error(cmd);
  const ms = performance.now() - t0;
  c.end();
  return ms;
}
async function rawShell(): Promise<number> {
  const c = await floorConnect(target);
  const s = await FloorShell.open(c);
  await s.exec('true');
  const t0 = performance.now();
  for (const cmd of cmds) if ((await s.exec(cmd)).rc !== 0) throw new Error(cmd);
  const ms = performance.now() - t0;
  s.close();
  c.end();
  return ms;
}
async function rawShellIsolated(): Promise<number> {
  const c = await floorConnect(target);
  const s = await FloorShell.open(c);
  await s.exec('true');
  const t0 = performance.now();
  for (const cmd of cmds) if ((await s.exec(`( ${cmd}\n)`)).rc !== 0) throw new Error(cmd);
  const ms = performance.now() - t0;
  s.close();
  c.end();
  return ms;
}
async function transport(): Promise<number> {
  const conn = new SshConnection(sshSpec(sshd));
  await conn.open();
  await conn.exec('true');
  const t0 = performance.now();
  for (const cmd of cmds) if ((await conn.exec(cmd, { timeoutMs: 3600_000 })).rc !== 0) throw new Error(cmd);
  const ms = performance.now() - t0;
  await conn.close();
  return ms;
}
async function engine(): Promise<number> {
  const results: number[] = [];
  const s = await runPlaybook({
    playbook,
    inventory: [inventory],
    forks: 5,
    stateDir: join(work, '.drover'),
    sinks: [(e: EngineEvent) => e.type === 'task_result' && results.push(performance.now())],
  });
  if (s.exitCode !== 0 || results.length !== K) throw new Error(`engine run failed: exit ${s.exitCode}, ${results.length} results`);
  // From the first task's result to the last: K-1 tasks, connect excluded.
  return ((results[K - 1]! - results[0]!) * K) / (K - 1);
}

const kinds = { 'raw ssh2: exec channel per command': rawExec, 'raw ssh2: one long-lived shell (floor)': rawShell, 'raw ssh2: long-lived shell, ( cmd ) subshell each': rawShellIsolated, 'drover transport: SshConnection.exec': transport, 'drover engine: command tasks': engine };
const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
try {
  await engine(); // warm-up: page cache, JIT, sshd's first fork
  for (let r = 0; r < runs; r++) for (const [k, fn] of Object.entries(kinds)) times[k]!.push(await fn());
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

const floor = median(times['raw ssh2: one long-lived shell (floor)']!) / K;
console.log(`# per-task overhead — ${new Date().toISOString()}`);
console.log(`machine: ${machine()}`);
console.log(`${K} commands (${COMMANDS.join(', ')}) on 1 loopback host, user drover-t1, ${runs} runs each (median)\n`);
console.log(
  table(
    ['how', `${K} commands`, 'per command', 'vs floor'],
    Object.entries(times).map(([k, t]) => {
      const m = median(t);
      return [k, `${m.toFixed(0)} ms`, `${(m / K).toFixed(2)} ms`, `${(m / K / floor).toFixed(2)}×`];
    }),
  ),
);
