import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/local-files.js';
import { join } from 'node:path';

/**
 * Durable run state: handlers that were notified but have not run yet. Written
 * atomically on every change, so a run that fails (or is killed) after
 * notifying keeps the notification, and the next run fires the handler once.
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
    this.pending = [];
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as StateFile;
      if (data.version === 1 && Array.isArray(data.pending)) this.pending = data.pending;
    } catch {
      // No state yet (or unreadable): start empty.
    }
  }

  pendingFor(host: string): string[] {
    return this.pending.filter((p) => p.host === host).map((p) => p.handler);
  }

  add(host: string, handler: string): void {
    if (this.pending.some((p) => p.host === host && p.handler === handler)) return;
    this.pending.push({ host, handler });
    this.save();
  }

  done(host: string, handler: string): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => !(p.host === host && p.handler === handler));
    if (this.pending.length !== before) this.save();
  }

  private save(): void {
    const body: StateFile = { version: 1, inventory: this.inventoryKey, pending: this.pending };
    writeFileAtomic(this.path, JSON.stringify(body, null, 2) + '\n', 0o600);
  }
}
