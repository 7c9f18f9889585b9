import { describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { fileStatesFact } from '../../../src/facts/files.js';
import { registerModule } from '../../../src/modules/registry.js';
import { shq } from '../../../src/util/shell.js';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';

const PLAYBOOK = resolve(__dirname, '../../fixtures/engine/features/loop-readings.yaml');
const sshd = useSshd();

// The loopback host's files are this machine's: the module edits the file "from outside"
// (not through the host's shell) before it reads it, as another process on the host would.
registerModule({
  name: 'test_line_after_outside_edit',
  doc: { short: 'test only', examples: '' },
  schema: z.object({ path: z.string(), line: z.string(), outside: z.boolean() }),
  async plan(ctx, a: { path: string; line: string; outside: boolean }) {
    if (a.outside && !readFileSync(a.path, 'utf8').includes('outside')) appendFileSync(a.path, 'outside\n');
    const [f] = await ctx.fact(fileStatesFact, { queries: [{ path: a.path, follow: true, checksum: false, contentMaxBytes: 4096 }] });
    const text = f!.content!.toString('utf8');
    return text.split('\n').includes(a.line) ? { changes: [], result: { changed: false } } : { changes: [{ summary: `add ${a.line}` }], data: text + `${a.line}\n` };
  },
  async apply(ctx, a: { path: string }, plan: { data?: string }) {
    await ctx.run(`printf %s ${shq(plan.data!)} > ${shq(a.path)}`);
    return { changed: true };
  },
});

/** Commands the run sent that read or wrote app.ini (the -vvv log lines). */
function commandsOn(events: { type: string; message?: string }[], file: string): string[] {
  return events.flatMap((e) => (e.type === 'log' && e.message?.startsWith('$ ') && e.message.includes(file) ? [e.message] : []));
}

describe("one loop's items share a file's reading while they change nothing", () => {
  it('ini_file items: each sees the previous item\'s write; converged, one read serves them all; an outside edit is seen', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const ini = join(t.workdirs.h1!, 'app.ini');
    const run = (check = false) => runPlaybookCollecting({ playbook: PLAYBOOK, inventory: [t.inventory], check });

    const first = await run();
    expect(first.summary.exitCode).toBe(0);
    // As ansible-core 2.14 writes it (a blank line first, none between sections).
    expect(readFileSync(ini, 'utf8')).toBe('\n[DEFAULT]\na = 1\nb = 2\n[db]\nurl = mysql://x\npool = 5\n');
    const loop = first.results.find((r) => r.task === 'Options of one file')!;
    expect((loop.result!.results as { changed: boolean }[]).map((r) => r.changed)).toEqual([true, true, true, true, false]);
    // Every change drops the reading: the items after it read the file again.
    expect(commandsOn(first.events, ini).filter((c) => c.includes('stat --printf')).length).toBe(5);

    const again = await run();
    expect(again.summary.tally.h1!.changed).toBe(0);
    expect(commandsOn(again.events, ini).length).toBe(1);
    const check = await run(true);
    expect(check.summary.tally.h1!.changed).toBe(0);
    expect(commandsOn(check.events, ini).length).toBe(1);

    // Changed between runs: the one reading of this run sees it, and only the item that differs writes.
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('pool = 5', 'pool = 9'));
    const fixed = await run();
    const items = fixed.results.find((r) => r.task === 'Options of one file')!.result!.results as { changed: boolean }[];
    expect(items.map((r) => r.changed)).toEqual([false, false, false, true, false]);
    expect(readFileSync(ini, 'utf8')).toContain('pool = 5\n');
  });

  it('a write is planned from a fresh reading: what changed since an earlier item read the file is kept', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const lines = join(t.workdirs.h1!, 'lines.txt');
    writeFileSync(lines, 'first\n');
    chmodSync(lines, 0o666); // the test user on the loopback host writes it
    const r = await runPlaybookCollecting({ playbook: PLAYBOOK.replace('.yaml', '-outside.yaml'), inventory: [t.inventory] });
    expect(r.summary.exitCode).toBe(0);
    // Item 1 read the file and changed nothing; item 2 found the outside line only by reading again.
    expect(readFileSync(lines, 'utf8')).toBe('first\noutside\nsecond\n');
  });

  it('until: every retry reads the state again', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    rmSync(join(t.workdirs.h1!, 'late'), { force: true });
    const r = await runPlaybookCollecting({ playbook: PLAYBOOK, inventory: [t.inventory] });
    expect(r.summary.exitCode).toBe(0);
    const late = r.results.find((x) => x.task === 'Each retry reads afresh')!;
    const attempts = (late.result!.results as { attempts: number }[])[0]!.attempts;
    expect(attempts).toBeGreaterThan(1);
  }, 30_000);
});
