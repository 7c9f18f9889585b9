/**
 * Handlers: which ones each host has been notified of, and running them.
 * Notifications are also kept in the run state, so a handler notified in a
 * failed run fires on the next run (ARCHITECTURE principle 5).
 */
import type { TaskNode } from '../playbook/types.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';

/** The names a handler answers to: its name, its `listen` topics, and `role : name` for a role's handler. */
export function handlerNames(handler: TaskNode): string[] {
  return [handler.name ?? '', ...(handler.listen ?? []), ...(handler.role ? [`${handler.role.name} : ${handler.name}`] : [])].filter(Boolean);
}

export interface HandlerOptions {
  check: boolean;
  runState?: RunState;
  /** Pick up what an earlier run left pending (a real converge run only). */
  restorePending: boolean;
}

export class Handlers {
  /** Handlers an earlier run notified but never ran, per host (see RunState). */
  private restored = new Map<HostState, string[]>();

  /** `handlers`: the play's and its roles' handlers, in definition order. */
  constructor(
    private readonly handlers: TaskNode[],
    private readonly options: HandlerOptions,
  ) {}

  /** Remember what an earlier run left pending for this host, among this play's handlers. */
  restorePending(host: HostState): void {
    const { runState, check, restorePending } = this.options;
    if (!runState || check || !restorePending) return;
    const known = new Set(this.handlers.flatMap(handlerNames));
    const pending = runState.pendingFor(host.name).filter((name) => known.has(name));
    if (pending.length) this.restored.set(host, pending);
  }

  /**
   * Handlers left pending by an earlier run fire where this run's own would:
   * after the play's tasks, once the roles have loaded the variables they need.
   */
  notifyRestored(): void {
    for (const [host, names] of this.restored) {
      if (!host.active) continue;
      for (const name of names) {
        host.notified.add(name);
        host.notifiedSurely.add(name);
      }
    }
    this.restored.clear();
  }

  /** `surely`: the notifying task changed (check mode: was predicted to), not only could not be predicted. */
  notify(host: HostState, names: readonly string[], surely = true): void {
    for (const name of names) {
      host.notified.add(name);
      if (surely) host.notifiedSurely.add(name);
      if (!this.options.check) this.options.runState?.add(host.name, name);
    }
  }

  /** Run notified handlers in definition order, each on the hosts that notified it; a host that fails keeps its notification. */
  async flush(batch: HostState[], runHandler: (handler: TaskNode, hosts: HostState[]) => Promise<void>): Promise<void> {
    for (const handler of this.handlers) {
      const names = handlerNames(handler);
      const hosts = batch.filter((h) => h.active && names.some((n) => h.notified.has(n)));
      if (!hosts.length) continue;
      await runHandler(handler, hosts);
      for (const h of hosts) {
        if (h.failed || h.unreachable) continue;
        for (const name of names) {
          h.notified.delete(name);
          h.notifiedSurely.delete(name);
          if (!this.options.check) this.options.runState?.done(h.name, name);
        }
      }
    }
  }
}
