import type { FileDiff } from '../types.js';

/**
 * Before/after text for --diff. The engine renders the unified diff and
 * redacts it; here we only decide whether a diff makes sense: binary or huge
 * content gets a one-line summary instead.
 */

/** Larger files are summarised, not diffed. */
export const MAX_DIFF_BYTES = 256 * 1024;

/** Text = valid UTF-8 without NUL bytes. */
export function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/**
 * A FileDiff when both sides are known, text and small; otherwise undefined
 * and a reason for the summary. `before` undefined = the file does not exist yet.
 */
export function contentDiff(
  path: string,
  before: Buffer | undefined,
  after: Buffer | undefined,
): { diff?: FileDiff; note?: string } {
  const sides = [before ?? Buffer.alloc(0), after ?? Buffer.alloc(0)];
  if (sides.some((b) => b.length > MAX_DIFF_BYTES)) return { note: 'large file, diff not shown' };
  if (sides.some((b) => !isText(b))) return { note: 'binary file, diff not shown' };
  return { diff: { path, before: sides[0]!.toString('utf8'), after: sides[1]!.toString('utf8') } };
}

export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
