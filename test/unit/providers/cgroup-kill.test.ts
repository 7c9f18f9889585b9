import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { killCgroupTree, localNodeCgroups, removeCgroupTree } from '../../../src/providers/local/cgroups.js';

const isRoot = process.getuid?.() === 0;

// The last-resort stop of a node: everything in its cgroups dies, including
// processes in sub-cgroups (the container's own services).
describe.skipIf(!isRoot)('killCgroupTree on a real cgroup', () => {
  it('kills every process in the tree, sub-cgroups included', async () => {
    const { dirs } = localNodeCgroups(`drover-test-kill-${process.pid}`);
    const dir = dirs.find((d) => d.includes('/memory/')) ?? dirs[0]!;
    const sub = join(dir, 'service.slice');
    mkdirSync(sub, { recursive: true });
    const a = spawn('sleep', ['300'], { stdio: 'ignore' });
    const b = spawn('sleep', ['300'], { stdio: 'ignore' });
    const exited = (p: ReturnType<typeof spawn>) => new Promise<string | null>((r) => p.on('exit', (_c, s) => r(s)));
    const ea = exited(a);
    const eb = exited(b);
    writeFileSync(join(dir, 'cgroup.procs'), `${a.pid}\n`);
    writeFileSync(join(sub, 'cgroup.procs'), `${b.pid}\n`);
    expect(killCgroupTree(dir)).toBe(2);
    expect(await ea).toBe('SIGKILL');
    expect(await eb).toBe('SIGKILL');
    removeCgroupTree(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
