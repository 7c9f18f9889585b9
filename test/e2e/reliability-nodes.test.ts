import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProvider } from '../../src/providers/local/provider.js';
import { stopNode } from '../../src/providers/local/node.js';
import { BLOG_NODES } from '../../src/providers/select.js';
import { runPlaybook } from '../../src/engine/run.js';
import type { RunSummary } from '../../src/engine/api.js';
import type { EngineEvent } from '../../src/report/events.js';
import { assertSubnetFree, isRoot, seedBaseImage } from './lab-helpers.js';
import { REL_SITE, printMeasured, secs, siteEnv } from '../helpers/e2e-site.js';

/**
 * Issue 9, faults on real nodes: lab1's three local nodes (systemd-nspawn),
 * a five-task playbook with a `sleep 5` in the middle, and a fault injected
 * into compute1 one second into that sleep:
 *  - its network cut for 5 s (host side of its veth down, then up again),
 *  - its network cut until drover gives up (up again after the run),
 *  - the node stopped cleanly (what `drover lab down` does to each node),
 *  - the node killed hard (SIGKILL to its systemd: every process dies at once).
 * Each time: the run ends (no hang), the other nodes finish every task, the
 * exit status says what happened (0 recovered, 3 unreachable), and a re-run
 * converges. Needs root. Runs in its own drover home, subnet and bridge
 * (DROVER_E2E_REL_HOME, default /var/lib/drover-rel; 10.93.0.0/24;
 * drover93; machine prefix "r"); the nodes are left down at the end.
 * Timings are printed at the end (the numbers for the issue note).
 */
const ENV = siteEnv('REL', REL_SITE);
const LAB = 'lab1';
const VICTIM = 'compute1';
const measured: Record<string, string> = {};

const PLAYBOOK = `- name: fault drill
  hosts: all
  gather_facts: no
  tasks:
    - name: work directory
      file: { path: /srv/drill, state: directory, mode: "0755" }
    - name: before
      copy: { content: "before {{drill}} {{inventory_hostname}}\\n", dest: /srv/drill/before.txt }
    - name: slow step
      command: sleep 5
      changed_when: false
    - name: after
      copy: { content: "after {{drill}} {{inventory_hostname}}\\n", dest: /srv/drill/after.txt }
    - name: last
      command: cat /srv/drill/after.txt
      changed_when: false
`;


function ipLink(...args: string[]): void {
  const r = spawnSync('ip', ['link', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip link ${args.join(' ')}: ${r.stderr}`);
}

/** The children of a process (all its threads'). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    out.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

interface Drill {
  summary: RunSummary;
  /** ms from the start of the run: when the fault was injected, when each host's slow step ended, when the run ended. */
  faultAt: number;
  slowDone: Record<string, number>;
  endAt: number;
  results: Array<{ host: string; task: string; status: string; msg?: string }>;
}

describe.skipIf(!isRoot)('faults on real nodes (issue 9): network cut, node stopped, node killed', () => {
  const p = new LocalProvider({ env: ENV, log: (m) => process.stderr.write(`  [drover] ${m}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'drover-rel-nodes-'));
  const nodeDir = p.paths.nodeDir(LAB, VICTIM);
  let veth = '';

  const ssh = (node: string, cmd: string) => {
    const ip = p.place(BLOG_NODES).find((n) => n.name === node)!.ip;
    return spawnSync(
      'ssh',
      ['-i', p.paths.sshKey(LAB), '-o', `UserKnownHostsFile=${p.paths.knownHosts(LAB)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5', `root@${ip}`, cmd],
      { encoding: 'utf8', timeout: 60_000 },
    );
  };

  /** Each case starts from three running, connected nodes, whatever the one before left behind. */
  async function allUp(): Promise<void> {
    spawnSync('ip', ['link', 'set', 'dev', veth, 'up']);
    await p.up(LAB, BLOG_NODES);
  }

  /** The playbook on all three nodes; `fault` is called one second into compute1's `sleep 5`. */
  async function drill(name: string, fault?: () => void | Promise<void>): Promise<Drill> {
    const t0 = Date.now();
    const d: Drill = { summary: undefined as unknown as RunSummary, faultAt: -1, slowDone: {}, endAt: -1, results: [] };
    let faultDone: Promise<void> = Promise.resolve();
    const sink = (e: EngineEvent) => {
      if (e.type === 'task_result') {
        d.results.push({ host: e.host, task: e.task, status: e.status, msg: e.msg });
        if (e.task === 'slow step') d.slowDone[e.host] = Date.now() - t0;
      }
      if (fault && e.type === 'host_task_start' && e.host === VICTIM && e.task === 'slow step' && d.faultAt < 0) {
        d.faultAt = 0; // armed
        faultDone = new Promise((res, rej) =>
          setTimeout(() => {
            d.faultAt = Date.now() - t0;
            Promise.resolve()
              .then(fault)
              .then(res, rej);
          }, 1000),
        );
      }
    };
    d.summary = await runPlaybook({
      playbook: join(dir, 'site.yaml'),
      inventory: [p.inventoryPath(LAB)],
      extraVars: [`drill=${name}`],
      stateDir: join(dir, '.drover'),
      sinks: [sink],
    });
    d.endAt = Date.now() - t0;
    await faultDone;
    return d;
  }

  /** Every task ran on the nodes the fault did not touch. */
  function othersFinished(d: Drill): void {
    for (const h of ['controller', 'compute2']) {
      const t = d.summary.tally[h]!;
      expect(t.failed + t.unreachable, h).toBe(0);
      expect(t.ok, h).toBe(5); // ok counts changed tasks too
    }
  }

  /** A re-run converges: everything reachable, the victim catches up, the nodes hold this drill's files. */
  async function rerunConverges(name: string): Promise<void> {
    const t0 = Date.now();
    const again = await drill(name);
    expect(again.summary.exitCode).toBe(0);
    expect(again.summary.changed.filter((c) => c.host !== VICTIM)).toEqual([]);
    expect(ssh(VICTIM, 'cat /srv/drill/before.txt /srv/drill/after.txt').stdout).toBe(`before ${name} ${VICTIM}\nafter ${name} ${VICTIM}\n`);
    const third = await drill(name);
    expect(third.summary.exitCode).toBe(0);
    expect(third.summary.changed).toEqual([]);
    measured[`  re-run after "${name}"`] = `${secs(again.summary.durationMs)}, then changed=0 (${secs(Date.now() - t0)} for both)`;
  }

  beforeAll(async () => {
    assertSubnetFree(ENV.DROVER_SUBNET!, ENV.DROVER_BRIDGE!);
    seedBaseImage(ENV.DROVER_HOME!);
    await p.destroy(LAB);
    const up = await p.up(LAB, BLOG_NODES);
    expect(up.started).toEqual(['controller', 'compute1', 'compute2']);
    const links = spawnSync('ip', ['-o', 'link', 'show', 'master', p.cfg.bridge], { encoding: 'utf8' }).stdout;
    veth = new RegExp(`^\\d+:\\s+(vb-${p.cfg.machinePrefix}${VICTIM})[@:]`, 'm').exec(links)?.[1] ?? '';
    expect(veth, links).not.toBe('');
    writeFileSync(join(dir, 'site.yaml'), PLAYBOOK);
    const warm = await drill('warm-up');
    expect(warm.summary.exitCode).toBe(0);
    measured['fault-free run (3 nodes, 5 tasks incl. sleep 5)'] = secs(warm.summary.durationMs);
  }, 600_000);

  afterAll(async () => {
    if (veth) spawnSync('ip', ['link', 'set', 'dev', veth, 'up']);
    await p.down(LAB);
    rmSync(dir, { recursive: true, force: true });
    printMeasured('faults on real nodes', measured);
  }, 300_000);

  it('network cut for 5 s during a command: TCP carries the session over the gap, the run ends 0', async () => {
    await allUp();
    const d = await drill('short-cut', async () => {
      ipLink('set', 'dev', veth, 'down');
      await new Promise((r) => setTimeout(r, 5000));
      ipLink('set', 'dev', veth, 'up');
    });
    expect(d.summary.exitCode).toBe(0);
    expect(d.summary.tally[VICTIM]).toMatchObject({ failed: 0, unreachable: 0 });
    othersFinished(d);
    // compute1's sleep ended only once the link was back (5 s after the cut began).
    expect(d.slowDone[VICTIM]!).toBeGreaterThanOrEqual(d.faultAt + 5000);
    measured['network cut 5 s (recovered, exit 0)'] =
      `cut at ${secs(d.faultAt)}; others' sleep done at ${secs(d.slowDone.controller!)}; compute1's at ${secs(d.slowDone[VICTIM]!)} (${secs(d.slowDone[VICTIM]! - d.faultAt - 5000)} after the link came back); run ${secs(d.endAt)}`;
    await rerunConverges('short-cut');
  }, 300_000);

  it('network cut for good: keepalives give up, compute1 is unreachable, the others finish, exit 3; a re-run converges', async () => {
    await allUp();
    const d = await drill('long-cut', () => ipLink('set', 'dev', veth, 'down'));
    ipLink('set', 'dev', veth, 'up');
    expect(d.summary.exitCode).toBe(3);
    expect(d.summary.tally[VICTIM]).toMatchObject({ unreachable: 1, failed: 0 });
    const lost = d.results.find((r) => r.host === VICTIM && r.status === 'unreachable')!;
    expect(lost.task).toBe('slow step');
    expect(lost.msg).toMatch(/connection lost while a command was running/);
    othersFinished(d);
    expect(d.results.some((r) => r.host === VICTIM && r.task === 'after')).toBe(false);
    // Detected by the SSH keepalives (every 15 s, 3 unanswered): about a minute, never the 3600 s task timeout.
    const detect = d.slowDone[VICTIM]! - d.faultAt;
    expect(detect).toBeLessThan(75_000);
    measured['network cut for good (unreachable, exit 3)'] = `cut at ${secs(d.faultAt)}; compute1 unreachable after ${secs(detect)} ("${lost.msg}"); run ${secs(d.endAt)}`;
    await rerunConverges('long-cut');
  }, 300_000);

  it('node stopped cleanly mid-command (as `lab down` does): unreachable at once, the others finish, exit 3; up + re-run converges', async () => {
    await allUp();
    const d = await drill('stopped', async () => {
      expect(await stopNode(nodeDir)).toBe(true);
    });
    expect(d.summary.exitCode).toBe(3);
    expect(d.summary.tally[VICTIM]).toMatchObject({ unreachable: 1, failed: 0 });
    othersFinished(d);
    const lost = d.results.find((r) => r.host === VICTIM && r.status === 'unreachable')!;
    expect(d.slowDone[VICTIM]! - d.faultAt).toBeLessThan(15_000);
    measured['node stopped (unreachable, exit 3)'] = `stop at ${secs(d.faultAt)}; compute1 unreachable after ${secs(d.slowDone[VICTIM]! - d.faultAt)} ("${lost.msg}"); run ${secs(d.endAt)}`;
    expect((await p.status(LAB)).find((s) => s.name === VICTIM)?.state).toBe('stopped');
    const t0 = Date.now();
    expect((await p.up(LAB, BLOG_NODES)).started).toEqual([VICTIM]);
    measured['  compute1 up again'] = secs(Date.now() - t0);
    await rerunConverges('stopped');
  }, 300_000);

  it('node killed hard mid-command (SIGKILL to its systemd): unreachable, the others finish, exit 3; up + re-run converges', async () => {
    await allUp();
    const nspawn = Number(readFileSync(join(nodeDir, 'nspawn.pid'), 'utf8').trim());
    const init = childrenOf(nspawn);
    expect(init).toHaveLength(1);
    const d = await drill('killed', () => void process.kill(init[0]!, 'SIGKILL'));
    expect(d.summary.exitCode).toBe(3);
    expect(d.summary.tally[VICTIM]).toMatchObject({ unreachable: 1, failed: 0 });
    othersFinished(d);
    const lost = d.results.find((r) => r.host === VICTIM && r.status === 'unreachable')!;
    expect(d.slowDone[VICTIM]! - d.faultAt).toBeLessThan(75_000);
    measured['node killed (unreachable, exit 3)'] = `kill at ${secs(d.faultAt)}; compute1 unreachable after ${secs(d.slowDone[VICTIM]! - d.faultAt)} ("${lost.msg}"); run ${secs(d.endAt)}`;
    // The supervisor saw nspawn end and did not restart it: the node is down.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await p.status(LAB)).find((s) => s.name === VICTIM)?.state !== 'stopped') await new Promise((r) => setTimeout(r, 500));
    expect((await p.status(LAB)).find((s) => s.name === VICTIM)?.state).toBe('stopped');
    expect((await p.up(LAB, BLOG_NODES)).started).toEqual([VICTIM]);
    await rerunConverges('killed');
  }, 300_000);
});
