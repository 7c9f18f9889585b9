import type { HostTally, TaskStatus } from './events.js';

export function emptyTally(): HostTally {
  return { ok: 0, changed: 0, unknown: 0, failed: 0, skipped: 0, unreachable: 0, rescued: 0, ignored: 0 };
}

/** Count one task result. A changed task counts as ok too, as Ansible's recap does. */
export function countResult(t: HostTally, status: TaskStatus, ignored = false): void {
  switch (status) {
    case 'ok':
      t.ok++;
      break;
    case 'changed':
      t.ok++;
      t.changed++;
      break;
    case 'unknown':
      t.ok++;
      t.unknown++;
      break;
    case 'failed':
      if (ignored) t.ignored++;
      else t.failed++;
      break;
    case 'skipped':
      t.skipped++;
      break;
    case 'unreachable':
      t.unreachable++;
      break;
  }
}
