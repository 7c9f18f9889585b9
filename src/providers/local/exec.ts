import { spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A host command that failed: names the command and carries its stderr. */
export class HostCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly rc: number | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-15).join('\n');
    super(`\`${argv.join(' ')}\` failed (exit ${rc ?? 'signal'})${tail ? `:\n${tail}` : ''}`);
    this.name = 'HostCommandError';
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  rc: number;
}

export interface RunOpts {
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  /** Do not throw on a non-zero exit; return it. */
  allowFail?: boolean;
  /** Stream output to our stderr (long steps the user should see progress of). */
  inheritOutput?: boolean;
}

/** Run a host command (no shell) and collect its output; throws HostCommandError on failure. */
export function run(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    };
    const child = spawn(argv[0]!, argv.slice(1), spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (opts.inheritOutput) process.stderr.write(d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.inheritOutput) process.stderr.write(d);
    });
    child.on('error', (e) => reject(new HostCommandError(argv, null, e.message)));
    child.on('close', (code) => {
      const rc = code ?? 128;
      if (rc !== 0 && !opts.allowFail) reject(new HostCommandError(argv, code, stderr || stdout));
      else resolve({ stdout, stderr, rc });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}

/** Whether a process exists (signal 0), optionally checking its command line contains a marker. */
export function processAlive(pid: number, cmdlineContains?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!cmdlineContains) return true;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmd.includes(cmdlineContains);
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
