/**
 * Runs the real drover CLI (`node bin/drover.js`, compiled dist/) as a child
 * process, so tests can read its output as it comes and kill it with real
 * signals. dist/ is rebuilt once (under a lock) when a source file is newer.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const FIX = join(ROOT, 'test/fixtures/reliability');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Make sure dist/ holds the current sources (npm test's pretest builds it; a lone `vitest run` may not have). */
export async function ensureBuilt(): Promise<void> {
  const main = join(ROOT, 'dist/cli/main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src')) - 1) return;
  const lock = join(ROOT, 'dist/.reliability-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let i = 0; i < 600; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200)); // another test file is building
      if (!existsSync(lock)) return;
    }
  }
  try {
    // Type errors elsewhere must not block the build: tsc still emits.
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      /* emitted anyway */
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface DroverRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export function spawnDrover(args: string[], env: NodeJS.ProcessEnv = {}): DroverRun {
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/drover.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of [...watchers]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal, ms: Date.now() - started })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise<void>((res, rej) => {
        const check = () => {
          if (re.test(out)) {
            clearTimeout(timer);
            watchers.splice(watchers.indexOf(check), 1);
            res();
          }
        };
        const timer = setTimeout(() => {
          watchers.splice(watchers.indexOf(check), 1);
          rej(new Error(`timed out waiting for ${re} in drover's output:\n${out}\n${err}`));
        }, timeoutMs);
        watchers.push(check);
        check();
        void exit.then(() => setTimeout(() => (re.test(out) ? undefined : rej(new Error(`drover exited before ${re}:\n${out}\n${err}`))), 50));
      });
    },
  };
}

/** Run drover to the end. */
export async function runDrover(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const r = spawnDrover(args, env);
  const e = await r.exit;
  return { code: e.code, stdout: r.stdout(), stderr: r.stderr(), ms: e.ms };
}

/** Poll until f() is true. */
export async function until(f: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return f();
}

/** drover's hidden temp files (`.NAME.drover-XXXXXX`) in a directory. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\..*\.drover-[A-Za-z0-9]{6}$/.test(f));
}
