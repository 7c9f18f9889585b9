import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';

const FIXTURES = resolve(__dirname, '../../fixtures/engine/features');
const sshd = useSshd();

type Events = { type: string; task?: string; message?: string }[];

/** The tasks that sent a file probe (the -vvv log lines of the commands), in order. */
function probes(events: Events): string[] {
  let task = '';
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'host_task_start') task = e.task ?? '';
    if (e.type === 'log' && e.message?.startsWith('$ ') && e.message.includes('@drover-fs')) out.push(task);
  }
  return out;
}

/** How many paths each probe read (its queries are numbered: `_dfa N path`). */
function pathsRead(events: Events): number[] {
  return events.flatMap((e) => {
    if (e.type !== 'log' || !e.message?.startsWith('$ ') || !e.message.includes('@drover-fs')) return [];
    return [Math.max(...[...e.message.matchAll(/_dfa (\d+) /g)].map((m) => Number(m[1]))) + 1];
  });
}

describe("a file task reads the next file tasks' paths in the same round trip", () => {
  it('converged and --check: one probe serves a run of file tasks; a write makes the next task read again', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const dir = join(t.workdirs.h1!, 'ra');
    const run = (check = false) => runPlaybookCollecting({ playbook: join(FIXTURES, 'read-ahead.yaml'), inventory: [t.inventory], check });

    const first = await run();
    expect(first.summary.exitCode).toBe(0);
    // The lineinfile was read ahead while app.conf was missing; the copy then wrote it, so it read
    // again (the stale reading would fail it: the file is missing and create is false).
    expect(readFileSync(join(dir, 'app.conf'), 'utf8')).toBe('x=1\ny=2\n');
    expect(readFileSync(join(dir, 'rendered.conf'), 'utf8')).toBe('host=h1\n');
    expect(readFileSync(join(dir, 'settings'), 'utf8')).toBe('port=8080\n');
    expect(first.summary.tally.h1!.changed).toBe(6);
    // Each task read again; after a stale reading (a write) the next ones read alone until one
    // changes nothing (the lineinfile): the template then read ahead again, for nothing (it wrote).
    expect(probes(first.events)).toEqual(['Directory', 'Written whole', 'Edited after', 'Rendered', 'Option', 'Port', 'After the command']);
    // Own paths: file 2, copy 2, lineinfile 2, template 3, ini_file 2; read ahead: 11 by the first, 4 by the template.
    expect(pathsRead(first.events)).toEqual([13, 2, 2, 7, 2, 2, 2]);

    const again = await run();
    expect(again.summary.tally.h1!.changed).toBe(0);
    expect(probes(again.events)).toEqual(['Directory', 'After the command']);
    expect(pathsRead(again.events)).toEqual([13, 2]);
    const check = await run(true);
    expect(check.summary.tally.h1!.changed).toBe(0);
    expect(probes(check.events)).toEqual(['Directory', 'After the command']);

    // Changed between runs: the one read sees it, and only that task writes.
    writeFileSync(join(dir, 'settings'), 'port=9\n');
    const predicted = await run(true);
    expect(predicted.results.filter((r) => r.status === 'changed').map((r) => r.task)).toEqual(['Port']);
    const fixed = await run();
    expect(fixed.results.filter((r) => r.status === 'changed').map((r) => r.task)).toEqual(['Port']);
    expect(readFileSync(join(dir, 'settings'), 'utf8')).toBe('port=8080\n');
  });

  it('a file larger than what is read ahead (64 KiB) is read by its own task', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    writeFileSync(join(t.workdirs.h1!, 'large.conf'), '#'.repeat(100 * 1024) + '\nx=1\n');
    writeFileSync(join(t.workdirs.h1!, 'small.conf'), 'y=1\n');
    const r = await runPlaybookCollecting({ playbook: join(FIXTURES, 'read-ahead-large.yaml'), inventory: [t.inventory] });
    expect(r.summary.tally.h1!.changed).toBe(0);
    expect(probes(r.events)).toEqual(['Directory', 'Large']);
    expect(pathsRead(r.events)).toEqual([6, 4]);
  });

  it('under become: one probe as root serves the root tasks; a task as the login user reads itself', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const run = () => runPlaybookCollecting({ playbook: join(FIXTURES, 'read-ahead-become.yaml'), inventory: [t.inventory] });
    const first = await run();
    expect(first.summary.exitCode).toBe(0);
    expect(first.summary.tally.h1!.changed).toBe(3);
    const again = await run();
    expect(again.summary.tally.h1!.changed).toBe(0);
    expect(probes(again.events)).toEqual(["Root's directory", 'As the login user']);
    const sudoProbe = (again.events as Events).find((e) => e.type === 'log' && e.message?.includes('@drover-fs'));
    expect(sudoProbe?.message).toMatch(/\(as root\)/);
  });

  it("a later task's path that cannot be read fails that task only", async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const r = await runPlaybookCollecting({ playbook: join(FIXTURES, 'read-ahead-unreadable.yaml'), inventory: [t.inventory] });
    const [readable, under] = r.results;
    expect(readable!.status).toBe('changed');
    expect(under!.status).toBe('failed');
    expect(under!.msg).toMatch(/Permission denied/);
    expect(probes(r.events)).toEqual(['Readable', 'Readable', 'Under /root']);
  });
});
