import { describe, expect, it } from 'vitest';
import { pythonLiteral } from '../../../src/util/py-literal.js';

// Expected values are what Python 3's ast.literal_eval gives (or the text itself where it raises).
describe('pythonLiteral (ast.literal_eval, else the text)', () => {
  const cases: Array<[string, unknown]> = [
    ['8222', 8222],
    ['-3', -3],
    ['+7', 7],
    ['1_000', 1000],
    ['0x1f', 31],
    ['0o755', 493],
    ['0b101', 5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['0', 0],
    ['0755', '0755'],
    ['192.168.1.11', '192.168.1.11'],
    ['127.0.0.1', '127.0.0.1'],
    ['1.2.3', '1.2.3'],
    ['12ab', '12ab'],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ['/usr/bin/python3', '/usr/bin/python3'],
    ['"a b"', 'a b'],
    ["'it''s'", 'its'],
    ['"tab\\there"', 'tab\there'],
    ['r"a\\nb"', 'a\\nb'],
    ['"\\x41\\u00e9"', 'Aé'],
    ["b'bytes'", "b'bytes'"],
    ['"unterminated', '"unterminated'],
    ['[1, "two", [3]]', [1, 'two', [3]]],
    ['(1, 2)', [1, 2]],
    ['(1)', 1],
    ['1, 2', [1, 2]],
    ["{'a': 1, 'b': [True, None]}", { a: 1, b: [true, null] }],
    ['{1: 2}', { '1': 2 }],
    ['[1, 2', '[1, 2'],
    ['', ''],
    ['  42', 42],
    ['42  # comment', 42],
    ['foo # comment', 'foo # comment'],
    ['9007199254740993', '9007199254740993'],
    ['__import__("os")', '__import__("os")'],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(pythonLiteral(text)).toEqual(expected);
  });
});
