/**
 * The engine and the validator never know a module by name: what is special
 * about a module is in its contract (localFiles, definesVars, gathersFacts,
 * undefinedAllowedArgs, expressionArgs, runsOn). This fails when a module's
 * name is compared or assigned in src/engine or src/playbook.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { moduleNames } from '../../../src/modules/registry.js';
import { PROJECT_ROOT } from '../../../src/util/project-root.js';

const names = new Set(moduleNames());

describe('no module is named outside the modules', () => {
  for (const dir of ['engine', 'playbook']) {
    it(`src/${dir}`, () => {
      const found: string[] = [];
      for (const file of readdirSync(path.join(PROJECT_ROOT, 'src', dir)).filter((f) => f.endsWith('.ts'))) {
        const code = readFileSync(path.join(PROJECT_ROOT, 'src', dir, file), 'utf8');
        // `module === 'x'`, `'x' === n.module`, `module: 'x'`, `getModule('x')`, a Set/array of names.
        const uses = [
          ...code.matchAll(/module\s*[!=]==?\s*['"]([\w.]+)['"]/g),
          ...code.matchAll(/['"]([\w.]+)['"]\s*[!=]==?\s*\w*\.?module\b/g),
          ...code.matchAll(/\bmodule:\s*['"]([\w.]+)['"]/g),
          ...code.matchAll(/getModule\(\s*['"]([\w.]+)['"]/g),
          ...code.matchAll(/new Set\(\[([^\]]*)\]\)/g),
        ];
        for (const m of uses) {
          for (const name of m[1]!.match(/[\w.]+/g) ?? []) if (names.has(name)) found.push(`${file}: ${name}`);
        }
      }
      expect(found).toEqual([]);
    });
  }
  it('knows the modules (the check is not vacuous)', () => expect(names.has('set_fact') && names.has('template')).toBe(true));
});
