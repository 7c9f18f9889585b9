/**
 * A command that prints hundreds of megabytes through the real CLI and a real
 * sshd: the run completes, the registered result keeps the head and tail
 * around a marker the user sees, the session still frames the next commands
 * (exit status, stderr), and the controller's peak RSS stays flat.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory, type TestHosts } from '../../helpers/inventory.js';
import { ensureBuilt, spawnDrover } from './cli.js';

const sshd = useSshd();
let t: TestHosts;

beforeAll(async () => {
  await ensureBuilt();
  t = writeTestInventory(sshd, ['h1']);
});

/** Peak resident set size (VmHWM, kB) of a live process; undefined once it is gone. */
function peakKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const MB = 300_000_000;

describe('huge command output', () => {
  it(`${MB / 1e6} MB on stdout: the run completes, head and tail kept around a marker, controller RSS bounded`, async () => {
    const playbook = join(t.dir, 'huge.yaml');
    writeFileSync(
      playbook,
      [
        '- hosts: all',
        '  gather_facts: false',
        '  tasks:',
        '    - name: Huge output',
        `      shell: "head -c ${MB} /dev/zero | tr '\\\\0' x; echo; echo the-end"`,
        '      register: big',
        '    - name: Huge stderr, then exit 3',
        "      shell: \"echo small-out; head -c 5000000 /dev/zero | tr '\\\\0' e >&2; exit 3\"",
        '      ignore_errors: true',
        '    - name: The session still frames commands',
        '      command: echo after',
        '',
      ].join('\n'),
    );
    const events = join(t.dir, 'huge-events.jsonl');
    const run = spawnDrover(['play', playbook, '-i', t.inventory, '--events', events]);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, peakKb(run.child.pid!) ?? 0)), 50);
    const e = await run.exit;
    clearInterval(sampler);
    expect(e.code, run.stdout() + run.stderr()).toBe(0);

    const results = readFileSync(events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; task: string; rc?: number; result?: Record<string, unknown>; show?: Record<string, unknown> })
      .filter((x) => x.type === 'task_result');
    const big = results.find((x) => x.task === 'Huge output')!.result as { stdout: string; stdout_lines: string[]; rc: number };
    const kept = 1024 * 1024; // DROVER_MAX_COMMAND_OUTPUT's default
    expect(big.rc).toBe(0);
    expect(big.stdout.length).toBeLessThan(kept + 200);
    expect(big.stdout.startsWith('x'.repeat(kept / 2) + '\n[drover: ')).toBe(true);
    expect(big.stdout).toContain('MB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more]\nxxx');
    expect(big.stdout.endsWith('xxx\nthe-end')).toBe(true);
    expect(big.stdout_lines.length).toBe(4);
    // Printed: MB x's, "\n", "the-end\n"; kept: half a MiB from each end.
    expect(big.stdout_lines[1]).toBe('[drover: 299.0 MB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more]');
    expect(big.stdout_lines[3]).toBe('the-end');

    // stderr is bounded the same way; the exit status and stdout of that command came through the framing intact.
    const err = results.find((x) => x.task === 'Huge stderr, then exit 3')!.result as { stdout: string; stderr: string; rc: number };
    expect(err.rc).toBe(3);
    expect(err.stdout).toBe('small-out');
    expect(err.stderr).toMatch(/^e{524288}\n\[drover: 4\.0 MB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more\]\ne{524288}$/);
    expect((results.find((x) => x.task === 'The session still frames commands')!.result as { stdout: string }).stdout).toBe('after');

    // Before the bound: ~950 MB for 200 MB of output. Now flat.
    expect(peak, `peak RSS ${peak} kB`).toBeGreaterThan(0);
    expect(peak / 1024, `peak RSS ${Math.round(peak / 1024)} MB`).toBeLessThan(150);
    console.log(`huge-output: ${MB / 1e6} MB printed, drover peak RSS ${Math.round(peak / 1024)} MB, ${e.ms} ms`);
  }, 180_000);
});
