import { describe, expect, it } from 'vitest';
import { pythonRepr, toText } from '../../../src/template/values.js';

/** Values interpolated into text read as Ansible writes them: Python's str()/repr() (expected strings printed by python3). */
describe('Python repr of values', () => {
  const cases: Array<[unknown, string]> = [
    [true, 'True'],
    [null, 'None'],
    [['a', 1, true, null], "['a', 1, True, None]"],
    [{ k: 'v', n: 1 }, "{'k': 'v', 'n': 1}"],
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`both ' "`, `'both \\' "'`],
    ['tab\there\n', "'tab\\there\\n'"],
    [1.5, '1.5'],
    [[[]], '[[]]'],
    [{}, '{}'],
  ];
  for (const [v, want] of cases) it(want, () => expect(pythonRepr(v)).toBe(want));
  it('interpolated: text as it is, None empty, the rest as repr', () => {
    expect([toText('x'), toText(null), toText(false), toText(['a'])]).toEqual(['x', '', 'False', "['a']"]);
  });
});
