import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../util/errors.js';

/**
 * Controller-side file writing for `drover pki`: atomic (temp file in the
 * same directory, fsync, rename) and created with its final mode, so a key
 * is never readable by others, not even for a moment.
 */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
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
