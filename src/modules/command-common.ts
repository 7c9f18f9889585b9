/**
 * Shared by `command` and `shell`: Ansible's argument handling (free-form
 * `creates=… chdir=…` tokens, shlex splitting, $VAR/~ expansion), the
 * creates/removes guard decided from ONE existence round trip, and running the
 * command with Ansible's registered result shape (stdout, rc, start/end/delta …).
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { limit } from '../util/limits.js';
import { shq } from '../util/shell.js';
import { kvWords, shellWords } from '../util/shell-words.js';
import { bool } from './common/args.js';
import type { Module, ModuleResult, Plan, TaskContext } from './types.js';

/** A number that may arrive as a rendered template string ("300"). */
export const num = z.coerce.number();

/** Arguments `command` and `shell` share (Ansible's names). */
export const guardArgs = {
  chdir: z.string().optional().describe('Change into this directory before running the command.'),
  creates: z.string().optional().describe('A path or glob; when it exists, the command is not run.'),
  removes: z.string().optional().describe('A path or glob; when it does not exist, the command is not run.'),
  stdin: z.string().optional().describe('Fed to the command on stdin (never on its command line).'),
  stdin_add_newline: bool.default(true).describe('Append a newline to stdin.'),
  strip_empty_ends: bool.default(true).describe('Strip trailing empty lines from stdout/stderr.'),
  /** Removed in Ansible 2.14 but still common in roles: accepted and ignored. */
  warn: bool.optional().describe('Removed in Ansible 2.14; accepted and ignored.'),
};

export interface GuardArgs {
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
}

/** Keys Ansible accepts as `key=value` tokens inside a free-form command line. */
const INLINE_KEYS = new Set(['creates', 'removes', 'chdir', 'executable', 'stdin', 'stdin_add_newline', 'strip_empty_ends', 'warn']);

/**
 * Split `creates=/x chdir=/tmp make install` into the command text and its
 * inline options, like Ansible's parse_kv(check_raw=True). Tokens keep their
 * original quoting in the returned command text.
 */
export function extractInlineArgs(text: string): { cmd: string; inline: Record<string, string> } {
  const inline: Record<string, string> = {};
  // A multi-line script is taken as written: re-joining its tokens would lose its newlines.
  if (text.trim().includes('\n')) return { cmd: text, inline };
  const kept: string[] = [];
  for (const tok of kvWords(text)) {
    const m = /^([a-z_]+)=(.*)$/s.exec(tok.raw);
    if (m && INLINE_KEYS.has(m[1]!)) {
      inline[m[1]!] = shellWords(m[2]!).join(' ');
    } else {
      kept.push(text.slice(tok.start, tok.end));
    }
  }
  // Re-join from the original text so spacing inside quotes survives untouched.
  return { cmd: Object.keys(inline).length ? kept.join(' ') : text.trim(), inline };
}

/** A leading `~` or `~user`, up to the first slash: left unquoted so the target's shell expands it. */
const TILDE = /^~[A-Za-z0-9_.-]*(?=\/|$)/;

/** A path as a shell word: `~` expanded by the target's shell, everything else literal. */
export function shPath(p: string): string {
  const m = TILDE.exec(p);
  if (!m) return shq(p);
  const rest = p.slice(m[0].length);
  return m[0] + (rest ? shq(rest) : '');
}

/**
 * One argv word as a shell word with Ansible's expand_argument_vars: `$NAME`,
 * `${NAME}` and a leading `~` are expanded by the target's shell; nothing else
 * is (no globbing, no word splitting, no command substitution).
 */
export function shWordExpanding(word: string): string {
  let out = '';
  let rest = word;
  const m = TILDE.exec(rest);
  if (m) {
    out += m[0];
    rest = rest.slice(m[0].length);
  }
  const re = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  let last = 0;
  for (let v = re.exec(rest); v; v = re.exec(rest)) {
    if (v.index > last) out += shq(rest.slice(last, v.index));
    out += `"\${${v[1] ?? v[2]}}"`;
    last = v.index + v[0].length;
  }
  if (last < rest.length) out += shq(rest.slice(last));
  return out === '' ? "''" : out;
}

/** Resolve a guard path against chdir the way Ansible does (relative paths are relative to chdir). */
export function guardPath(p: string, chdir?: string): string {
  if (!chdir || p.startsWith('/') || p.startsWith('~')) return p;
  return posix.join(chdir, p);
}

/** The creates/removes paths to test, in order. */
export function guardPaths(args: GuardArgs): string[] {
  const out: string[] = [];
  if (args.creates !== undefined) out.push(guardPath(args.creates, args.chdir));
  if (args.removes !== undefined) out.push(guardPath(args.removes, args.chdir));
  return out;
}

/**
 * ONE command that tells, per path (glob allowed), whether anything matches:
 * a line "1" or "0" each. Plain sh; `set --` with an empty IFS globs without
 * word splitting; -L also counts a dangling symlink as existing.
 */
export function existenceCommand(paths: string[]): string {
  return `for p in ${paths.map(shPath).join(' ')}; do if (IFS=; set -- $p; [ -e "$1" ] || [ -L "$1" ]); then echo 1; else echo 0; fi; done`;
}

export function parseExistence(stdout: string, count: number): boolean[] {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l === '0' || l === '1');
  if (lines.length !== count) throw new Error(`unexpected output from the creates/removes check: ${JSON.stringify(stdout)}`);
  return lines.map((l) => l === '1');
}

/**
 * The guard decision, pure: given which guard paths exist, either a finished
 * "nothing to do" plan (Ansible's messages) or null (the command must run).
 */
export function decideGuard(args: GuardArgs, exists: boolean[], check: boolean, cmd: unknown): Plan | null {
  const would = check ? 'Would' : 'Did';
  let i = 0;
  if (args.creates !== undefined) {
    if (exists[i]) {
      return skipPlan(cmd, `${would} not run command since '${args.creates}' exists`, `skipped, since ${args.creates} exists`);
    }
    i++;
  }
  if (args.removes !== undefined && !exists[i]) {
    return skipPlan(cmd, `${would} not run command since '${args.removes}' does not exist`, `skipped, since ${args.removes} does not exist`);
  }
  return null;
}

function skipPlan(cmd: unknown, msg: string, stdout: string): Plan {
  return {
    changes: [],
    result: { changed: false, msg, cmd, rc: 0, stdout, stderr: '', stdout_lines: [stdout], stderr_lines: [] },
  };
}

export const UNKNOWN_RUNS_IN_APPLY = 'command runs only in apply';

/**
 * Plan for command/shell: without creates/removes nothing can be predicted;
 * with them, one round trip decides.
 */
export async function planGuarded(ctx: TaskContext, args: GuardArgs, cmd: unknown): Promise<Plan> {
  const paths = guardPaths(args);
  if (paths.length === 0) return { changes: [], unknown: UNKNOWN_RUNS_IN_APPLY };
  const check = existenceCommand(paths);
  const r = await ctx.exec(check);
  if (r.rc !== 0) {
    throw new ModuleError(`checking creates/removes failed (rc ${r.rc}): ${r.stderr.trim()}`, check, r.stderr, r.rc);
  }
  const decided = decideGuard(args, parseExistence(r.stdout, paths.length), ctx.check, cmd);
  return decided ?? { changes: [], unknown: UNKNOWN_RUNS_IN_APPLY };
}

/** Ansible's timestamp format: "2024-05-01 12:00:00.123456" (local time). */
export function ansibleTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Ansible's delta format: "0:00:01.234000". */
export function ansibleDelta(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const us = (total % 1000) * 1000;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(us).padStart(6, '0')}`;
}

function stripEnds(s: string): string {
  return s.replace(/(\r?\n)+$/, '');
}

function lines(s: string): string[] {
  return s === '' ? [] : s.split(/\r?\n/);
}

/**
 * Run a command line for command/shell and build Ansible's result. A non-zero
 * rc is a failed result (not a throw): `failed_when`/`ignore_errors` belong to
 * the engine, which names the command and stderr when it fails the task.
 */
export async function runAndRegister(ctx: TaskContext, line: string, args: GuardArgs, cmd: unknown): Promise<ModuleResult> {
  let stdin: string | undefined;
  // As Ansible's run_command: the newline is added whatever the text ends with.
  if (args.stdin !== undefined) stdin = args.stdin_add_newline ? args.stdin + '\n' : args.stdin;
  // chdir=~/x: the transport quotes cwd, so expand the tilde first (as Ansible's expanduser does).
  const cwd = args.chdir?.startsWith('~') ? await ctx.expandUser(args.chdir) : args.chdir;
  const start = new Date();
  // Bounded: a command may print gigabytes; what is kept is its head and tail around a marker.
  const r = await ctx.exec(line, { ...(stdin !== undefined ? { stdin } : {}), ...(cwd ? { cwd } : {}), maxOutputBytes: limit('commandOutput') });
  const end = new Date();
  const stdout = args.strip_empty_ends ? stripEnds(r.stdout) : r.stdout;
  const stderr = args.strip_empty_ends ? stripEnds(r.stderr) : r.stderr;
  const result: ModuleResult = {
    changed: true,
    cmd,
    rc: r.rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: ansibleTime(start),
    end: ansibleTime(end),
    delta: ansibleDelta(end.getTime() - start.getTime()),
    msg: '',
  };
  if (r.rc !== 0) {
    result.failed = true;
    result.msg = 'non-zero return code';
  }
  return result;
}

/** Merge `creates=… chdir=…` tokens from a free-form line into the arguments (explicit args win). */
export function withInline<A extends { cmd?: string }>(args: A): A & Record<string, unknown> {
  if (args.cmd === undefined) return args;
  const { cmd, inline } = extractInlineArgs(args.cmd);
  if (Object.keys(inline).length === 0) return args;
  const merged: Record<string, unknown> = { ...args, cmd };
  for (const [k, v] of Object.entries(inline)) {
    // Flags always carry a schema default, so the inline token wins for them.
    if (k === 'stdin_add_newline' || k === 'strip_empty_ends' || k === 'warn') merged[k] = !/^(no|false|off|0)$/i.test(v);
    else if ((args as Record<string, unknown>)[k] === undefined) merged[k] = v;
  }
  return merged as A & Record<string, unknown>;
}

/**
 * The module around a command line, shared by `command` and `shell`: the
 * creates/removes guard while planning, then the run, registered the way
 * Ansible registers it. `prepare` builds the line (and whatever the plan
 * keeps of it); `registered` is the `cmd` Ansible reports for it.
 */
export function guardedCommandModule<A extends GuardArgs & { cmd?: string }, D extends { line: string }>(spec: {
  name: string;
  doc: Module['doc'];
  schema: Module<A, D>['schema'];
  prepare: (args: A) => D;
  registered: (args: A, data: D) => unknown;
}): Module<A, D> {
  return {
    name: spec.name,
    doc: spec.doc,
    schema: spec.schema,
    freeForm: 'cmd',
    secretArgs: ['stdin'],
    async plan(ctx, args) {
      const data = spec.prepare(args);
      const a = withInline(args);
      return { ...(await planGuarded(ctx, a, spec.registered(a, data))), data };
    },
    async apply(ctx, args, plan) {
      const data = plan.data ?? spec.prepare(args);
      const a = withInline(args);
      return runAndRegister(ctx, data.line, a, spec.registered(a, data));
    },
  };
}
