/**
 * `apt`: Debian packages present/latest/absent, a local .deb, autoremove.
 *
 * Facts: every installed package's version is read ONCE per host per run
 * (one dpkg-query, cached in ctx.facts, invalidated after a change), so
 * twenty apt tasks cost one query. `latest` compares with the candidates of
 * one `apt-cache policy` for all names. Before anything is installed, planning
 * asks `apt-get -s install` (a simulation: read-only), so a package that does
 * not exist fails in plan — also in check mode — with apt's own message.
 *
 * update_cache: refreshing the package index is NOT reported as a change
 * (unlike Ansible, where it always is): it does not change what is installed
 * or configured, and a second run must report changed=0. It happens while
 * planning (never in check mode), because `latest` and the simulation must
 * see the fresh index; cache_valid_time (seconds) skips it when the index is
 * younger than that. After a refresh drover touches apt's
 * update-success-stamp, which is what cache_valid_time reads.
 */
import { z } from 'zod';
import { aptError, cacheAgeFact, policyFact, simulateFact, simulateCommand, type PolicyEntry } from '../facts/apt.js';
import { debFileCommand, debFileFact, installedPackagesFact, isInstalled, type InstalledPackages } from '../facts/dpkg.js';
import { forgetFact, own } from '../facts/fact.js';
import { InputError, ModuleError } from '../util/errors.js';
import { shjoin, shq } from '../util/shell.js';
import { bool } from './common/args.js';
import { num } from './command-common.js';
import { registerModule } from './registry.js';
import type { Change, Module, Plan, TaskContext } from './types.js';

const names = z.union([z.string().min(1), z.array(z.string().min(1))]);

const schema = z
  .strictObject({
    name: names.optional().describe('Package name(s); `name=version` pins a version (a trailing * matches a prefix).'),
    pkg: names.optional().describe('Alias of name.'),
    package: names.optional().describe('Alias of name.'),
    state: z.enum(['present', 'installed', 'latest', 'absent', 'removed']).default('present').describe('present (installed): installed; latest: at the newest candidate version; absent (removed): removed.'),
    update_cache: bool.default(false).describe('Refresh the package index first (not reported as a change).'),
    update_cache_retries: num.int().min(0).default(5).describe('Attempts at a failed index refresh (at least one), as in Ansible.'),
    update_cache_retry_max_delay: num.int().min(0).default(12).describe('Seconds: the most an attempt waits for the next (1, 2, 4, 8 … s until then).'),
    cache_valid_time: num.int().min(0).default(0).describe('Seconds: skip the refresh when the index is younger.'),
    install_recommends: bool.optional().describe('false: --no-install-recommends; true: --install-recommends; unset: apt\'s default.'),
    deb: z.string().min(1).optional().describe('A .deb file on the target to install (its dependencies come from apt).'),
    dpkg_options: z.string().default('force-confdef,force-confold').describe('Comma-separated dpkg options.'),
    autoremove: bool.default(false).describe('Remove packages nothing depends on any more.'),
    purge: bool.default(false).describe('With absent: remove configuration files too.'),
    allow_downgrade: bool.default(false).describe('Allow installing an older version than the installed one (apt-get --allow-downgrades).'),
    force_apt_get: bool.optional().describe('Accepted for compatibility: drover always uses apt-get.'),
    default_release: z.string().optional().describe('apt-get -t RELEASE.'),
  })
  .superRefine((a, ctx) => {
    const given = ['name', 'pkg', 'package'].filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    if (given.length > 1) ctx.addIssue({ code: 'custom', message: `${given.join(' and ')} are aliases: give only one` });
    if (given.length === 0 && a.deb === undefined && !a.update_cache && !a.autoremove) {
      ctx.addIssue({ code: 'custom', message: 'one of name, deb, update_cache or autoremove is required' });
    }
    if (a.deb !== undefined && (a.state === 'absent' || a.state === 'removed')) {
      ctx.addIssue({ code: 'custom', path: ['deb'], message: 'deb installs a package file; use name with state: absent to remove' });
    }
  });

export type AptArgs = z.infer<typeof schema>;

/** `name=version` → {name, version}; `name:arch` keeps only the name for lookups. */
export function parseSpec(spec: string): { name: string; version?: string; arch?: string; text: string } {
  const eq = spec.indexOf('=');
  const left = eq >= 0 ? spec.slice(0, eq) : spec;
  const version = eq >= 0 ? spec.slice(eq + 1) : undefined;
  if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(left)) throw new InputError(`apt: ${JSON.stringify(spec)} is not a package name (expected name or name=version)`);
  if (version !== undefined && !/^[A-Za-z0-9.+~:*-]+$/.test(version)) throw new InputError(`apt: ${JSON.stringify(spec)} has an invalid version`);
  const [name, arch] = left.split(':');
  return { name: name!, version, arch, text: spec };
}

/** Does an installed version satisfy a pin? `1.2*` matches versions starting with 1.2. */
export function versionMatches(installed: string, pin: string): boolean {
  return pin.endsWith('*') ? installed.startsWith(pin.slice(0, -1)) : installed === pin;
}

/** What the package part of the plan decides, from facts only (pure). */
export interface PackageDecision {
  install: string[];
  remove: string[];
  changes: Change[];
  /** Names for which `apt-cache policy` is needed (latest) — computed first by the caller. */
}

export function decidePackages(
  specs: ReturnType<typeof parseSpec>[],
  state: 'present' | 'latest' | 'absent',
  installed: InstalledPackages,
  candidates: Record<string, PolicyEntry> | undefined,
  purge: boolean,
): PackageDecision {
  const install: string[] = [];
  const remove: string[] = [];
  const changes: Change[] = [];
  for (const s of specs) {
    const have = own(installed, s.name);
    const on = isInstalled(have);
    if (state === 'absent') {
      if (on) {
        remove.push(s.name);
        changes.push({ summary: `${purge ? 'purge' : 'remove'} ${s.name} ${have!.version}` });
      } else if (purge && have && have.status.startsWith('rc')) {
        remove.push(s.name);
        changes.push({ summary: `purge the configuration files of ${s.name}` });
      }
      continue;
    }
    if (s.version !== undefined) {
      if (on && versionMatches(have!.version, s.version)) continue;
      install.push(s.text);
      changes.push({ summary: on ? `change ${s.name} ${have!.version} -> ${s.version}` : `install ${s.name} ${s.version}` });
      continue;
    }
    if (state === 'latest') {
      const cand = candidates && own(candidates, s.name)?.candidate;
      if (on && (cand === undefined || cand === have!.version)) continue;
      install.push(s.name);
      changes.push({ summary: on ? `upgrade ${s.name} ${have!.version} -> ${cand}` : `install ${s.name}${cand ? ` ${cand}` : ''}` });
      continue;
    }
    if (on) continue;
    install.push(s.name);
    changes.push({ summary: `install ${s.name}` });
  }
  return { install, remove, changes };
}

/** Is the package index older than validSec? mtimes in epoch seconds (undefined: never updated). */
export function cacheIsStale(indexMtime: number | null, now: number, validSec: number): boolean {
  if (indexMtime === null) return true;
  if (validSec <= 0) return true;
  return now - indexMtime > validSec;
}

/** apt-get options shared by the real run and the simulation. */
export function aptGetOptions(a: Pick<AptArgs, 'install_recommends' | 'dpkg_options' | 'allow_downgrade' | 'default_release'>): string[] {
  const o = ['-y', '-q'];
  for (const d of a.dpkg_options.split(',').map((x) => x.trim()).filter(Boolean)) o.push('-o', `Dpkg::Options::=--${d}`);
  if (a.install_recommends === false) o.push('--no-install-recommends');
  if (a.install_recommends === true) o.push('--install-recommends');
  if (a.allow_downgrade) o.push('--allow-downgrades');
  if (a.default_release) o.push('-t', a.default_release);
  return o;
}

const APT_ENV = 'DEBIAN_FRONTEND=noninteractive APT_LISTCHANGES_FRONTEND=none';

function specsOf(a: AptArgs): string[] {
  const v = a.name ?? a.pkg ?? a.package;
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  // Ansible accepts "a,b" as a list too.
  return list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

interface AptPlanData {
  refreshed: boolean;
  install: string[];
  remove: string[];
  deb?: string;
  autoremove: boolean;
}

/**
 * `apt-get update`, tried `attempts` times with Ansible's backoff between
 * them: 2^i seconds up to maxDelay, plus up to a second of jitter (Ansible
 * tries update_cache_retries times; drover at least once).
 */
async function refreshIndex(ctx: TaskContext, attempts: number, maxDelaySec: number): Promise<void> {
  const cmd = `${APT_ENV} apt-get update -q && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp`;
  let last = { stdout: '', stderr: '', rc: 0 };
  const jitter = Math.random();
  for (let i = 0; i < Math.max(1, attempts); i++) {
    last = await ctx.exec(cmd);
    // apt-get update exits 0 even when a source failed; "E:"/"Err:" lines mean the index is incomplete.
    if (last.rc === 0 && !/^(E:|Err:)/m.test(last.stdout + last.stderr)) return;
    if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 1000 * (Math.min(2 ** i, maxDelaySec) + jitter)));
  }
  throw new ModuleError(`apt-get update failed: ${aptError(last.stdout, last.stderr)}`, cmd, last.stderr, last.rc);
}

export const aptModule: Module<AptArgs, AptPlanData> = {
  name: 'apt',
  doc: {
    short: 'Install, upgrade or remove Debian packages (apt-get), refresh the package index.',
    examples: `
- name: Install nginx, refreshing the package index when older than an hour
  apt:
    name: nginx
    state: present
    update_cache: true
    cache_valid_time: 3600

- name: Keep a set of packages at their newest version
  apt:
    name: [chrony, openssh-server]
    state: latest

- name: Remove a package and its configuration files
  apt: name=telnet state=absent purge=yes
`,
  },
  schema,
  async plan(ctx, a) {
    const state = a.state === 'installed' ? 'present' : a.state === 'removed' ? 'absent' : a.state;
    const specs = specsOf(a).map(parseSpec);
    const changes: Change[] = [];
    const notes: string[] = [];
    let refreshed = false;

    if (a.update_cache) {
      const age = await ctx.fact(cacheAgeFact, undefined);
      if (cacheIsStale(age.mtime, age.now, a.cache_valid_time)) {
        if (ctx.check) notes.push('check mode: the package index is stale and was not refreshed');
        else {
          await refreshIndex(ctx, a.update_cache_retries, a.update_cache_retry_max_delay);
          refreshed = true;
          forgetFact(ctx.facts, policyFact);
        }
      }
    }

    const installed = await ctx.fact(installedPackagesFact, undefined);
    const candidates = state === 'latest' && specs.length ? await ctx.fact(policyFact, { names: specs.map((s) => s.name) }) : undefined;
    const d = decidePackages(specs, state, installed, candidates, a.purge);
    changes.push(...d.changes);

    let deb: string | undefined;
    if (a.deb !== undefined) {
      const f = await ctx.fact(debFileFact, { path: a.deb });
      if ('missing' in f) {
        if (!ctx.check) throw new ModuleError(`cannot read the package file ${a.deb}: ${f.error}`, debFileCommand(a.deb), f.error);
        changes.push({ summary: `install ${a.deb} (the file does not exist yet: an earlier task must create it)` });
        deb = a.deb;
      } else {
        const have = own(installed, f.package);
        if (!(isInstalled(have) && have!.version === f.version)) {
          deb = a.deb;
          changes.push({ summary: `install ${f.package} ${f.version} from ${a.deb}${isInstalled(have) ? ` (installed: ${have!.version})` : ''}` });
        }
      }
    }

    // Ask apt what it would do: a package that does not exist fails here, with apt's words.
    if (d.install.length) {
      const q = { action: 'install' as const, options: aptGetOptions(a), packages: d.install };
      const sim = await ctx.fact(simulateFact, q);
      if (sim.error !== undefined) {
        // Check mode with an index the run would refresh first (here, or in an earlier task predicted to
        // change the host: an update, a repository): apt may not know the package yet. Say so, do not fail.
        const stale = notes.length > 0;
        if (ctx.check && (stale || ctx.earlierChangesPredicted) && /Unable to locate package|has no installation candidate/.test(sim.error)) {
          notes.push(`apt could not verify ${d.install.join(', ')} against the ${stale ? 'stale index' : 'index as it is before the earlier predicted changes'} (${sim.error.split('\n')[0]})`);
          changes.push({ summary: stale ? `(unverified: the package index would be refreshed first)` : `(unverified: earlier tasks predicted to change the host come first: a package index refresh, a repository)` });
        } else throw new ModuleError(`apt cannot install ${d.install.join(', ')}: ${sim.error}`, simulateCommand(q), sim.error, sim.rc);
      }
      const extra = sim.inst.filter((p) => !d.install.some((x) => parseSpec(x).name === p.name));
      if (extra.length) changes.push({ summary: `and ${extra.length} dependenc${extra.length === 1 ? 'y' : 'ies'}: ${extra.map((p) => p.name).slice(0, 12).join(', ')}${extra.length > 12 ? ' …' : ''}` });
    }

    let autoremove = false;
    if (a.autoremove) {
      const q = { action: 'autoremove' as const, options: a.purge ? ['--purge'] : [], packages: [] };
      const sim = await ctx.fact(simulateFact, q);
      if (sim.error !== undefined) throw new ModuleError(`apt-get -s autoremove failed: ${sim.error}`, simulateCommand(q), sim.error, sim.rc);
      if (sim.remv.length) {
        autoremove = true;
        changes.push({ summary: `autoremove ${sim.remv.join(', ')}` });
      }
    }

    const data: AptPlanData = { refreshed, install: d.install, remove: d.remove, deb, autoremove };
    const result = { changed: false, cache_updated: refreshed, ...(notes.length ? { msg: notes.join('; ') } : {}) };
    return { changes, data, result };
  },

  async apply(ctx, a, plan: Plan<AptPlanData>) {
    const d = plan.data!;
    const opts = shjoin(aptGetOptions(a));
    const steps: string[] = [];
    if (d.install.length) steps.push(`${APT_ENV} apt-get ${opts} install ${shjoin(d.install)}`);
    if (d.deb) steps.push(`${APT_ENV} apt-get ${opts} install ${shq(d.deb.startsWith('/') ? d.deb : `./${d.deb}`)}`);
    if (d.remove.length) steps.push(`${APT_ENV} apt-get -y -q ${a.purge ? 'purge' : 'remove'} ${shjoin(d.remove)}`);
    if (d.autoremove) steps.push(`${APT_ENV} apt-get -y -q autoremove${a.purge ? ' --purge' : ''}`);
    try {
      for (const cmd of steps) {
        const r = await ctx.exec(cmd);
        if (r.rc !== 0) throw new ModuleError(`apt-get failed (rc ${r.rc}): ${aptError(r.stdout, r.stderr)}`, cmd, r.stderr, r.rc);
      }
    } finally {
      // Whatever happened, the installed set may have changed (and with it services and users).
      forgetFact(ctx.facts, installedPackagesFact);
      forgetFact(ctx.facts, policyFact);
    }
    return { changed: true, cache_updated: d.refreshed, packages: [...d.install, ...d.remove, ...(d.deb ? [d.deb] : [])] };
  },
};

registerModule(aptModule);
