import { describe, expect, it } from 'vitest';
import { kvWords, shellWords, shellWordsAt, ShellWordsError } from '../../../src/util/shell-words.js';

// Each row: input, comments flag, and what Python 3's shlex.split(input, comments=flag)
// returns (checked with /usr/bin/python3 -c 'import shlex; print(shlex.split(...))'),
// or the error it raises ("No closing quotation" / "No escaped character").
type Row = [input: string, comments: boolean, expected: string[] | RegExp];

const CASES: Row[] = [
  ['', false, []],
  ['   ', false, []],
  ['a b  c', false, ['a', 'b', 'c']],
  ['\ta\r\nb\n', false, ['a', 'b']],
  [`ls -l "a b" 'c d' e\\ f "x\\"y" ''`, false, ['ls', '-l', 'a b', 'c d', 'e f', 'x"y', '']],
  [`a '' b`, false, ['a', '', 'b']],
  ['""', false, ['']],
  [`''""`, false, ['']],
  ['a"b c"d', false, ['ab cd']],
  [`'a'"b"c`, false, ['abc']],
  // In "…" a backslash escapes only " and \ (not $ ` or newline, unlike sh).
  ['"a\\$b"', false, ['a\\$b']],
  ['"a\\`b"', false, ['a\\`b']],
  ['"a\\\\b"', false, ['a\\b']],
  ['"a\\nb"', false, ['a\\nb']],
  ['"a\\\nb"', false, ['a\\\nb']],
  // In '…' nothing is special.
  [`'a\\b'`, false, ['a\\b']],
  // Outside quotes a backslash makes the next character literal, a newline too.
  ['a\\b', false, ['ab']],
  ['a\\ b', false, ['a b']],
  [`\\'a`, false, [`'a`]],
  ['a\\\nb', false, ['a\nb']],
  // Comments only when asked for; then # ends the line even inside a word.
  ['x#y #z', false, ['x#y', '#z']],
  ['x#y #z', true, ['x']],
  ['a # b\nc', true, ['a', 'c']],
  [`'#'a "#" \\#`, true, ['#a', '#', '#']],
  ['#only', true, []],
  // Whitespace is space, tab, CR, LF only.
  ['a\u00a0b\u000bc', false, ['a\u00a0b\u000bc']],
  [`é 'ü ñ'`, false, ['é', 'ü ñ']],
  // No expansion.
  ['echo $HOME ~/x', false, ['echo', '$HOME', '~/x']],
  [`-o 'A B' -o"C=d e" x\\y`, false, ['-o', 'A B', '-oC=d e', 'xy']],
  ['a=1 b="x y"', false, ['a=1', 'b=x y']],
  // Errors.
  ['echo "oops', false, /no closing quotation \("\)/],
  [`echo 'oops`, false, /no closing quotation \('\)/],
  ['a "b\\"', false, /no closing quotation/],
  ['abc\\', false, /no escaped character/],
  ['"abc\\', false, /no escaped character/],
];

describe('shellWords: Python shlex.split, as Ansible uses it', () => {
  it.each(CASES)('%j (comments %s)', (input, comments, expected) => {
    if (expected instanceof RegExp) expect(() => shellWords(input, { comments })).toThrow(expected);
    else expect(shellWords(input, { comments })).toEqual(expected);
  });

  it('says where each word starts, and where an unclosed quote opened', () => {
    expect(shellWordsAt(`a  'b c'd \\e`)).toEqual([
      { text: 'a', col: 0 },
      { text: 'b cd', col: 3 },
      { text: 'e', col: 10 },
    ]);
    try {
      shellWords(`ok "never closed`);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShellWordsError);
      expect((e as ShellWordsError).col).toBe(3);
    }
  });
});

// kvWords: the words of Ansible's split_args (checked with /usr/bin/python3 -c
// 'from ansible.parsing.splitter import split_args; print(split_args(...))',
// ansible-core 2.14). Quotes stay in the word.
const KV_CASES: Array<[input: string, words: string[]]> = [
  ['a=1 b="x y"', ['a=1', 'b="x y"']],
  ['msg={{ a + b }} x=1', ['msg={{ a + b }}', 'x=1']],
  ['x={% if a %}1{% endif %} y=2', ['x={% if a %}1{% endif %}', 'y=2']],
  ['a=\\"b c', ['a=\\"b', 'c']],
  ['a="b\\" c"', ['a="b\\" c"']],
  [`a='x y'z`, [`a='x y'z`]],
  [`a='x\\' y' b`, [`a='x\\' y'`, 'b']],
  [`a="it's" b`, [`a="it's"`, 'b']],
  ['chdir=/tmp ls "a  b"', ['chdir=/tmp', 'ls', '"a  b"']],
  ['a\\ b', ['a\\', 'b']],
  ['  ', []],
];

describe('kvWords: Ansible split_args words for k=v arguments', () => {
  it.each(KV_CASES)('%j', (input, words) => {
    expect(kvWords(input).map((w) => w.raw)).toEqual(words);
  });

  it('gives each word its span in the text', () => {
    expect(kvWords(' a=1  b="x y"')).toEqual([
      { raw: 'a=1', start: 1, end: 4 },
      { raw: 'b="x y"', start: 6, end: 13 },
    ]);
  });
});
