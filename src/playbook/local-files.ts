import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LocalFileKind } from '../modules/types.js';
import { expandControllerHome, firstExisting, localFileCandidates } from '../util/file-search.js';
import { InputError } from '../util/errors.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { loadVarsFile } from '../util/yaml.js';

/**
 * Where controller-side files named in a playbook are found: one rule for
 * `drover check` and the run (copy/template `src`, include_vars, vars_files);
 * the search order is util/file-search.ts (the blog's
 * "~/.os_credentials/credentials.yaml" is under this user's home).
 */

export interface FileSearch {
  /** The file found, absolute. */
  found?: string;
  /** Every place looked at, in order. */
  candidates: string[];
}

export { expandControllerHome };

export function searchLocalFile(node: { role?: { path: string }; baseDir: string }, kind: LocalFileKind, p: string): FileSearch {
  const candidates = localFileCandidates(node.role?.path, node.baseDir, kind, p);
  return { found: firstExisting(candidates), candidates };
}

/** A play's `vars_files` entry (its name already rendered): relative to the playbook's dir, a mapping or empty. */
export function loadPlayVarsFile(baseDir: string, name: string, pos: SourcePos): Record<string, unknown> {
  const file = resolve(baseDir, expandControllerHome(name));
  if (!existsSync(file)) throw new InputError(`vars_files: file not found: ${name}`, pos, `looked for ${displayPath(file)}`);
  return loadVarsFile(file, pos);
}
