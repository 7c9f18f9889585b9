import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Whether `name` is an executable the way `command -v NAME` would find one,
 * without starting a shell: a name with a slash is that file; otherwise the
 * first PATH entry holding an executable regular file of that name (an empty
 * entry is the current directory, as in sh). Shell builtins and functions
 * do not count: the callers run the program, not a shell word.
 */
export function onPath(name: string, pathVar: string = process.env.PATH ?? ''): boolean {
  if (!name) return false;
  if (name.includes('/')) return isExecutableFile(name);
  return pathVar.split(path.delimiter).some((dir) => isExecutableFile(path.join(dir || '.', name)));
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
