/**
 * Numeric flags are checked like files: a bad value is exit 4 with one line
 * naming the flag — not a library message, a NaN timeout, or `--forks 0`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const errWrite = process.stderr.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'drover', ...args]), stderr };
  } finally {
    process.stderr.write = errWrite;
    process.exitCode = undefined;
  }
}

const playbook = path.resolve('test/fixtures/playbooks/bad/good.yaml');
const cases: Array<[string, string[], RegExp]> = [
  ['--forks 0', ['play', playbook, '-i', 'nowhere,', '--forks', '0'], /--forks "0": expected a whole number of at least 1/],
  ['--forks abc', ['play', playbook, '-i', 'nowhere,', '--forks', 'abc'], /--forks "abc": expected a whole number/],
  ['--forks 2.5', ['play', playbook, '-i', 'nowhere,', '-f', '2.5'], /--forks "2.5": expected a whole number/],
  ['--timeout abc', ['play', playbook, '-i', 'nowhere,', '--timeout', 'abc'], /--timeout "abc": expected a number greater than 0/],
  ['--timeout 0', ['play', playbook, '-i', 'nowhere,', '--timeout', '0'], /--timeout "0": expected a number greater than 0/],
  ['lab --forks -1', ['lab', 'run', 'lab1', '--forks', '-1'], /--forks "-1": expected a whole number of at least 1/],
  ['droplet --wait-timeout never', ['droplet', 'up', 'x.yaml', '--wait-timeout', 'never'], /--wait-timeout "never": expected a number greater than 0/],
];

describe('numeric flags', () => {
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
});
