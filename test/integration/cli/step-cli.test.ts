// `drover play --step`: every prompt is answered by the next line of stdin,
// from a terminal or a pipe; at the end of stdin the run stops (as
// ansible-playbook's does), with its recap. Under --step no task reads
// ahead for the next ones (the user may act on the host at a prompt).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { ROOT, ensureBuilt } from '../reliability/cli.js';

const BIN = join(ROOT, 'bin/drover.js');
const PLAYBOOK = resolve(__dirname, '../../fixtures/engine/features/read-ahead.yaml');
const sshd = useSshd();

function play(inventory: string, args: string[], input: string) {
  const r = spawnSync(process.execPath, [BIN, 'play', '-i', inventory, PLAYBOOK, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const probes = (out: string) => out.split('\n').filter((l) => l.includes('_dfa() {')).length;

beforeAll(ensureBuilt);

describe('drover play --step', () => {
  it('piped answers: one line per prompt, through the whole run; when stdin ends, the run stops', () => {
    const t = writeTestInventory(sshd, ['h1']);
    const yes = play(t.inventory, ['--step'], 'y\n'.repeat(8));
    expect(yes.code).toBe(0);
    expect(yes.err.match(/Perform task: /g)?.length).toBe(8);
    expect(yes.out).toMatch(/h1 +: ok=8 +changed=6 /);

    // y, n, c: the first task runs, the second is skipped without a result, then the rest run unasked.
    const mixed = play(t.inventory, ['--step'], 'y\nn\nc\n');
    expect(mixed.err.match(/Perform task: /g)?.length).toBe(3);
    expect(mixed.out).toMatch(/h1 +: ok=7 +changed=0 /);

    // stdin ends after one answer: the run stops there, as ansible-playbook's does (it exits 2, silently),
    // saying why, with the recap; the exit status is the interrupted one.
    const short = play(t.inventory, ['--step'], 'y\n');
    expect(short.code).toBe(130);
    expect(short.err.match(/Perform task: /g)?.length).toBe(2);
    expect(short.out + short.err).toMatch(/stdin ended at a --step prompt: stopping/);
    expect(short.out).toMatch(/h1 +: ok=1 +changed=0 /);
  });

  it('no task reads ahead under --step; after (c)ontinue they do again', () => {
    const t = writeTestInventory(sshd, ['h1']);
    expect(play(t.inventory, [], '').code).toBe(0);
    expect(probes(play(t.inventory, ['-vvv'], '').out)).toBe(2);
    expect(probes(play(t.inventory, ['-vvv', '--step'], 'y\n'.repeat(8)).out)).toBe(7);
    expect(probes(play(t.inventory, ['-vvv', '--step'], 'c\n').out)).toBe(2);
  });
});
