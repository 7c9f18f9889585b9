import { execFileSync } from 'node:child_process';

/** `pgrep -af PATTERN`: the matching processes' pid and command lines, '' when none match. */
export function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
