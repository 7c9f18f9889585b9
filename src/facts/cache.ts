/**
 * Per-host fact cache for one run. Modules read through it so a fact is fetched
 * once per host (installed package versions, service states) and invalidated by
 * the module that changed it.
 */
export class FactCache {
  private values = new Map<string, Promise<unknown>>();

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.values.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.values.set(key, p);
      // A failed load is not cached: the next reader tries again.
      p.catch(() => this.values.delete(key));
    }
    return p;
  }

  set<T>(key: string, value: T): void {
    this.values.set(key, Promise.resolve(value));
  }

  /** How many readings it holds. */
  get size(): number {
    return this.values.size;
  }

  /** Forget every reading. */
  clear(): void {
    this.values.clear();
  }

  /** Forget a key, or every key with this prefix when it ends in '*'. */
  invalidate(key: string): void {
    if (key.endsWith('*')) {
      const prefix = key.slice(0, -1);
      for (const k of [...this.values.keys()]) if (k.startsWith(prefix)) this.values.delete(k);
    } else {
      this.values.delete(key);
    }
  }
}
