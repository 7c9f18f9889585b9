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
