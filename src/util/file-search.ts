import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Where a controller-side file named in a playbook is looked for, as Ansible
 * searches: the role's KIND/ dir and the role itself, then the playbook's
 * KIND/ dir and the playbook's own dir. `~` is this user's home. One rule for
 * copy/template `src`, include_vars, the validator and the file/template
 * lookups.
 */
export function localFileCandidates(roleDir: string | undefined, baseDir: string, kind: string, p: string): string[] {
  const given = expandControllerHome(p);
  if (isAbsolute(given)) return [given];
  return [...(roleDir ? [join(roleDir, kind, given), join(roleDir, given)] : []), join(baseDir, kind, given), join(baseDir, given)];
}

/** The first candidate that exists, absolute. */
export function firstExisting(candidates: readonly string[]): string | undefined {
  const found = candidates.find((c) => existsSync(c));
  return found && resolve(found);
}

/** `~` and `~/…` are the controller user's home. */
export function expandControllerHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}
