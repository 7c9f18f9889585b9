/**
 * Hostile or broken input fails with an InputError at a position — never a
 * hang, a crash, unbounded memory or silently mangled bytes (issue #15).
 * Cases as data: [name, input, expected message].
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandHostEntry } from '../../../src/inventory/host-range.js';
import { InputError } from '../../../src/util/errors.js';
import { limit } from '../../../src/util/limits.js';
import { decodeText } from '../../../src/util/text-input.js';
import { loadYamlFile, parseYaml } from '../../../src/util/yaml.js';

const laughs = (levels: number) =>
  ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    .concat(Array.from({ length: levels }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`))
    .join('\n');

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('YAML that would never end', () => {
  const cases: Array<[string, string, RegExp, number?]> = [
    ['a billion laughs (9^9 values)', laughs(8), /holds \d+ values once its aliases are expanded: more than 1000000 values/],
    ['an alias inside the value it names', 'a: &x [1, *x]\n', /alias \*x is inside the value it names/, 1],
    ['a self-referencing mapping', 'a: &m {b: *m}\n', /alias \*m is inside the value it names/, 1],
    ['nesting ten thousand levels deep', '['.repeat(10_000) + ']'.repeat(10_000), /YAML nested too deeply|YAML syntax error/],
  ];
  for (const [name, text, message, line] of cases) {
    it(name, () => {
      const started = Date.now();
      const e = inputError(() => parseYaml(text, 'x.yaml'));
      expect(e.message).toMatch(message);
      if (line !== undefined) expect(e.pos?.line).toBe(line);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  }
  it('a few levels of aliases stay fine, and share their values', () => {
    const v = parseYaml(laughs(3), 'x.yaml').value as Record<string, unknown[]>;
    expect(v.d).toHaveLength(9);
  });
});

describe('limits: defaults and overrides', () => {
  afterEach(() => {
    delete process.env.DROVER_MAX_HOST_RANGE;
    delete process.env.DROVER_MAX_YAML_VALUES;
  });
  it('a host range past the limit is refused before it is expanded', () => {
    const at = { file: 'hosts.ini', line: 3, col: 1 };
    expect(inputError(() => expandHostEntry('node[0:99999999]', at)).message).toMatch(/names 100000000 hosts: more than 100000 hosts .* \(set DROVER_MAX_HOST_RANGE to raise the limit\)/);
    expect(inputError(() => expandHostEntry('n[0:999]-[0:999]', at)).message).toMatch(/names 1000000 hosts/);
    expect(expandHostEntry('web[01:03]', at).names).toEqual(['web01', 'web02', 'web03']);
  });
  it('the environment raises or lowers a limit; a bad value is an input error', () => {
    process.env.DROVER_MAX_HOST_RANGE = '2';
    expect(() => expandHostEntry('web[1:3]', { file: 'h', line: 1, col: 1 })).toThrow(/more than 2 hosts/);
    process.env.DROVER_MAX_YAML_VALUES = '10000000000';
    expect(() => parseYaml(laughs(6), 'x.yaml')).not.toThrow();
    process.env.DROVER_MAX_YAML_VALUES = 'lots';
    expect(() => limit('yamlValues')).toThrow(/DROVER_MAX_YAML_VALUES=lots: expected a positive whole number/);
  });
});

describe('bytes that are not UTF-8 text', () => {
  const cases: Array<[string, Buffer, RegExp, [number, number]]> = [
    ['a Latin-1 ü in a value', Buffer.from('a: 1\nname: M\xfcller\n', 'latin1'), /byte 0xfc is not valid UTF-8 \(at byte offset 12\)/, [2, 8]],
    ['a NUL byte', Buffer.from('a: 1\nb: x\0y\n'), /a NUL byte \(at byte offset 9\)/, [2, 5]],
    ['a truncated sequence at the end', Buffer.concat([Buffer.from('a: '), Buffer.from([0xe2, 0x82])]), /byte 0xe2 is not valid UTF-8/, [1, 4]],
    ['an overlong encoding', Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf]), /byte 0xc0 is not valid UTF-8/, [1, 4]],
  ];
  for (const [name, bytes, message, [line, col]] of cases) {
    it(name, () => {
      const e = inputError(() => decodeText(bytes, 'f.yaml'));
      expect(e.message).toMatch(message);
      expect([e.pos?.line, e.pos?.col]).toEqual([line, col]);
    });
  }
  it('valid UTF-8 (including U+FFFD written as such) is text', () => {
    expect(decodeText(Buffer.from('name: Müller \ufffd ✓\n'), 'f')).toBe('name: Müller \ufffd ✓\n');
  });
  it('a vars file with a Latin-1 byte is refused when loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-bytes-'));
    writeFileSync(join(dir, 'v.yaml'), Buffer.from('city: K\xf6ln\n', 'latin1'));
    expect(() => loadYamlFile(join(dir, 'v.yaml'))).toThrow(/v\.yaml:1:8: byte 0xf6 is not valid UTF-8/);
  });
});
