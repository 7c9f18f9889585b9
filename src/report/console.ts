import pc from 'picocolors';
import type { EngineEvent, EventSink, HostTally, ItemResultEvent, TaskResultEvent, TaskStatus } from './events.js';
import { unifiedDiff } from './diff.js';

export interface ConsoleOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  verbose: number;
  diff: boolean;
  check: boolean;
  /** false: `--no-color`. Otherwise NO_COLOR, FORCE_COLOR and whether `out` is a terminal decide (colorEnabled). */
  color?: boolean;
  /** How many tasks the closing "slowest tasks" list names (default 10). */
  slowest?: number;
}

type Colors = ReturnType<typeof pc.createColors>;
type Paint = (s: string) => string;

/**
 * Colour or not, as the conventions go: `--no-color` and NO_COLOR (any
 * non-empty value, no-color.org) turn it off, FORCE_COLOR (other than 0 or
 * false) on; otherwise only a terminal that is not TERM=dumb gets colour.
 */
export function colorEnabled(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !['0', 'false'].includes(force.toLowerCase());
  return Boolean(out.isTTY) && env.TERM !== 'dumb';
}

function statusColors(c: Colors): Record<TaskStatus | 'rescued' | 'ignored', Paint> {
  return { ok: c.green, changed: c.yellow, unknown: c.cyan, failed: c.red, unreachable: c.red, skipped: c.cyan, rescued: c.green, ignored: c.magenta };
}

/** A task's time on screen: 0.42s, 1m03s. */
export function formatSeconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

interface TaskTime {
  task: string;
  where: string;
  ms: number;
}

/**
 * Console output, shaped like Ansible's default callback where Ansible users
 * look: `ok: [h] => {…}` for debug, a line per loop item, the recap's
 * `host : ok=N changed=N …` line. Each task ends with its elapsed time and the
 * run with its slowest tasks (as profile_tasks). On a TTY a live status line
 * lists the hosts a task is still running on; otherwise plain lines only.
 *
 * Output is collected and written once per event-loop turn: stdout to a pipe
 * or file is a blocking write on Linux, and one write per result line cost
 * ~13% of a 200-host run (profiled); the recap is written at once.
 */
export function consoleSink(o: ConsoleOptions): EventSink {
  const tty = Boolean(o.out.isTTY);
  const c = pc.createColors(colorEnabled(o.out, process.env, o.color));
  let running = new Set<string>();
  let liveShown = false;
  let currentTask: (TaskTime & { started: number }) | undefined;
  const times: TaskTime[] = [];

  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const s = pending;
    pending = '';
    o.out.write(s);
  };
  // Whatever is still buffered when the process ends (a crash, an exit()) is written too.
  process.once('exit', flush);
  const write = (s: string) => {
    pending += s;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  const clearLive = () => {
    if (tty && liveShown) {
      write('\r\x1b[2K');
      liveShown = false;
    }
  };
  const drawLive = () => {
    if (!tty || running.size === 0 || !currentTask) return;
    const width = (o.out.columns ?? 100) - 1;
    const line = `  … ${currentTask.task}: ${[...running].join(' ')}`;
    write('\r\x1b[2K' + c.dim(line.length > width ? line.slice(0, width - 1) + '…' : line));
    liveShown = true;
  };
  const print = (s: string) => {
    clearLive();
    write(s + '\n');
    drawLive();
  };
  /** The task in progress has ended (every host reported, or the next thing began): its time. */
  const endTask = (show: boolean) => {
    if (!currentTask) return;
    const t = { task: currentTask.task, where: currentTask.where, ms: Date.now() - currentTask.started };
    times.push(t);
    currentTask = undefined;
    if (show) print(c.dim(`(${formatSeconds(t.ms)})`));
  };

  return (e: EngineEvent) => {
    switch (e.type) {
      case 'run_start':
        break;
      case 'play_start':
        endTask(true);
        running = new Set();
        print(`\nPLAY [${e.play}] ${'*'.repeat(Math.max(3, 60 - e.play.length))}`);
        if (e.hosts.length === 0) print(c.cyan('skipping: no hosts matched'));
        break;
      case 'batch_start':
        endTask(true);
        print(`\nBATCH ${e.batch}/${e.batches} [${e.hosts.join(', ')}] ${'*'.repeat(Math.max(3, 50 - e.hosts.join(', ').length))}`);
        break;
      case 'task_start':
        endTask(true);
        currentTask = { task: e.task, where: e.where, started: Date.now(), ms: 0 };
        running = new Set(e.hosts);
        print(`\n${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.task}] ${c.dim(e.where)}`);
        break;
      case 'host_task_start':
        break;
      case 'item_result':
        print(formatResult(e, o, c));
        break;
      case 'task_result': {
        const ofTask = currentTask?.task === e.task && running.delete(e.host);
        const text = formatResult(e, o, c);
        if (text) print(text);
        if (ofTask && running.size === 0) endTask(true);
        break;
      }
      case 'log':
        if (o.verbose >= (e.verbosity ?? 1)) print(c.dim(`  ${e.host ? `[${e.host}] ` : ''}${e.message}`));
        break;
      case 'warning':
        print(c.magenta(`[WARNING]: ${e.message}`));
        break;
      case 'recap':
        endTask(true);
        clearLive();
        write(formatRecap(e.hosts, o.check, c) + '\n');
        write(formatSlowest(times, e.durationMs, o.slowest ?? 10) + '\n');
        flush();
        process.removeListener('exit', flush);
        break;
    }
  };
}

/** Ansible's JSON for a result: keys sorted, one line (`, ` and `: `) or indented by 4. */
export function ansibleJson(value: unknown, indent = 0): string {
  const sorted = sortKeys(value);
  if (indent > 0) return JSON.stringify(sorted, null, indent) ?? 'null';
  const one = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(one).join(', ')}]`;
    if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${one(x)}`).join(', ')}}`;
    return JSON.stringify(v) ?? 'null';
  };
  return one(sorted);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** A result as -v shows it: without the loop's bookkeeping or Ansible's internal keys. */
function shownResult(r: Record<string, unknown>, item: boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_ansible') && !(item && (k === 'item' || k === 'ansible_loop_var' || k === 'results'))));
}

function formatResult(e: TaskResultEvent | ItemResultEvent, o: ConsoleOptions, c: Colors): string {
  const isItem = e.type === 'item_result';
  const failed = e.status === 'failed' || e.status === 'unreachable';
  // A loop's items had their lines; the task's own line only says how the loop ended when it failed.
  if (!isItem && e.loopItems && !failed) return '';
  let label: string = e.status === 'skipped' ? 'skipping' : e.status;
  if (e.status === 'changed' && e.check) label = 'would change';
  if (e.status === 'failed' && e.ignored) label = 'failed (ignored)';
  const paint = statusColors(c)[e.status];
  const item = isItem ? (failed ? ` (item=${e.item})` : ` => (item=${e.item})`) : '';
  let head = paint(`${label}: [${e.host}]${item}`);
  const lines: string[] = [];
  const verbose = o.verbose > 0 && e.result && !(!isItem && e.loopItems);
  if (e.show && !failed) {
    // What the module always shows (debug), indented as Ansible's default callback does.
    head += ' => ' + paint(ansibleJson(e.show, 4));
  } else if (verbose) {
    head += ' => ' + ansibleJson(shownResult(e.result!, isItem), o.verbose > 2 ? 4 : 0);
  } else if (e.msg && !failed) {
    head += ` ${e.msg}`;
  }
  lines.push(head);
  if (e.status === 'changed' || e.status === 'unknown') {
    for (const ch of e.changes) lines.push(`    - ${ch.summary}`);
  }
  if (failed) {
    const msg = !isItem && e.loopItems ? 'one or more items failed' : (e.msg ?? 'failed');
    lines.push(paint(`    ${e.where}: ${msg}`));
    if (!(!isItem && e.loopItems)) {
      if (e.command) lines.push(`    command: ${e.command}`);
      if (e.rc !== undefined) lines.push(`    rc: ${e.rc}`);
      lines.push(...tail('stdout', e.stdout), ...tail('stderr', e.stderr));
    }
    if (e.ignored) lines.push(c.cyan('    ...ignoring'));
  }
  if (o.diff && !(!isItem && e.loopItems)) {
    for (const ch of e.changes) if (ch.diff) lines.push(indent(colorDiff(unifiedDiff(ch.diff), c), '    '));
  }
  return lines.join('\n');
}

/** A command's output under its failure: the last 15 lines, each labelled. */
function tail(name: string, text: string | undefined): string[] {
  if (!text?.trim()) return [];
  const all = text.trimEnd().split('\n');
  const shown = all.slice(-15).map((l) => `    ${name}: ${l}`);
  return all.length > 15 ? [`    ${name}: … (${all.length - 15} lines before)`, ...shown] : shown;
}

function colorDiff(d: string, c: Colors): string {
  return d
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? c.green(l) : l.startsWith('-') && !l.startsWith('---') ? c.red(l) : l))
    .join('\n');
}

function indent(s: string, pad: string): string {
  return s.split('\n').map((l) => pad + l).join('\n');
}

const RECAP_FIELDS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;

/**
 * The recap as Ansible prints it, one line per host, so `grep 'failed=0'` and
 * friends work: `host : ok=N changed=N unreachable=N failed=N skipped=N
 * rescued=N ignored=N` (name padded to 26, each count to 4, as Ansible's).
 * Check mode adds `unknown=N`: the tasks whose outcome it could not predict.
 */
export function formatRecap(hosts: Record<string, HostTally>, check: boolean, c: Colors = pc.createColors(false)): string {
  const names = Object.keys(hosts);
  const w = Math.max(26, ...names.map((n) => n.length));
  const colors = statusColors(c);
  const fields: ReadonlyArray<keyof HostTally> = check ? [...RECAP_FIELDS, 'unknown'] : RECAP_FIELDS;
  const rows = names.map((n) => {
    const t = hosts[n]!;
    const hostColor = t.failed || t.unreachable ? c.red : t.changed ? c.yellow : t.unknown ? c.cyan : c.green;
    const cells = fields.map((f) => {
      const cell = `${f}=${String(t[f]).padEnd(4)}`;
      return t[f] > 0 ? colors[f as TaskStatus | 'rescued' | 'ignored'](cell) : cell;
    });
    return `${hostColor(n)}${' '.repeat(w - n.length)} : ${cells.join(' ')}`;
  });
  const title = `PLAY RECAP${check ? ' (check mode: nothing was changed)' : ''}`;
  return `\n${title} ${'*'.repeat(Math.max(3, 79 - title.length))}\n${rows.join('\n')}`;
}

/** The slowest tasks of the run, slowest first (as Ansible's profile_tasks), and the run's time. */
export function formatSlowest(times: TaskTime[], durationMs: number, limit: number): string {
  const title = `SLOWEST TASKS (run ${formatSeconds(durationMs)})`;
  const top = [...times].sort((a, b) => b.ms - a.ms).slice(0, limit);
  if (top.length === 0) return `\n${title}`;
  const w = Math.max(...top.map((t) => formatSeconds(t.ms).length));
  return [`\n${title} ${'*'.repeat(Math.max(3, 79 - title.length))}`, ...top.map((t) => `${formatSeconds(t.ms).padStart(w)}  ${t.task}  ${t.where}`)].join('\n');
}
