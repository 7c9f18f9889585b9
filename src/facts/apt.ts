/**
 * apt's view of the host: how old the package index is, the candidate
 * versions (`apt-cache policy`), and what an install or autoremove would do
 * (`apt-get -s`, a read-only simulation: a package that does not exist is
 * known before anything runs).
 */
import { ModuleError } from '../util/errors.js';
import { shjoin } from '../util/shell.js';
import type { Fact } from './fact.js';

/** Newest of update-success-stamp and the lists dir, and the target's clock: one round trip. */
export const CACHE_AGE_COMMAND =
  'stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || echo -; ' +
  'n=$(ls /var/lib/apt/lists 2>/dev/null | grep -c _Packages); if [ "$n" -gt 0 ]; then stat -c %Y /var/lib/apt/lists; else echo -; fi; date +%s';

/** Epoch seconds: when the index was last refreshed (null: never), and the target's clock. */
export interface CacheAge {
  mtime: number | null;
  now: number;
}

export function parseCacheAge(stdout: string): CacheAge {
  const [stamp, lists, now] = stdout.trim().split('\n').map((l) => l.trim());
  const nums = [stamp, lists].filter((x) => x && /^\d+$/.test(x)).map(Number);
  const n = Number(now);
  if (!Number.isFinite(n)) throw new Error(`unexpected output from the apt cache age check: ${JSON.stringify(stdout)}`);
  return { mtime: nums.length ? Math.max(...nums) : null, now: n };
}

/** `apt.cache_age` (read on every use: it holds the target's clock). */
export const cacheAgeFact: Fact<void, CacheAge> = {
  name: 'apt.cache_age',
  key: () => '',
  command: () => CACHE_AGE_COMMAND,
  cached: false,
  parse: (r) => parseCacheAge(r.stdout),
};

export interface PolicyEntry {
  installed?: string;
  candidate?: string;
}

/** Parse `apt-cache policy a b c`: name → {installed, candidate} (absent: none). */
export function parsePolicy(stdout: string): Record<string, PolicyEntry> {
  const out: Record<string, PolicyEntry> = {};
  let cur: PolicyEntry | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = {};
      out[head[1]!.replace(/:[a-z0-9-]+$/, '')] = cur;
      continue;
    }
    const m = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
    if (m && cur && m[2] !== '(none)') {
      if (m[1] === 'Installed') cur.installed = m[2];
      else cur.candidate = m[2];
    }
  }
  return out;
}

const policyCommand = (names: readonly string[]) => `LC_ALL=C apt-cache policy ${shjoin([...names])}`;

/** `apt.policy`: installed and candidate versions of these packages (cached; apt forgets `apt.*` after a change). */
export const policyFact: Fact<{ names: string[] }, Record<string, PolicyEntry>> = {
  name: 'apt.policy',
  key: (p) => p.names.join(' '),
  command: (p) => policyCommand(p.names),
  parse(r, p) {
    if (r.rc !== 0) throw new ModuleError(`apt-cache policy failed: ${r.stderr.trim()}`, policyCommand(p.names), r.stderr, r.rc);
    return parsePolicy(r.stdout);
  },
  // Test data gives one entry per package; the reading takes those it asks for.
  fromData: (data, p) => Object.fromEntries(p.names.filter((n) => Object.hasOwn(data as object, n)).map((n) => [n, (data as Record<string, PolicyEntry>)[n]!])),
};

export interface SimulatedPackage {
  name: string;
  version?: string;
}

/** Parse `apt-get -s` output: packages it would install/upgrade (Inst) and remove (Remv). */
export function parseSimulation(stdout: string): { inst: SimulatedPackage[]; remv: string[] } {
  const inst: SimulatedPackage[] = [];
  const remv: string[] = [];
  for (const line of stdout.split('\n')) {
    let m = /^Inst (\S+)(?: \[[^\]]*\])? \((\S+)/.exec(line);
    if (m) {
      inst.push({ name: m[1]!, version: m[2] });
      continue;
    }
    m = /^Remv (\S+)/.exec(line);
    if (m) remv.push(m[1]!);
  }
  return { inst, remv };
}

/** The last lines apt printed that explain a failure (E:/W: lines first). */
export function aptError(stdout: string, stderr: string): string {
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const errs = lines.filter((l) => /^(E|Err):/.test(l));
  return (errs.length ? errs : lines.slice(-8)).join('\n');
}

export interface SimulateParams {
  action: 'install' | 'autoremove';
  /** apt-get options (the real run's, so the simulation answers for it). */
  options: string[];
  packages: string[];
}

/** What apt would do, or apt's own words why it cannot (`error`, with its exit status). */
export interface Simulation {
  inst: SimulatedPackage[];
  remv: string[];
  error?: string;
  rc?: number;
}

export const simulateCommand = (p: SimulateParams) => `LC_ALL=C apt-get -s ${shjoin(p.options)}${p.options.length ? ' ' : ''}${p.action}${p.packages.length ? ` ${shjoin(p.packages)}` : ''}`;

/** `apt.simulate`: `apt-get -s` (key: the action and packages, e.g. "install memcached"; read on every use). */
export const simulateFact: Fact<SimulateParams, Simulation> = {
  name: 'apt.simulate',
  key: (p) => [p.action, ...p.packages].join(' '),
  command: simulateCommand,
  cached: false,
  parse(r) {
    if (r.rc !== 0) return { inst: [], remv: [], error: aptError(r.stdout, r.stderr), rc: r.rc };
    return parseSimulation(r.stdout);
  },
};
