import { describe, expect, it } from 'vitest';
import { nodeCgroups, parseProcCgroup } from '../../../src/providers/local/cgroups.js';

// /proc/self/cgroup recorded on this project's machine kind (hybrid: v1 controllers + unified).
const HYBRID = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/6c562596d3881bbc49454eb8f2ddea6f
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

describe('per-node cgroups', () => {
  it('parses /proc/self/cgroup', () => {
    const e = parseProcCgroup(HYBRID);
    expect(e).toHaveLength(10);
    expect(e[5]).toEqual({ id: '4', controllers: ['memory'], path: '/process_api/6c562596d3881bbc49454eb8f2ddea6f' });
    expect(e[9]).toEqual({ id: '0', controllers: [], path: '/' });
  });

  it('hybrid host: own systemd and unified trees (no shared /payload), memory under our own memory cgroup', () => {
    const cg = nodeCgroups(HYBRID, 'drover-lab1-controller', { v1Root: '/sys/fs/cgroup', unified: '/sys/fs/cgroup/unified' });
    expect(cg.dirs).toEqual([
      '/sys/fs/cgroup/systemd/drover-lab1-controller',
      '/sys/fs/cgroup/memory/process_api/6c562596d3881bbc49454eb8f2ddea6f/drover-lab1-controller',
      '/sys/fs/cgroup/unified/drover-lab1-controller',
    ]);
    expect(cg.memory).toBe('/sys/fs/cgroup/memory/process_api/6c562596d3881bbc49454eb8f2ddea6f/drover-lab1-controller');
  });

  it('pure v2 host: one directory, memory from it when the controller is there', () => {
    const cg = nodeCgroups('0::/user.slice/session-3.scope\n', 'drover-lab1-compute1', { v1Root: '/sys/fs/cgroup', unified: '/sys/fs/cgroup', unifiedHasMemory: true });
    expect(cg).toEqual({ dirs: ['/sys/fs/cgroup/user.slice/session-3.scope/drover-lab1-compute1'], memory: '/sys/fs/cgroup/user.slice/session-3.scope/drover-lab1-compute1' });
  });
});
