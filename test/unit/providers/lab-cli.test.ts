import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/lab.js';

describe('drover lab status output', () => {
  it('one aligned row per node with memory and uptime', () => {
    const out = formatStatus([
      { lab: 'lab1', name: 'controller', state: 'running', ip: '10.77.0.11', memoryBytes: 412 * 2 ** 20, memorySource: 'cgroup', uptimeSec: 3725 },
      { lab: 'lab1', name: 'compute1', state: 'running', ip: '10.77.0.21', memoryBytes: 3 * 2 ** 30, memorySource: 'pss', uptimeSec: 59 },
      { lab: 'lab1', name: 'compute2', state: 'stopped', ip: '10.77.0.22' },
    ]);
    expect(out).toBe(
      [
        'LAB   NODE        STATE    IP          MEMORY   UPTIME',
        'lab1  controller  running  10.77.0.11  412 MiB  62m',
        'lab1  compute1    running  10.77.0.21  3.0 GiB  59s',
        'lab1  compute2    stopped  10.77.0.22  -        -',
        '',
      ].join('\n'),
    );
  });
});
