import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/**
 * A short-held lock between processes on this machine: a lock file created
 * exclusively, holding the owner's pid. A lock whose owner is gone (killed)
 * is taken over. Waits (sleeping, not spinning) up to `timeoutMs`.
 */
export function withFileLock<T>(lockPath: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (ownerGone(lockPath)) {
        try {
          unlinkSync(lockPath);
        } catch {
          // Another waiter took it over first.
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by process ${owner(lockPath) ?? '?'} for more than ${timeoutMs / 1000} s`);
      sleep(5);
    }
  }
  try {
    writeSync(fd, String(process.pid));
    return fn();
  } finally {
    closeSync(fd);
    unlinkSync(lockPath);
  }
}

function owner(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function ownerGone(lockPath: string): boolean {
  const pid = owner(lockPath);
  // Just created, pid not written yet: not gone.
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}
