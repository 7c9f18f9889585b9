import PQueue from 'p-queue';
import type { Connection, ConnectionSpec } from '../transport/connection.js';
import { createConnection } from '../transport/factory.js';
import { connectionSpecFromVars, type ConnectionDefaults } from '../inventory/connection-spec.js';
import type { Vars } from '../playbook/types.js';

/**
 * One connection per host for the whole run, opened lazily on first use with
 * bounded concurrency (connecting costs CPU for key exchange: hundreds of
 * hosts at once would starve the event loop and trip sshd's MaxStartups).
 */
export class ConnectionPool {
  private conns = new Map<string, Connection>();
  private opening = new Map<string, Promise<Connection>>();
  private queue: PQueue;
  private warned = new Set<string>();

  constructor(
    concurrency: number,
    private varsFor: (host: string) => Vars,
    private baseDir: string,
    /** Settings of hosts whose vars name none (`-u`, ansible.cfg, ANSIBLE_*), and the ssh config to read. */
    private defaults: ConnectionDefaults = {},
    /** Told once per distinct message (ssh options drover cannot honour). */
    private warn?: (message: string) => void,
  ) {
    this.queue = new PQueue({ concurrency: Math.max(1, concurrency) });
  }

  spec(host: string): ConnectionSpec {
    return connectionSpecFromVars(host, this.varsFor(host), this.baseDir, this.defaults, (m) => {
      if (this.warned.has(m)) return;
      this.warned.add(m);
      this.warn?.(m);
    });
  }

  get(host: string): Promise<Connection> {
    const open = this.conns.get(host);
    if (open) return Promise.resolve(open);
    let p = this.opening.get(host);
    if (!p) {
      p = this.queue
        .add(async () => {
          const conn = createConnection(this.spec(host));
          await conn.open();
          this.conns.set(host, conn);
          return conn;
        })
        .then((c) => c as Connection)
        .finally(() => this.opening.delete(host));
      this.opening.set(host, p);
    }
    return p;
  }

  stats(): Record<string, { connects: number; commands: number }> {
    const out: Record<string, { connects: number; commands: number }> = {};
    for (const [h, c] of this.conns) out[h] = c.stats();
    return out;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.conns.values()].map((c) => c.close()));
    this.conns.clear();
  }
}
