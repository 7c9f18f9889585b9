import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { LocalFileKind } from '../modules/types.js';
import { InputError } from '../util/errors.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { loadVarsFile } from '../util/yaml.js';

/**
 * Where controller-side files named in a playbook are found: one rule for
 * `drover check` and the run (copy/template `src`, include_vars, vars_files).
 * As Ansible searches: the role's KIND/ dir and the role itself, then the
 * playbook's KIND/ dir and the playbook's own dir. `~` is this user's home
 * (the blog's "~/.os_credentials/credentials.yaml").
 */

export interface FileSearch {
  /** The file found, absolute. */
  found?: string;
  /** Every place looked at, in order. */
  candidates: string[];
}

/** `~` and `~/…` are the controller user's home. */
export function expandControllerHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

export function searchLocalFile(node: { role?: { path: string }; baseDir: string }, kind: LocalFileKind, p: string): FileSearch {
  const given = expandControllerHome(p);
  const candidates = isAbsolute(given)
    ? [given]
    : [...(node.role ? [join(node.role.path, kind, given), join(node.role.path, given)] : []), join(node.baseDir, kind, given), join(node.baseDir, given)];
  const found = candidates.find((c) => existsSync(c));
  return { found: found && resolve(found), candidates };
}

/** A play's `vars_files` entry (its name already rendered): relative to the playbook's dir, a mapping or empty. */
export function loadPlayVarsFile(baseDir: string, name: string, pos: SourcePos): Record<string, unknown> {
  const file = resolve(baseDir, expandControllerHome(name));
  if (!existsSync(file)) throw new InputError(`vars_files: file not found: ${name}`, pos, `looked for ${displayPath(file)}`);
  return loadVarsFile(file, pos);
}
