/**
 * Shared by the lab e2e tests (lab2, lab3, lab4): run `drover lab …` from
 * source as a child process on real local nodes, and pull the numbers the
 * issue asks for (converge times, memory) out of its output.
 * Node placement follows the environment (DROVER_HOME, DROVER_SUBNET,
 * DROVER_BRIDGE, DROVER_MACHINE_PREFIX), so a test can run beside other labs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'test', 'e2e', 'drover-cli.ts');

export const isRoot = process.getuid?.() === 0;

export interface Run {
  status: number | null;
  out: string;
  ms: number;
}

/**
 * `drover ARGS…` from source. Asynchronous on purpose: a lab converge takes
 * minutes, and a blocked event loop makes vitest's worker RPC time out.
 */
export function drover(args: string[], timeoutMs = 3_600_000, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, out, ms: Date.now() - t0 });
    });
  });
}

/** Each play run's time, in order, from the line after its recap: "SLOWEST TASKS (run 12.34s)" or "(run 1m05s)". */
export function recapSeconds(out: string): number[] {
  return [...out.matchAll(/^SLOWEST TASKS \(run (?:(\d+)m(\d+)s|(\d+\.\d+)s)\)/gm)].map((m) => (m[3] !== undefined ? Number(m[3]) : Number(m[1]) * 60 + Number(m[2])));
}

/** A command on a lab node through `drover lab ssh` (strict host keys, the lab's key). */
export function onNode(lab: string, node: string, command: string): Promise<Run> {
  return drover(['lab', 'ssh', '--lab', lab, node, '--', command], 600_000);
}

/** `drover lab status LAB --json` rows. */
export async function status(lab: string): Promise<Array<{ name: string; state: string; memoryBytes?: number }>> {
  const r = await drover(['lab', 'status', lab, '--json'], 60_000);
  return JSON.parse(r.out.slice(r.out.indexOf('[')));
}

export const mib = (b: number | undefined) => (b === undefined ? '-' : `${Math.round(b / 2 ** 20)} MiB`);

/**
 * `drover lab test LAB` on fresh nodes (destroyed first): check mode, converge
 * (as check mode predicted), converge again (changed=0), check mode (0
 * predicted), verify. Returns the output and
 * the measured times; the caller asserts and reports.
 */
export async function labTest(lab: string): Promise<{ run: Run; times: Record<string, string> }> {
  await drover(['lab', 'destroy', lab], 300_000);
  const run = await drover(['lab', 'test', lab]);
  const s = recapSeconds(run.out);
  const times: Record<string, string> = {
    'lab test total': `${(run.ms / 1000).toFixed(0)} s`,
    'check mode (fresh nodes)': s[0] !== undefined ? `${s[0]} s` : '-',
    'converge (fresh nodes)': s[1] !== undefined ? `${s[1]} s` : '-',
    'second converge (changed=0)': s[2] !== undefined ? `${s[2]} s` : '-',
    'check mode': s[3] !== undefined ? `${s[3]} s` : '-',
    verify: s[4] !== undefined ? `${s[4]} s` : '-',
  };
  return { run, times };
}

/** Refuse to share a subnet with another bridge on this machine (another lab): two routes would break both. */
export function assertSubnetFree(subnet: string, bridge: string): void {
  const prefix = subnet.replace(/\.0\/\d+$/, '.');
  const out = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (m && m[2]!.startsWith(prefix) && m[1] !== bridge) throw new Error(`subnet ${subnet} is already used by ${m[1]} (${m[2]}): set another one for this test`);
  }
}

/**
 * A test's own drover home starts with the default home's cached base image,
 * when there is one: it saves a debootstrap, which is not what the tests measure.
 */
export function seedBaseImage(home: string): void {
  const tarball = 'debian-bookworm-base-v1.tar.zst';
  if (!existsSync(join(home, 'cache', tarball)) && existsSync(join('/var/lib/drover/cache', tarball))) {
    mkdirSync(join(home, 'cache'), { recursive: true });
    copyFileSync(join('/var/lib/drover/cache', tarball), join(home, 'cache', tarball));
  }
}

/**
 * Point this test process (one vitest fork per file) at the lab's own drover
 * home, subnet, bridge and machine prefix, so it never touches anyone's labs
 * in the default home: DROVER_E2E_<LAB>_HOME / _SUBNET / _BRIDGE override the
 * defaults (/var/lib/drover-e2e-<lab>, the given subnet, drover-e2e-l<N>).
 * Every helper above reads process.env. Call it at the top of the file.
 */
export function useOwnLabHome(lab: string, subnet: string): { home: string; subnet: string; bridge: string } {
  const key = `DROVER_E2E_${lab.toUpperCase()}_`;
  const home = process.env[`${key}HOME`] ?? `/var/lib/drover-e2e-${lab}`;
  const net = process.env[`${key}SUBNET`] ?? subnet;
  const bridge = process.env[`${key}BRIDGE`] ?? `drover-e2e-${lab.replace(/^lab/, 'l')}`;
  Object.assign(process.env, { DROVER_HOME: home, DROVER_SUBNET: net, DROVER_BRIDGE: bridge, DROVER_MACHINE_PREFIX: `${lab.replace(/^lab/, 'e')}-` });
  return { home, subnet: net, bridge };
}

/** Before a lab test in its own home: the subnet is free and the base image is seeded. */
export function prepareOwnLabHome(own: { home: string; subnet: string; bridge: string }): void {
  assertSubnetFree(own.subnet, own.bridge);
  seedBaseImage(own.home);
}

/**
 * The suite every lab's e2e file shares: the lab in its own home, subnet and
 * bridge (useOwnLabHome), `drover lab test LAB` on fresh nodes, its timings and
 * every node's memory printed at the end, the nodes stopped. `more` adds the
 * lab's own checks on the converged nodes (they run after the lab test).
 * Returns the placement, for a check that needs the lab's inventory.
 */
export function describeLabTest(lab: string, subnet: string, more: () => void = () => {}): { home: string; subnet: string; bridge: string } {
  const own = useOwnLabHome(lab, subnet);
  const measured: Record<string, string> = {};
  describe.skipIf(!isRoot)(`${lab} on local nodes`, () => {
    beforeAll(() => prepareOwnLabHome(own));

    afterAll(async () => {
      await drover(['lab', 'down', lab], 300_000);
      console.log(`\n${lab}, measured:\n` + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
    });

    it(`drover lab test ${lab}: converges as check mode predicted, is idempotent, check mode is clean, verify passes`, async () => {
      const { run, times } = await labTest(lab);
      Object.assign(measured, times);
      if (run.status !== 0) console.log(run.out.slice(-8000));
      expect(run.out).toMatch(new RegExp(`lab ${lab}: converged as check mode predicted, idempotent, check mode clean, verified`));
      expect(run.status).toBe(0);
      for (const row of await status(lab)) measured[`${row.name} memory`] = mib(row.memoryBytes);
    });

    more();
  });
  return own;
}
