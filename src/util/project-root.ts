import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's own directory (its roles/ and labs/). Two levels above this
 * file in src/util/, dist/util/ and dist/bundle/ alike.
 */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
