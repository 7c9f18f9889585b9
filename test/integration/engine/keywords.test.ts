import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import { runPlaybook } from '../../../src/engine/run.js';
import type { RunOptions } from '../../../src/engine/api.js';

const FIX = resolve(__dirname, '../../fixtures/engine/features');
const sshd = useSshd();

const play = (inventory: string, playbook: string, extra: Partial<RunOptions> = {}) =>
  runPlaybookCollecting({ playbook: join(FIX, playbook), inventory: [inventory], ...extra });
const read = (p: string) => readFileSync(p, 'utf8');

describe('task and play keywords over a real sshd', () => {
  it('magic variables: groups, group_names, ansible_play_hosts and _batch (without a failed host, as in Ansible), ansible_play_hosts_all', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2', 'h3'], { extra: '[db]\nh3' });
    const r = await play(t.inventory, 'magic.yaml');
    expect(r.summary.exitCode).toBe(2);
    const msg = (task: string, host: string) => r.results.find((x) => x.task === task && x.host === host)?.msg;
    expect(msg('Magic variables', 'h1')).toBe('web=["h1", "h2", "h3"] db=["h3"] names=["web"] play=["h1", "h3"] batch=["h1", "h3"] all=["h1", "h2", "h3"] ph=["h1", "h3"]');
    expect(msg('Magic variables', 'h3')).toBe('web=["h1", "h2", "h3"] db=["h3"] names=["db", "web"] play=["h1", "h3"] batch=["h1", "h3"] all=["h1", "h2", "h3"] ph=["h1", "h3"]');
    expect(msg('The magic value stands', 'h1')).toBe('names=[\'web\']');
  });

  it("task names: the TASK line templated with the first host's vars, as written when that fails; results keep the name as written", async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const r = await play(t.inventory, 'task-names.yaml');
    expect(r.summary.exitCode).toBe(0);
    const starts = r.events.flatMap((e) => (e.type === 'task_start' ? [e.task] : []));
    expect(starts).toEqual(['hello world on h1', 'raw {{ nope }} {{ who }}', 'bad {{ who | nosuchfilter }}']);
    expect(r.results.filter((x) => x.host === 'h2').map((x) => x.task)[0]).toBe('hello {{ who }} on {{ inventory_hostname }}');
  });

  it('serial, block/rescue/always, until/retries, run_once, delegate_to, never tags', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2', 'h3']);
    const r = await play(t.inventory, 'keywords.yaml');
    expect(r.summary.exitCode).toBe(0);
    // serial: 2 -> batches of 2 and 1
    expect(read(join(t.workdirs.h1!, 'batch')).trim()).toBe('2');
    expect(read(join(t.workdirs.h3!, 'batch')).trim()).toBe('1');
    // block: h2 failed and was rescued, everyone ran always
    expect(existsSync(join(t.workdirs.h2!, 'block'))).toBe(false);
    expect(read(join(t.workdirs.h2!, 'rescued'))).toBe('rescued\n');
    expect(existsSync(join(t.workdirs.h1!, 'rescued'))).toBe(false);
    for (const h of ['h1', 'h2', 'h3']) expect(read(join(t.workdirs[h]!, 'always'))).toBe('always\n');
    expect(r.summary.tally.h2!.rescued).toBe(1);
    expect(r.summary.tally.h2!.failed).toBe(0);
    // until: three attempts
    for (const h of ['h1', 'h2', 'h3']) expect(read(join(t.workdirs[h]!, 'tries')).trim()).toBe('3');
    // run_once per batch: the first host of each batch ran it; everyone registered its result
    expect(r.results.filter((x) => x.task === 'Once for everybody').map((x) => x.host)).toEqual(['h1', 'h3']);
    expect(read(join(t.workdirs.h2!, 'once'))).toBe('h1\n');
    // delegate_to: localhost wrote on the controller, with the host's vars
    expect(read(join(t.workdirs.h2!, 'delegated-h2'))).toBe('delegated for h2\n');
    // delegate_to rendered after `when:` (undefined while skipped) and per loop item, as Ansible does
    expect(existsSync(join(t.workdirs.h2!, 'never-delegated'))).toBe(false);
    expect(read(join(t.workdirs.h2!, 'per-item-localhost'))).toBe('item localhost for h2\n');
    // never-tagged task skipped unless asked for
    expect(existsSync(join(t.workdirs.h1!, 'never'))).toBe(false);
    const only = await play(t.inventory, 'keywords.yaml', { tags: ['special'] });
    expect(only.results.map((x) => x.task).filter((x, i, a) => a.indexOf(x) === i)).toEqual(['Never unless asked']);
    expect(read(join(t.workdirs.h1!, 'never'))).toBe('never\n');
  });

  it('--skip-tags, --start-at-task and --limit', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const r = await play(t.inventory, 'keywords.yaml', { skipTags: ['until', 'batch'], limit: 'h1' });
    const tasks = new Set(r.results.map((x) => x.task));
    expect(tasks.has('Retry until a file appears')).toBe(false);
    expect(tasks.has('Count batches')).toBe(false);
    expect(new Set(r.results.map((x) => x.host))).toEqual(new Set(['h1']));
    const s = await play(t.inventory, 'keywords.yaml', { startAtTask: 'Once for everybody' });
    expect(s.results[0]!.task).toBe('Once for everybody');
  });

  it('any_errors_fatal stops the play for every host; max_fail_percentage too', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2', 'h3']);
    const r = await play(t.inventory, 'fatal.yaml');
    expect(r.summary.exitCode).toBe(2);
    for (const h of ['h1', 'h2', 'h3']) {
      expect(existsSync(join(t.workdirs[h]!, 'fatal-after'))).toBe(false);
      expect(existsSync(join(t.workdirs[h]!, 'maxfail-after'))).toBe(false);
    }
  });

  it('bad input exits before any host is contacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-bad-'));
    chmodSync(dir, 0o755);
    const t = writeTestInventory(sshd, ['h1']);
    const before = sshd.log().split('\n').filter((l) => /Accepted publickey/.test(l)).length;
    await expect(
      runPlaybook({ playbook: join(FIX, 'keywords.yaml'), inventory: [t.inventory], extraVars: ['@/nonexistent/vars.yaml'] }),
    ).rejects.toMatchObject({ exitCode: 4 });
    const after = sshd.log().split('\n').filter((l) => /Accepted publickey/.test(l)).length;
    expect(after).toBe(before);
  });
});
