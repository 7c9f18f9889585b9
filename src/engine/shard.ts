/**
 * `--shard K/N`: this run takes the K-th of N slices of the hosts the
 * playbook selects, so a job system (a CI matrix, a Kubernetes Indexed Job,
 * GNU parallel) can fan one run out over N runners with no coordination.
 *
 * The hosts are those of every play after `--limit` (the union: a host's
 * plays all run in the same shard, in playbook order), ordered by the SHA-256
 * of their inventory_hostname (the name as a tie-break), then cut into N
 * contiguous slices whose sizes differ by at most one. So:
 * - every host is in exactly one shard, whatever order the inventory lists
 *   them in, run after run;
 * - the shards are as even as they can be (sorting names and slicing would
 *   also be even, but would put web001…web300 together in one shard);
 * - adding a host moves at most N − 1 other hosts to another shard (each
 *   slice boundary shifts by at most one place).
 * Rendezvous hashing would move none, but its shard sizes are only even on
 * average (10,000 hosts in 100 shards: the largest holds 121–131 hosts, simulated),
 * and the slowest shard is the run's time. The price: every runner must see
 * the same inventory and `--limit`, as with any split by position.
 */
import { createHash } from 'node:crypto';
import type { Inventory } from '../inventory/types.js';
import { playHosts } from '../playbook/index.js';
import type { Play, Vars } from '../playbook/types.js';

/** The flag's value is read by src/cli/flag-values.ts (shardValue), which keeps the CLI's start-up light. */
export interface Shard {
  /** 1-based: the K of K/N. */
  index: number;
  count: number;
}

/** The order shards are cut from: by SHA-256 of the name, so neither inventory order nor name prefixes matter. */
function hashOrder(hosts: Iterable<string>): string[] {
  return [...new Set(hosts)]
    .map((h) => ({ h, key: createHash('sha256').update(h).digest('hex') }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.h < b.h ? -1 : a.h > b.h ? 1 : 0))
    .map((x) => x.h);
}

/** The hosts of shard K/N of `hosts`: slice K of N contiguous slices of the hash order (sizes differ by at most one). */
export function shardOf(hosts: Iterable<string>, shard: Shard): Set<string> {
  const ordered = hashOrder(hosts);
  const n = ordered.length;
  const from = Math.floor(((shard.index - 1) * n) / shard.count);
  const to = Math.floor((shard.index * n) / shard.count);
  return new Set(ordered.slice(from, to));
}

/** This run's hosts under `--shard`: the shard of the union of every play's hosts after `--limit`. */
export function shardHosts(plays: Play[], inventory: Inventory, limit: string | undefined, extraVars: Vars, shard: Shard): Set<string> {
  return shardOf(
    plays.flatMap((p) => playHosts(p, inventory, limit, extraVars)),
    shard,
  );
}
