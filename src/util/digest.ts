import { createHash } from 'node:crypto';

/**
 * A buffer's hex digest, remembered per buffer: a loop's items plan against
 * the same file content read once (a 350 KiB nova.conf, 30 ini_file items),
 * and each item would hash it again. Buffers passed here are never modified
 * afterwards (file contents read from a host, or rendered for a write).
 */
const seen = new WeakMap<Buffer, Map<string, string>>();

export function digestHex(buf: Buffer, algorithm: string): string {
  let byAlg = seen.get(buf);
  const hit = byAlg?.get(algorithm);
  if (hit !== undefined) return hit;
  const hex = createHash(algorithm).update(buf).digest('hex');
  if (!byAlg) seen.set(buf, (byAlg = new Map()));
  byAlg.set(algorithm, hex);
  return hex;
}
