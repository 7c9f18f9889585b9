// --shard K/N and `drover events merge` (issue 21 item 5) through the CLI against the loopback sshd:
// the shards of a real run work on every host exactly once, and their event logs merge into the recap the unsplit run prints.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory, type TestHosts } from '../../helpers/inventory.js';
import { droverInProcess as drover } from '../../helpers/in-process-cli.js';

const sshd = useSshd();
// Each test runs several real plays (a loaded machine makes one take seconds).
vi.setConfig({ testTimeout: 600_000 });

const WEB = ['web1', 'web2', 'web3', 'web4', 'web5', 'web6', 'web7'];
const DB = ['db1', 'db2'];
const ALL = [...WEB, ...DB];

/** Two plays, so a host's plays must all land in its one shard: each task appends the shard it ran in to the host's own file. */
const PLAYBOOK = [
  '- name: Web',
  '  hosts: web',
  '  gather_facts: false',
  '  tasks:',
  '    - name: Mark web',
  '      shell: echo "web {{ tag }}" >> {{ workdir }}/ran',
  '- name: Everyone',
  '  hosts: all',
  '  gather_facts: false',
  '  tasks:',
  '    - name: Mark all',
  '      shell: echo "all {{ tag }}" >> {{ workdir }}/ran',
  '    - name: Fails on db2 when asked',
  '      command: test "{{ inventory_hostname }}" != "{{ fail_on | default(\'\') }}"',
];

let t: TestHosts;
let pb: string;

beforeAll(() => {
  // Every host in group nodes (with its own working directory), then the groups the plays target.
  t = writeTestInventory(sshd, ALL, { group: 'nodes', extraHosts: ['[web]', ...WEB, '[db]', ...DB] });
  pb = join(t.dir, 'site.yaml');
  writeFileSync(pb, PLAYBOOK.join('\n') + '\n');
});

const recapLines = (out: string) =>
  out
    .slice(out.lastIndexOf('PLAY RECAP'))
    .split('\n')
    .filter((l) => / : ok=/.test(l))
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .sort();

/** The hosts of the last recap, in the order it lists them. */
const recapHosts = (out: string) => out.slice(out.lastIndexOf('PLAY RECAP')).split('\n').filter((l) => / : ok=/.test(l)).map((l) => l.split(' ')[0]!);

/** What each host's file says: the lines the run appended. */
function ran(h: string): string[] {
  const f = join(t.workdirs[h]!, 'ran');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

describe('--shard K/N', () => {
  it('three shards work on every host exactly once, with all its plays, and their logs merge into the unsplit run\'s recap', async () => {
    const logs: string[] = [];
    for (const k of [1, 2, 3]) {
      const events = join(t.dir, `shard-${k}.jsonl`);
      logs.push(events);
      const r = await drover('play', pb, '-i', t.inventory, '--shard', `${k}/3`, '-e', `tag=${k}`, '--events', events);
      expect(r.code, r.out + r.err).toBe(0);
    }
    // Every host ran in one shard only, both plays in that shard (play order kept).
    const shardOfHost = new Map<string, string>();
    for (const h of ALL) {
      const lines = ran(h);
      const tags = new Set(lines.map((l) => l.split(' ')[1]));
      expect(tags.size, `${h}: ${lines.join(' | ')}`).toBe(1);
      expect(lines).toEqual(WEB.includes(h) ? [`web ${[...tags][0]}`, `all ${[...tags][0]}`] : [`all ${[...tags][0]}`]);
      shardOfHost.set(h, [...tags][0]!);
    }
    // Sizes within one: 9 hosts in 3 shards.
    for (const k of ['1', '2', '3']) expect([...shardOfHost.values()].filter((x) => x === k)).toHaveLength(3);

    // Another inventory order (groups swapped, hosts reversed): --list-hosts names the same hosts per shard.
    const reordered = join(t.dir, 'reordered.ini');
    const lines = readFileSync(t.inventory, 'utf8').trim().split('\n');
    const hostLines = lines.slice(1, 1 + ALL.length).reverse();
    writeFileSync(reordered, ['[db]', ...[...DB].reverse(), '[web]', ...[...WEB].reverse(), '[nodes]', ...hostLines].join('\n') + '\n');
    for (const k of ['1', '2', '3']) {
      const l = await drover('play', pb, '-i', reordered, '--shard', `${k}/3`, '--list-hosts');
      expect(l.code).toBe(0);
      const listed = new Set(l.out.split('\n').filter((x) => /^ {6}\S/.test(x)).map((x) => x.trim()));
      expect([...listed].sort()).toEqual(ALL.filter((h) => shardOfHost.get(h) === k).sort());
    }

    // The merged recap is the recap of the same run unsplit (hosts sorted, as Ansible's).
    const merged = await drover('events', 'merge', '--no-color', ...logs);
    expect(merged.code, merged.err).toBe(0);
    expect(merged.err).toBe('');
    expect(merged.out).toMatch(/shard 1\/3\s+3 hosts/);
    const whole = await drover('play', pb, '-i', t.inventory, '-e', 'tag=whole', '--no-color');
    expect(whole.code).toBe(0);
    expect(recapLines(merged.out)).toEqual(recapLines(whole.out));
    expect(recapLines(merged.out)).toHaveLength(ALL.length);
    expect(recapHosts(merged.out)).toEqual([...ALL].sort());

    // A shard missing from the merge is not a whole run: exit 4, naming it.
    const partial = await drover('events', 'merge', logs[0]!, logs[2]!);
    expect(partial.code).toBe(4);
    expect(partial.err).toContain('no log of shard 2/3: the recap lacks its hosts');

    // A host in two runs (an unsharded run next to the shards): exit 4, naming the host and both logs.
    const extra = join(t.dir, 'web1-alone.jsonl');
    expect((await drover('all', '-i', t.inventory, '-m', 'ping', '--limit', 'web1', '--events', extra)).code).toBe(0);
    const twice = await drover('events', 'merge', ...logs, extra);
    expect(twice.code).toBe(4);
    expect(twice.err).toMatch(/host web1 is in two runs: run at .*web1-alone\.jsonl:1 and shard \d\/3 at .*shard-\d\.jsonl:1/);

    // A killed shard (its log without the recap line): counted from its task results, and an error.
    const killed = join(t.dir, 'killed.jsonl');
    writeFileSync(killed, readFileSync(logs[1]!, 'utf8').trim().split('\n').filter((l) => !l.includes('"type":"recap"')).join('\n') + '\n');
    const cut = await drover('events', 'merge', logs[0]!, killed, logs[2]!);
    expect(cut.code).toBe(4);
    expect(cut.err).toMatch(/shard 2\/3 at .*killed\.jsonl:1 has no recap/);
    expect(recapLines(cut.out)).toEqual(recapLines(merged.out));
  });

  it('merges to exit 2 when a host failed in one shard; a re-run of that shard (appended to its log) replaces it', async () => {
    const logs = [1, 2].map((k) => join(t.dir, `fail-${k}.jsonl`));
    const codes: number[] = [];
    for (const k of [1, 2]) codes.push((await drover('play', pb, '-i', t.inventory, '--shard', `${k}/2`, '-e', 'tag=f', '-e', 'fail_on=db2', '--events', logs[k - 1]!)).code);
    expect([...codes].sort()).toEqual([0, 2]);
    const failed = await drover('events', 'merge', '--no-color', ...logs);
    expect(failed.code).toBe(2);
    expect(recapLines(failed.out).find((l) => l.startsWith('db2 '))).toContain('failed=1');

    // The failing shard run again, fixed, into the same log: the later run counts.
    const k = codes.indexOf(2) + 1;
    const again = await drover('play', pb, '-i', t.inventory, '--shard', `${k}/2`, '-e', 'tag=f', '--events', logs[k - 1]!);
    expect(again.code).toBe(0);
    const fixed = await drover('events', 'merge', '--no-color', ...logs);
    expect(fixed.code).toBe(0);
    expect(fixed.err).toMatch(new RegExp(`shard ${k}/2 was run twice: .*fail-${k}\\.jsonl:\\d+ \\(.*\\) replaces .*fail-${k}\\.jsonl:1`));
    expect(recapLines(fixed.out).find((l) => l.startsWith('db2 '))).toContain('failed=0');
  });

  it('--limit applies first: the shards split the limited hosts; a shard with no host runs nothing and exits 0', async () => {
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const l = await drover('play', pb, '-i', t.inventory, '--limit', 'db', '--shard', `${k}/3`, '--list-hosts');
      seen.push(...new Set(l.out.split('\n').filter((x) => /^ {6}\S/.test(x)).map((x) => x.trim())));
    }
    expect(seen.sort()).toEqual(DB);
    const empty = [1, 2, 3].map((k) => join(t.dir, `limit-${k}.jsonl`));
    const runs = [];
    for (const k of [1, 2, 3]) runs.push(await drover('all', '-i', t.inventory, '-m', 'ping', '--limit', 'db', '--shard', `${k}/3`, '--events', empty[k - 1]!));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs.filter((r) => r.err.includes('no host falls in this shard') || r.out.includes('no host falls in this shard'))).toHaveLength(1);
    const merged = await drover('events', 'merge', '--no-color', ...empty);
    expect(merged.code).toBe(0);
    expect(recapLines(merged.out).map((l) => l.split(' ')[0])).toEqual(DB);
  });

  it.each([
    ['0/3', 'there is no shard 0; shards are numbered 1 to 3'],
    ['4/3', 'there is no shard 4; shards are numbered 1 to 3'],
    ['x', 'expected K/N'],
  ])('--shard %s: exit 4, a clear message, no host contacted', async (value, message) => {
    const before = sshd.log();
    for (const args of [['play', pb], ['all', '-m', 'ping']]) {
      const r = await drover(...args, '-i', t.inventory, '--shard', value);
      expect(r.code).toBe(4);
      expect(r.err).toContain(`--shard ${JSON.stringify(value)}: ${message}`);
      expect(r.out).toBe('');
    }
    expect(sshd.log()).toBe(before);
  });
});
