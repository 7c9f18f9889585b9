import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExtraVars } from '../../../src/playbook/extra-vars.js';

describe('parseExtraVars', () => {
  it('reads key=value (quotes kept together), JSON objects and @files; later -e win', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-e-'));
    const file = path.join(dir, 'vars.yaml');
    writeFileSync(file, 'region: ams3\nsizes: [1, 2]\n');
    expect(parseExtraVars(['a=1 msg="two words" empty=', '{"b": {"c": true}}', `@${file}`, 'a=override'])).toEqual({
      a: 'override',
      msg: 'two words',
      empty: '',
      b: { c: true },
      region: 'ams3',
      sizes: [1, 2],
    });
  });

  it('rejects bad values with their position in the argument', () => {
    expect(() => parseExtraVars(['x=1 y'])).toThrow("-e #1:1:5: bad -e value 'y': expected key=value");
    expect(() => parseExtraVars(['ok=1', 'a-b=2'])).toThrow("-e #2:1:1: bad -e variable name 'a-b'");
    expect(() => parseExtraVars(['x="open'])).toThrow('-e #1:1:1: unterminated quote');
    expect(() => parseExtraVars(['[1, 2]'])).toThrow(/expected key=value/);
    expect(() => parseExtraVars(['{"a": [1}'])).toThrow(/^-e #1:1:\d+: YAML syntax error/);
    expect(() => parseExtraVars(['@'])).toThrow('-e @ needs a file name');
  });
});
