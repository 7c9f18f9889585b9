import { dirname, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { RunOptions, RunSummary } from './api.js';
import { loadPlaybookCollecting, parseExtraVars, playHosts, validatePlaybook } from '../playbook/index.js';
import { loadInventory } from '../inventory/load.js';
import type { Playbook, Vars } from '../playbook/types.js';
import type { EngineEvent, EventSink, HostTally } from '../report/events.js';
import { EXIT, InputError, InputErrors, sortedInputErrors } from '../util/errors.js';
import { Redactor } from '../util/redact.js';
import { markSecretVars } from './secret-vars.js';
import { ConnectionPool } from './connections.js';
import type { ConnectionDefaults } from '../inventory/connection-spec.js';
import { HostState } from './host-state.js';
import { PlayRunner } from './play-runner.js';
import { RunState } from './run-state.js';
import { lazyTemplated } from './vars.js';
import { hostMagicValues } from '../playbook/magic-vars.js';
import { checkSelection } from './selection.js';
import { shardHosts as shardHostsOf } from './shard.js';
import { droverVersion } from '../util/version.js';

const NO_SKIP: ReadonlySet<string> = new Set();

export interface LoadedRun {
  playbook: Playbook;
  inventory: Awaited<ReturnType<typeof loadInventory>>;
  extraVars: Vars;
  /** Doubtful selection flags (a --tags name no task carries): shown before the run. */
  warnings: string[];
  /** Under `--shard`: the hosts of this shard (every play's hosts are filtered by it). */
  shardHosts?: Set<string>;
}

/**
 * Everything that can be checked without a host: playbook, roles, templates,
 * module arguments, inventory, variable references. Throws InputErrors.
 */
export async function loadAndValidate(opts: RunOptions): Promise<LoadedRun> {
  // Modules register themselves; loading the set is not importing one by name.
  await import('../modules/index.js');
  // Roles: the playbook's roles/, then opts.rolesPath (roles_path; drover's labs pass the project's own roles/).
  // Every problem is reported, not the first: what the playbook's loading found, then what validating the rest finds.
  const { playbook, errors: loadErrors } = loadPlaybookCollecting(resolve(opts.playbook), {
    rolesPath: opts.rolesPath ?? [],
    ...(opts.playbookText !== undefined ? { text: opts.playbookText } : {}),
  });
  let inventory: LoadedRun['inventory'];
  let extraVars: Vars;
  try {
    inventory = await loadInventory(opts.inventory, { playbookDir: playbook.dir });
    extraVars = parseExtraVars(opts.extraVars ?? []);
  } catch (e) {
    if (loadErrors.length === 0 || !(e instanceof InputError || e instanceof InputErrors)) throw e;
    throw sortedInputErrors([...loadErrors, ...(e instanceof InputErrors ? e.errors : [e])]);
  }
  const found = validatePlaybook(playbook, inventory, extraVars, { limit: opts.limit, mode: opts.mode ?? 'converge', connection: connectionDefaults(opts) });
  // One loading problem alone is thrown as itself, as loadPlaybook throws it.
  if (found.length === 0 && loadErrors.length === 1) throw loadErrors[0]!;
  if (found.length + loadErrors.length) throw sortedInputErrors([...loadErrors, ...found]);
  // --limit, --start-at-task, --tags that select nothing are mistakes, found before any host is contacted (selection.ts).
  const warnings = checkSelection(playbook.plays, inventory, extraVars, opts);
  if (!opts.shard) return { playbook, inventory, extraVars, warnings };
  const shardHosts = shardHostsOf(playbook.plays, inventory, opts.limit, extraVars, opts.shard);
  if (shardHosts.size === 0) {
    // A fixed fan-out (a CI matrix of 4) over fewer hosts: this runner has nothing to do, which is not a mistake.
    warnings.push(`--shard ${opts.shard.index}/${opts.shard.count}: no host falls in this shard (the playbook selects fewer hosts than there are shards)`);
  }
  return { playbook, inventory, extraVars, warnings, shardHosts };
}

export async function runPlaybook(opts: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const sinks: EventSink[] = [...(opts.sinks ?? [])];
  const emit = (e: EngineEvent) => {
    for (const s of sinks) s(e);
  };
  const { playbook, inventory, extraVars, warnings, shardHosts } = await loadAndValidate(opts);

  const redactor = new Redactor();
  const invCache = new Map<string, Vars>();
  const inventoryVars = (h: string): Vars => {
    let v = invCache.get(h);
    if (!v) {
      v = inventory.hosts.has(h) ? inventory.hostVars(h) : {};
      invCache.set(h, v);
    }
    return v;
  };
  for (const h of inventory.hosts.keys()) markSecretVars(redactor, inventoryVars(h));
  markSecretVars(redactor, extraVars);

  const hosts = new Map<string, HostState>();
  const hostState = (name: string) => {
    let s = hosts.get(name);
    if (!s) hosts.set(name, (s = new HostState(name)));
    return s;
  };

  // hostvars: computed on access, so 500 hosts cost nothing until a template reads one.
  const hostvars = new Proxy({} as Record<string, Vars>, {
    get: (_t, key) => (typeof key === 'string' && (inventory.hosts.has(key) || hosts.has(key)) ? hostVarsOf(key) : undefined),
    has: (_t, key) => typeof key === 'string' && inventory.hosts.has(key),
    ownKeys: () => [...inventory.hosts.keys()],
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && inventory.hosts.has(key)
        ? { enumerable: true, configurable: true, writable: false, value: hostVarsOf(key) }
        : undefined,
  });
  const hostVarsOf = (h: string): Vars => {
    const s = hosts.get(h);
    const v = lazyTemplated({ ...inventoryVars(h), ...(s?.facts ?? {}), ...(s?.runtimeVars ?? {}), ...extraVars }, NO_SKIP);
    // Magic values win over anything of the same name (defined, not assigned: a lazy value has no setter).
    for (const [k, x] of Object.entries(hostMagicValues(inventory.hosts.get(h) ?? { name: h, vars: {}, groups: [] }))) {
      Object.defineProperty(v, k, { value: x, enumerable: true, writable: true, configurable: true });
    }
    return v;
  };

  let logClose: (() => void) | undefined;
  if (opts.eventsFile) {
    const { eventLogSink } = await import('../report/event-log.js');
    const log = eventLogSink(opts.eventsFile);
    sinks.push(log.sink);
    logClose = log.close;
  }
  // Everything that leaves the engine is redacted here, once.
  const redactedEmit = (e: EngineEvent) => emit(redactor.redactValue(e));
  redactedEmit({
    type: 'run_start',
    version: droverVersion(),
    argv: opts.argv ?? [],
    inventory: opts.inventory,
    playbook: resolve(opts.playbook),
    check: Boolean(opts.check),
    ...(opts.shard ? { shard: opts.shard } : {}),
  });
  for (const message of warnings) redactedEmit({ type: 'warning', message });

  const invKey = opts.inventory.map((i) => resolve(i)).join(',');
  const stateDir = opts.stateDir ?? defaultStateDir(opts.inventory[0]);
  const runState = new RunState(stateDir, invKey);
  const forks = opts.forks ?? 20;
  const pool = new ConnectionPool(
    Math.min(forks, 64),
    (h) => hostVarsOf(h),
    dirname(resolve(opts.inventory[0] ?? '.')),
    connectionDefaults(opts),
    (message) => redactedEmit({ type: 'warning', message }),
  );

  let interrupted = false;
  const prompter = opts.step
    ? stepPrompter(() => {
        if (interrupted) return;
        interrupted = true;
        redactedEmit({ type: 'warning', message: 'stdin ended at a --step prompt: stopping (as ansible-playbook does)' });
      })
    : undefined;
  const summary: RunSummary = { exitCode: EXIT.ok, tally: {}, changed: [], unknown: [], durationMs: 0 };
  const env = {
    inventory,
    hosts,
    pool,
    redactor,
    runState,
    extraVars,
    playbookDir: playbook.dir,
    check: Boolean(opts.check),
    diff: Boolean(opts.diff),
    forks,
    ...(opts.become !== undefined ? { become: opts.become } : {}),
    tags: opts.tags,
    skipTags: opts.skipTags,
    limit: opts.limit,
    timeoutMs: (opts.taskTimeout ?? 3600) * 1000,
    verbose: opts.verbose ?? 0,
    mode: opts.mode ?? 'converge',
    emit: redactedEmit,
    startAt: opts.startAtTask,
    step: prompter ? (task: string) => prompter.ask(task) : undefined,
    changed: summary.changed,
    unknown: summary.unknown,
    controller: { changesPredicted: false },
    inventoryVars,
    hostvars,
    interrupted: () => interrupted,
  } as const;

  // First Ctrl-C: finish what is in flight, then stop. A second one gets Node's default: exit at once.
  const onSigint = () => {
    interrupted = true;
    redactedEmit({ type: 'warning', message: 'interrupted: finishing the tasks in flight, then stopping (Ctrl-C again aborts at once)' });
  };
  process.once('SIGINT', onSigint);
  try {
    for (const play of playbook.plays) {
      if (interrupted) break;
      if (env.mode === 'verify' && play.verifyTasks.length === 0) continue;
      const limited = playHosts(play, inventory, opts.limit, extraVars);
      const selected = shardHosts ? limited.filter((h) => shardHosts.has(h)) : limited;
      for (const h of selected) hostState(h);
      await new PlayRunner({ ...env }, play).run(selected);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    prompter?.close();
    await pool.closeAll();
  }

  const tally: Record<string, HostTally> = {};
  for (const [name, s] of hosts) tally[name] = s.tally;
  summary.tally = tally;
  summary.durationMs = Date.now() - started;
  const anyFailed = [...hosts.values()].some((h) => h.failed || h.tally.failed > 0);
  const anyUnreachable = [...hosts.values()].some((h) => h.unreachable);
  if (interrupted) {
    const pending = [...hosts.keys()].flatMap((h) => runState.pendingFor(h).map((x) => `${x} on ${h}`));
    redactedEmit({
      type: 'warning',
      message: `stopped by Ctrl-C${pending.length ? `; handlers pending for the next run: ${pending.join(', ')} (${runState.path})` : ''}`,
    });
  }
  summary.exitCode = interrupted ? EXIT.interrupted : anyFailed ? EXIT.taskFailed : anyUnreachable ? EXIT.unreachable : EXIT.ok;
  redactedEmit({ type: 'recap', hosts: tally, durationMs: summary.durationMs });
  logClose?.();
  return summary;
}

/** The configured connection settings, -u winning over remote_user. */
function connectionDefaults(opts: RunOptions): ConnectionDefaults {
  return { ...opts.connection, ...(opts.remoteUser !== undefined ? { remoteUser: opts.remoteUser } : {}) };
}

function defaultStateDir(inventory: string | undefined): string {
  if (!inventory || inventory.includes(',') || !existsSync(inventory)) return resolve('.drover');
  const st = statSync(inventory);
  return resolve(st.isDirectory() ? inventory : dirname(inventory), '.drover');
}

type StepAnswer = 'yes' | 'no' | 'continue';

/**
 * --step's prompts, each answered by one line of stdin through ONE reader for
 * the run (a reader per prompt swallowed a pipe's later lines, and the run
 * then stopped without a recap). At the end of stdin the run stops, as
 * ansible-playbook's does: `onEnd`, and this task's answer is no.
 */
function stepPrompter(onEnd: () => void): { ask(task: string): Promise<StepAnswer>; close(): void } {
  let rl: import('node:readline').Interface | undefined;
  const lines: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  const nextLine = async (): Promise<string | undefined> => {
    if (!rl) {
      const { createInterface } = await import('node:readline');
      rl = createInterface({ input: process.stdin, terminal: false });
      rl.on('line', (l) => (waiting ? (waiting(l), (waiting = undefined)) : lines.push(l)));
      rl.on('close', () => {
        ended = true;
        waiting?.(undefined);
        waiting = undefined;
      });
    }
    if (lines.length) return lines.shift();
    if (ended) return undefined;
    return new Promise((r) => (waiting = r));
  };
  return {
    async ask(task) {
      process.stderr.write(`Perform task: ${task} (N)o/(y)es/(c)ontinue: `);
      const line = await nextLine();
      if (line === undefined) {
        process.stderr.write('\n');
        onEnd();
      }
      const a = (line ?? '').trim().toLowerCase();
      return a.startsWith('y') ? 'yes' : a.startsWith('c') ? 'continue' : 'no';
    },
    close: () => rl?.close(),
  };
}
