import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drover as run, assertSubnetFree, recapSeconds, seedBaseImage } from './lab-helpers.js';

/**
 * `drover lab test lab1` end to end, through the real CLI, on fresh local
 * nodes: converge, converge again (nothing may change), check mode (nothing
 * may be predicted), verify (what the blog tells the reader to check). Needs root.
 *
 * Isolation: the test runs in its own DROVER_HOME, subnet and bridge
 * (DROVER_E2E_LAB1_HOME, default /var/lib/drover-e2e-lab1; 10.91.0.0/24;
 * bridge drover-e2e-l1), so it never touches anyone's lab1. It destroys and
 * re-creates lab1 only in that home, and leaves the nodes DOWN at the end.
 * DROVER_E2E_COLD_PROXY=1 empties that home's apt-cacher-ng cache first (a
 * cold converge); otherwise the proxy keeps what earlier runs fetched (warm).
 * Timings are printed at the end (the numbers for the issue note).
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const HOME = process.env.DROVER_E2E_LAB1_HOME ?? '/var/lib/drover-e2e-lab1';
const ENV = {
  ...process.env,
  DROVER_HOME: HOME,
  DROVER_SUBNET: process.env.DROVER_E2E_LAB1_SUBNET ?? '10.91.0.0/24',
  DROVER_BRIDGE: process.env.DROVER_E2E_LAB1_BRIDGE ?? 'drover-e2e-l1',
  // Node names are the blog's (controller, compute1 …): a prefix keeps their veth names apart from other labs'.
  DROVER_MACHINE_PREFIX: process.env.DROVER_E2E_LAB1_MACHINE_PREFIX ?? 'e1-',
};
const isRoot = process.getuid?.() === 0;
const measured: Record<string, string> = {};


/** The CLI from source, in this test's own drover home. */
function drover(args: string[], timeoutMs = 3_600_000): Promise<{ code: number; out: string; ms: number }> {
  return run(args, timeoutMs, ENV).then((r) => ({ code: r.status ?? 1, out: r.out, ms: r.ms }));
}

describe.skipIf(!isRoot)('lab1 on local nodes: drover lab test lab1', () => {
  const creds = mkdtempSync(join(tmpdir(), 'drover-lab1-creds-'));
  const events = join(creds, 'events.jsonl');

  beforeAll(async () => {
    assertSubnetFree(ENV.DROVER_SUBNET, ENV.DROVER_BRIDGE);
    seedBaseImage(HOME);
    // Fresh nodes: this home is the test's own.
    const d = await drover(['lab', 'destroy', 'lab1']);
    if (d.code !== 0) throw new Error(`lab destroy failed:\n${d.out}`);
    if (process.env.DROVER_E2E_COLD_PROXY === '1') {
      const { stopProxy } = await import('../../src/providers/local/apt-proxy.js');
      await stopProxy(join(HOME, 'apt-cacher-ng'));
      rmSync(join(HOME, 'apt-cacher-ng', 'cache'), { recursive: true, force: true });
    }
    const up = await drover(['lab', 'up', 'lab1']);
    if (up.code !== 0) throw new Error(`lab up failed:\n${up.out}`);
    measured['lab up (3 fresh nodes)'] = `${(up.ms / 1000).toFixed(1)} s`;
  });

  afterAll(async () => {
    await drover(['lab', 'down', 'lab1']);
    rmSync(creds, { recursive: true, force: true });
    console.log(`\nlab1, measured (${process.env.DROVER_E2E_COLD_PROXY === '1' ? 'cold proxy' : 'proxy as left by earlier runs'}):\n` + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
  });

  it('converges as check mode predicted, converges again with changed=0, check mode predicts nothing, verify passes', async () => {
    const r = await drover(['lab', 'test', 'lab1', '-e', `credentials_dir=${creds}`, '--events', events]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/lab lab1: converged as check mode predicted, idempotent, check mode clean, verified/);
    // Each stage ends with its run's time.
    const secs = recapSeconds(r.out);
    expect(secs).toHaveLength(5);
    const [predict, converge, again, check, verify] = secs as [number, number, number, number, number];
    measured['check mode (fresh nodes)'] = `${predict.toFixed(1)} s`;
    measured['converge (fresh nodes)'] = `${converge.toFixed(1)} s`;
    measured['second converge (changed=0)'] = `${again.toFixed(1)} s`;
    measured['check mode'] = `${check.toFixed(1)} s`;
    measured['verify'] = `${verify.toFixed(1)} s`;
    // Nothing changed the second time, nothing predicted: the recaps say so.
    const recaps = r.out.split(/^== /m).slice(1);
    expect(recaps[2]).toMatch(/converge again/);
    for (const block of [recaps[2]!, recaps[3]!]) {
      for (const line of block.split('\n').filter((l) => /^(controller|compute1|compute2|localhost)\s+\d/.test(l))) {
        expect(line.trim().split(/\s+/)[2], line).toBe('0');
      }
    }
  });

  it('kept the generated passwords private: file 0600, never printed, never in the event log', () => {
    const file = join(creds, 'credentials.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const values = [...readFileSync(file, 'utf8').matchAll(/^[A-Z_]+: "([^"]+)"$/gm)].map((m) => m[1]!);
    expect(values).toHaveLength(5);
    const log = readFileSync(events, 'utf8');
    expect(log.length).toBeGreaterThan(1000);
    for (const v of values) expect(log.includes(v)).toBe(false);
    expect(log).toMatch(/\*\*\*\*\*\*\*\*/);
  });

  it('the nodes show what the blog tells the reader to check, seen from outside the engine', async () => {
    const ssh = async (node: string, cmd: string) => {
      const r = await drover(['lab', 'ssh', '--lab', 'lab1', node, cmd]);
      return r;
    };
    const ping = await ssh('controller', 'ping -c1 -W2 compute1 >/dev/null && ping -c1 -W2 compute2 >/dev/null && echo pong');
    expect(ping.out).toMatch(/pong/);
    const users = await ssh('controller', 'rabbitmqctl -q list_users');
    expect(users.out).toMatch(/^openstack\s/m);
    // `sudo mysql` still works for root (unix_socket kept), and root has a password hash.
    const root = await ssh('controller', `mysql -N -B -e "SELECT JSON_VALUE(Priv, '$.authentication_string') FROM mysql.global_priv WHERE User='root' AND Host='localhost'"`);
    expect(root.out.trim()).toMatch(/^\*[0-9A-F]{40}$/m);
    const sources = await ssh('compute2', 'chronyc -n sources');
    expect(sources.out).toMatch(new RegExp(`^\\^\\*\\s+${ENV.DROVER_SUBNET.replace(/\.0\/24$/, '').replace(/\./g, '\\.')}\\.11\\s`, 'm'));
  });

  it('after the nodes are stopped and booted again, `drover lab run lab1` changes nothing (and waits for a broker still starting)', async () => {
    const down = await drover(['lab', 'down', 'lab1']);
    expect(down.code, down.out).toBe(0);
    const r = await drover(['lab', 'run', 'lab1', '-e', `credentials_dir=${creds}`]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
    measured['lab run after a reboot (boot + converge, changed=0)'] = `${(r.ms / 1000).toFixed(1)} s`;
    const rows = r.out.slice(r.out.lastIndexOf('PLAY RECAP')).split('\n').filter((l) => /^(controller|compute1|compute2|localhost)\s+: ok=/.test(l));
    expect(rows).toHaveLength(4);
    for (const line of rows) expect(line, line).toMatch(/ changed=0 /);
  });
});

// A quick self-check of the parsing above (no nodes needed).
describe('lab1 e2e helpers', () => {
  it('the CLI starts from source', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "const {main}=await import('./src/cli/main.ts'); process.exitCode = await main(['node','drover','--help'])"], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toMatch(/lab/);
  });
});
