import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../modules/types.js';

/** A unified diff of one file change, as `--diff` prints it. */
export function unifiedDiff(d: FileDiff): string {
  return createTwoFilesPatch(`before: ${d.path}`, `after: ${d.path}`, d.before, d.after, '', '', { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .join('\n')
    .trimEnd();
}
