import { existsSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Each node's supervisor moves itself into cgroups of its own before starting
 * systemd-nspawn. Two reasons:
 * - isolation: with --keep-unit, nspawn puts the node's systemd in
 *   `<current cgroup>/payload` of the systemd (name=systemd and unified)
 *   hierarchies. Nodes started from the same cgroup would share that tree and
 *   trip over each other's units ("Failed to attach to cgroup
 *   /system.slice/X: No such file or directory", status=219/CGROUP).
 * - accounting: a memory cgroup per node gives `drover lab status` its memory.
 */
export interface ProcCgroup {
  id: string;
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): ProcCgroup[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, ctl, ...rest] = l.split(':');
      return { id: id!, controllers: ctl ? ctl.split(',') : [], path: rest.join(':') };
    });
}

export interface NodeCgroups {
  /** Every cgroup directory the supervisor joins (created if missing). */
  dirs: string[];
  /** Directory whose memory files describe the node (v1 memory, or v2 with the memory controller). */
  memory?: string;
}

/**
 * Pure: the node's cgroup directories from this process's /proc/self/cgroup.
 * `mounts` says where each hierarchy is mounted (hybrid v1 + unified, or pure v2).
 */
export function nodeCgroups(
  procCgroup: string,
  leaf: string,
  mounts: { v1Root: string; unified?: string; unifiedHasMemory?: boolean },
): NodeCgroups {
  const out: NodeCgroups = { dirs: [] };
  for (const e of parseProcCgroup(procCgroup)) {
    if (e.id === '0' && e.controllers.length === 0) {
      if (!mounts.unified) continue;
      const dir = join(mounts.unified, e.path, leaf);
      out.dirs.push(dir);
      if (mounts.unifiedHasMemory && !out.memory) out.memory = dir;
    } else if (e.controllers.includes('name=systemd')) {
      out.dirs.push(join(mounts.v1Root, 'systemd', e.path, leaf));
    } else if (e.controllers.includes('memory')) {
      const dir = join(mounts.v1Root, 'memory', e.path, leaf);
      out.dirs.push(dir);
      out.memory = dir;
    }
  }
  return out;
}

/** The node's cgroups on this machine. */
export function localNodeCgroups(leaf: string): NodeCgroups {
  let proc = '';
  try {
    proc = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return { dirs: [] };
  }
  const root = '/sys/fs/cgroup';
  // Hybrid (v1 controllers + unified at /sys/fs/cgroup/unified) or pure v2 at /sys/fs/cgroup.
  const unified = existsSync(join(root, 'unified', 'cgroup.procs'))
    ? join(root, 'unified')
    : existsSync(join(root, 'cgroup.controllers'))
      ? root
      : undefined;
  let unifiedHasMemory = false;
  if (unified) {
    try {
      unifiedHasMemory = readFileSync(join(unified, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory');
    } catch {
      /* no controllers file */
    }
  }
  return nodeCgroups(proc, leaf, { v1Root: root, unified, unifiedHasMemory });
}

/** Working-set memory: usage minus reclaimable inactive file cache (as `docker stats`). v1 or v2 files. */
export function cgroupMemory(dir: string): number | undefined {
  try {
    const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim();
    if (!procs) return undefined;
    const stat = readFileSync(join(dir, 'memory.stat'), 'utf8');
    if (existsSync(join(dir, 'memory.usage_in_bytes'))) {
      const usage = Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8').trim());
      return usage - Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    }
    const current = Number(readFileSync(join(dir, 'memory.current'), 'utf8').trim());
    return current - Number(/^inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
  } catch {
    return undefined;
  }
}

/** Remove a cgroup and the sub-cgroups nspawn and the node's systemd left in it (deepest first). */
export function removeCgroupTree(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) removeCgroupTree(p);
    } catch {
      /* gone */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* still has processes, or not ours to remove */
  }
}

/**
 * SIGKILL every process in a cgroup tree. The last resort when a node does not
 * power off: killing systemd-nspawn alone leaves the container's systemd
 * running, with its address still on the bridge.
 */
export function killCgroupTree(dir: string): number {
  let killed = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) killed += killCgroupTree(p);
    } catch {
      /* gone */
    }
  }
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
  } catch {
    /* no procs file */
  }
  return killed;
}
