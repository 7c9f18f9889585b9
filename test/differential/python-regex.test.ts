/**
 * Differential: util/python-regex.ts against Python's `re` on the cases in
 * cases/python-regex.yaml. A pattern JavaScript cannot express must be
 * refused (marked `refused`); any other must find the same first match.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PythonRegexError, pythonRegex } from '../../src/util/python-regex.js';
import { loadYamlFile } from '../../src/util/yaml.js';

interface Case {
  pattern: string;
  subjects?: string[];
  /** JavaScript cannot say it: drover refuses it (Python may accept it). */
  refused?: boolean;
  /** Compare with Python's re.ASCII (lineinfile's bytes patterns). */
  ascii?: boolean;
}

const cases = loadYamlFile(join(import.meta.dirname, 'cases', 'python-regex.yaml')).value as Case[];
// Any Python 3 has `re`; Ansible's own interpreter is not needed here.
const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'python-regex.py')], { input: JSON.stringify(cases.map((c) => [c.pattern, c.subjects ?? [], c.ascii ?? false])), encoding: 'utf8' });
const oracle = r.status === 0 ? (JSON.parse(r.stdout) as Array<{ spans?: Array<[number, number] | null>; error?: string }>) : [];

describe('Python regular expressions', () => {
  it('the oracle ran', () => expect(r.status, r.stderr).toBe(0));
  cases.forEach((c, i) => {
    it(`${c.pattern}${c.refused ? ' (refused)' : ''}`, () => {
      const python = oracle[i]!;
      if (c.refused) {
        expect(() => pythonRegex(c.pattern)).toThrow(PythonRegexError);
        return;
      }
      expect(python.error, 'Python refuses this pattern: mark the case refused').toBeUndefined();
      const re = pythonRegex(c.pattern);
      const spans = (c.subjects ?? []).map((s) => {
        const m = re.exec(s);
        return m ? [m.index, m.index + m[0].length] : null;
      });
      expect(spans).toEqual(python.spans);
    });
  });
});
