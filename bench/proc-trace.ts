/**
 * Counting the processes a run starts on a target, without BPF: `strace -f`
 * attached (from this machine, as root) to the target's sshd listener, which
 * every connection drover opens is a child of. Traced: execve (a program
 * starts) and the fork family (a process starts: clone without CLONE_THREAD,
 * fork, vfork; a subshell is a fork without an exec). Services the run only
 * talks to (mysqld, systemd, an API server) are not sshd's children and are
 * not counted. Each event is attributed by its time to the task that ran
 * then: with the linear strategy one task runs at a time; a task's window on
 * a host is [result time - duration, result time] from the `--events` log
 * (same clock, 1 ms resolution).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TraceEvent {
  /** ms since the epoch */
  t: number;
  kind: 'fork' | 'exec';
  /** the program's base name (exec) */
  prog?: string;
}

/** `strace -f -ttt` output -> fork and exec events (an unfinished call's result comes on its "resumed" line). */
export function parseStrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  const pending = new Map<string, { t: number; line: string }>();
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, ts, rest] = m;
    let line = rest!;
    let t = Number(ts) * 1000;
    if (line.endsWith('<unfinished ...>')) {
      pending.set(pid!, { t, line: line.replace(/\s*<unfinished \.\.\.>$/, '') });
      continue;
    }
    const r = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (r) {
      const p = pending.get(pid!);
      pending.delete(pid!);
      if (!p) continue;
      line = p.line + r[2];
      t = p.t;
    }
    const call = /^(\w+)\(/.exec(line)?.[1];
    const result = /\)\s*=\s*(-?\d+)/.exec(line.slice(line.lastIndexOf(')')))?.[1];
    if (call === 'execve' && result === '0') out.push({ t, kind: 'exec', prog: /^execve\("([^"]*)"/.exec(line)?.[1]?.replace(/^.*\//, '') });
    else if (['clone', 'clone3', 'fork', 'vfork'].includes(call ?? '') && result !== undefined && Number(result) > 0 && !line.includes('CLONE_THREAD')) out.push({ t, kind: 'fork' });
  }
  return out;
}

/** strace -f on a running process; stop() ends the trace and returns its events. */
export function traceProcess(pid: number, file: string): { stop(): Promise<TraceEvent[]> } {
  const child: ChildProcess = spawn('strace', ['-f', '-qq', '-ttt', '-e', 'trace=execve,clone,clone3,fork,vfork', '-s', '120', '-o', file, '-p', String(pid)], { stdio: 'ignore' });
  return {
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((res) => child.once('exit', res));
        child.kill('SIGINT');
        await gone;
      }
      return parseStrace(readFileSync(file, 'utf8'));
    },
  };
}

/** strace needs a moment to attach to every thread before the traced run starts. */
export const attachDelay = () => new Promise((r) => setTimeout(r, 1500));

export interface ResultEvent {
  ts: string;
  type: string;
  task?: string;
  where?: string;
  host?: string;
  status?: string;
  durationMs?: number;
  loopItems?: number;
}

export interface Window {
  key: string;
  from: number;
  to: number;
}

/** Each task result's window on its host, keyed by "where task". */
export function taskWindows(events: ResultEvent[]): Window[] {
  return events
    .filter((e) => e.type === 'task_result')
    .map((e) => {
      const end = Date.parse(e.ts);
      return { key: `${e.where} ${e.task}`, from: end - (e.durationMs ?? 0) - 1, to: end + 1 };
    });
}

/** The task key an event falls in, or undefined (between tasks: connecting, starting shells). */
export function attribute(windows: Window[], t: number): string | undefined {
  return windows.find((w) => t >= w.from && t <= w.to)?.key;
}
