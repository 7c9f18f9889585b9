import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { withFileLock } from '../util/file-lock.js';
import { writeFileAtomic } from '../util/local-files.js';
import { join } from 'node:path';

/**
 * Durable run state: handlers that were notified but have not run yet. Written
 * atomically on every change, so a run that fails (or is killed) after
 * notifying keeps the notification, and the next run fires the handler once.
 * Runs may share the state (two `drover play --limit …` at once): every change
 * is a read-modify-write of the file under a lock, so one run's change never
 * overwrites another's.
 */
export interface PendingHandler {
  host: string;
  handler: string;
}

interface StateFile {
  version: 1;
  inventory: string;
  pending: PendingHandler[];
}

export class RunState {
  private pending: PendingHandler[];
  readonly path: string;

  constructor(dir: string, private inventoryKey: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const id = createHash('sha256').update(inventoryKey).digest('hex').slice(0, 12);
    this.path = join(dir, `state-${id}.json`);
    this.pending = this.read();
  }

  pendingFor(host: string): string[] {
    return this.pending.filter((p) => p.host === host).map((p) => p.handler);
  }

  add(host: string, handler: string): void {
    this.update((pending) => (pending.some((p) => p.host === host && p.handler === handler) ? pending : [...pending, { host, handler }]));
  }

  done(host: string, handler: string): void {
    this.update((pending) => pending.filter((p) => !(p.host === host && p.handler === handler)));
  }

  /** Apply a change to the file's current content (other runs' changes included), under the lock. */
  private update(change: (pending: PendingHandler[]) => PendingHandler[]): void {
    withFileLock(`${this.path}.lock`, () => {
      const current = this.read();
      const next = change(current);
      this.pending = next;
      if (next.length === current.length && next.every((p, i) => p === current[i])) return;
      const body: StateFile = { version: 1, inventory: this.inventoryKey, pending: next };
      writeFileAtomic(this.path, JSON.stringify(body, null, 2) + '\n', 0o600);
    });
  }

  private read(): PendingHandler[] {
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as StateFile;
      if (data.version === 1 && Array.isArray(data.pending)) return data.pending;
    } catch {
      // No state yet (or unreadable): start empty.
    }
    return [];
  }
}
