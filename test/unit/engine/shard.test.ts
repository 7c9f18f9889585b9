// --shard K/N: the shards of any host set partition it exactly, are the same whatever the inventory's order, differ in size by at most one, and adding a host moves at most N − 1 others.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { shardOf, type Shard } from '../../../src/engine/shard.js';
import { shardValue } from '../../../src/cli/flag-values.js';
import { InputError } from '../../../src/util/errors.js';
import { thrown } from '../../helpers/thrown.js';

const allShards = (hosts: string[], count: number): Set<string>[] => Array.from({ length: count }, (_, i) => shardOf(hosts, { index: i + 1, count }));

/** Host names as inventories have them (and some they could have). */
const hostName = fc.oneof(
  fc.integer({ min: 1, max: 99_999 }).map((i) => `web${String(i).padStart(5, '0')}`),
  fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const hostSet = fc.uniqueArray(hostName, { minLength: 0, maxLength: 300 });
const shardCount = fc.integer({ min: 1, max: 40 });

describe('shardOf', () => {
  it('partitions the hosts: every host in exactly one shard', () => {
    fc.assert(
      fc.property(hostSet, shardCount, (hosts, count) => {
        const shards = allShards(hosts, count);
        const seen = new Map<string, number>();
        for (const s of shards) for (const h of s) seen.set(h, (seen.get(h) ?? 0) + 1);
        expect(shards.reduce((n, s) => n + s.size, 0)).toBe(hosts.length);
        expect([...seen.keys()].sort()).toEqual([...hosts].sort());
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is the same for any order of the inventory (and any repetition of a host)', () => {
    fc.assert(
      fc.property(
        hostSet.chain((hosts) => fc.tuple(fc.constant(hosts), fc.shuffledSubarray(hosts, { minLength: hosts.length, maxLength: hosts.length }))),
        shardCount,
        ([hosts, shuffled], count) => {
          const doubled = [...shuffled, ...shuffled.slice(0, 3)];
          expect(allShards(doubled, count)).toEqual(allShards(hosts, count));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is balanced: shard sizes differ by at most one', () => {
    fc.assert(
      fc.property(hostSet, shardCount, (hosts, count) => {
        const sizes = allShards(hosts, count).map((s) => s.size);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('moves at most N − 1 existing hosts to another shard when a host is added', () => {
    fc.assert(
      fc.property(hostSet, hostName, shardCount, (hosts, added, count) => {
        fc.pre(!hosts.includes(added));
        const before = allShards(hosts, count);
        const after = allShards([...hosts, added], count);
        const moved = hosts.filter((h) => before.findIndex((s) => s.has(h)) !== after.findIndex((s) => s.has(h)));
        expect(moved.length).toBeLessThanOrEqual(count - 1);
      }),
      { numRuns: 300 },
    );
  });

  // Stable across runs, machines and releases: a runner started tomorrow must cut the same shards as one started today.
  it.each<[Shard, string[]]>([
    [{ index: 1, count: 3 }, ['web01', 'web02', 'web09']],
    [{ index: 2, count: 3 }, ['web03', 'web04', 'web08']],
    [{ index: 3, count: 3 }, ['web05', 'web06', 'web07', 'web10']],
  ])('cuts web01…web10 into 3 the same way every time: shard %o', (shard, expected) => {
    const hosts = Array.from({ length: 10 }, (_, i) => `web${String(i + 1).padStart(2, '0')}`);
    expect([...shardOf(hosts, shard)].sort()).toEqual(expected);
  });

  it('spreads hosts whose names share a prefix (a group) over the shards', () => {
    const hosts = [...Array.from({ length: 400 }, (_, i) => `compute${i}`), ...Array.from({ length: 40 }, (_, i) => `controller${i}`)];
    for (const s of allShards(hosts, 4)) expect([...s].filter((h) => h.startsWith('controller')).length).toBeGreaterThan(0);
  });
});

describe('--shard K/N', () => {
  it.each([
    ['1/4', { index: 1, count: 4 }],
    ['4/4', { index: 4, count: 4 }],
    ['1/1', { index: 1, count: 1 }],
    [' 2 / 3 ', { index: 2, count: 3 }],
  ])('%j is shard %o', (value, expected) => {
    expect(shardValue(value)).toEqual(expected);
  });

  it.each([
    ['0/3', 'there is no shard 0; shards are numbered 1 to 3'],
    ['4/3', 'there is no shard 4; shards are numbered 1 to 3'],
    ['1/0', 'the number of shards must be at least 1'],
    ['x', 'expected K/N'],
    ['1/4/2', 'expected K/N'],
    ['-1/4', 'expected K/N'],
    ['1.5/4', 'expected K/N'],
    ['', 'expected K/N'],
  ])('%j is an input error: %s', (value, message) => {
    const e = thrown(() => shardValue(value));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain(`--shard ${JSON.stringify(value)}: ${message}`);
  });
});
