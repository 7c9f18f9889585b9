import { readFileSync, closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from './errors.js';

/**
 * Controller-side file writing (pki output, inventories, run state, node
 * files): atomic (temp file in the same directory, fsync, rename, directory
 * fsync), 0600 until complete and then given its mode, so a key is never
 * readable by others, not even for a moment, and a reader never sees half a file.
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 0600 while the bytes are written (they may be secrets); `mode` once they are complete.
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  chmodSync(tmp, mode); // the umask may have narrowed it
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Refuse before generating anything when an output exists and --force was not given. */
export function refuseOverwrite(paths: readonly string[], force: boolean): void {
  if (force) return;
  const present = paths.filter((p) => existsSync(p));
  if (present.length) throw new InputError(`refusing to overwrite ${present.join(', ')}`, undefined, 'pass --force to replace them');
}

/** writeFileAtomic, skipped when the file already holds exactly this text (re-runs are no-ops). */
export function writeFileIfChanged(path: string, content: string, mode = 0o644): boolean {
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === content) return false;
  writeFileAtomic(path, content, mode);
  return true;
}
