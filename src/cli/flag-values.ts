import type { Shard } from '../engine/shard.js';
import { InputError } from '../util/errors.js';

/**
 * Parsers for numeric flags: a value that is not what the flag takes is an
 * input error naming the flag (exit 4), never a library message, a NaN that
 * silently disables a timeout, or `--forks 0` that runs nothing.
 */
export function wholeNumber(flag: string, min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw new InputError(`${flag} ${JSON.stringify(value)}: expected a whole number${min > 0 ? ` of at least ${min}` : ''}`);
    }
    return Number(value);
  };
}

export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InputError(`${flag} ${JSON.stringify(value)}: expected a number greater than 0`);
    return n;
  };
}

const SHARD_HINT = 'give K/N with 1 ≤ K ≤ N, e.g. --shard 1/4 … --shard 4/4';

/** `--shard K/N` (src/engine/shard.ts): this runner's shard K of N, numbered from 1. */
export function shardValue(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InputError(`--shard ${JSON.stringify(value)}: expected K/N (this runner's shard K of N)`, undefined, SHARD_HINT);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new InputError(`--shard ${JSON.stringify(value)}: the number of shards must be at least 1`, undefined, SHARD_HINT);
  if (index < 1 || index > count) throw new InputError(`--shard ${JSON.stringify(value)}: there is no shard ${index}; shards are numbered 1 to ${count}`, undefined, SHARD_HINT);
  return { index, count };
}
