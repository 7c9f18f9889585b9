import { describe, expect, it } from 'vitest';
import { editLines, type LineInFileOptions } from '../../../src/modules/common/lineinfile-edit.js';
import { expandMatch, pythonRegex } from '../../../src/util/python-regex.js';
import { applyTwice } from '../../helpers/twice.js';

const P = (o: Partial<LineInFileOptions>): LineInFileOptions => ({ state: 'present', ...o });

/** Apply twice: the second application must change nothing. */
const twice = (text: string, o: LineInFileOptions) => applyTwice(editLines, text, o);

describe('lineinfile present', () => {
  it('appends at EOF by default', () => {
    const r = twice('a\nb\n', P({ line: 'c' }));
    expect(r).toMatchObject({ text: 'a\nb\nc\n', changed: true, msg: 'line added' });
  });

  it('adds the missing newline before appending to a file without trailing newline', () => {
    expect(twice('a\nb', P({ line: 'c' })).text).toBe('a\nb\nc\n');
  });

  it('empty file', () => expect(twice('', P({ line: 'x' })).text).toBe('x\n'));

  it('line already present: no change', () => {
    expect(editLines('a\nc\nb\n', P({ line: 'c' }))).toMatchObject({ changed: false, text: 'a\nc\nb\n' });
  });

  it('regexp replaces the LAST matching line', () => {
    const r = twice('#PermitRootLogin yes\nPermitRootLogin yes\nX\nPermitRootLogin no\n', P({ regexp: '^PermitRootLogin', line: 'PermitRootLogin prohibit-password' }));
    expect(r.text).toBe('#PermitRootLogin yes\nPermitRootLogin yes\nX\nPermitRootLogin prohibit-password\n');
    expect(r.msg).toBe('line replaced');
  });

  it('regexp not matching but line present: unchanged (idempotent with a narrow regexp)', () => {
    const o = P({ regexp: '^bind-address\\s*=\\s*127', line: 'bind-address = 10.0.0.11' });
    const r = twice('[mysqld]\nbind-address = 127.0.0.1\n', o);
    expect(r.text).toBe('[mysqld]\nbind-address = 10.0.0.11\n');
  });

  it('insertafter regex: after the last match; firstmatch: after the first', () => {
    const text = '[a]\nx=1\n[a]\ny=2\n';
    expect(twice(text, P({ line: 'z=3', insertafter: '^\\[a\\]' })).text).toBe('[a]\nx=1\n[a]\nz=3\ny=2\n');
    expect(twice(text, P({ line: 'z=3', insertafter: '^\\[a\\]', firstmatch: true })).text).toBe('[a]\nz=3\nx=1\n[a]\ny=2\n');
  });

  it('insertafter matching the last line (no trailing newline)', () => {
    expect(twice('a\nanchor', P({ line: 'new', insertafter: '^anchor' })).text).toBe('a\nanchor\nnew\n');
  });

  it('insertafter not matching: EOF', () => {
    expect(twice('a\n', P({ line: 'new', insertafter: '^nothing' })).text).toBe('a\nnew\n');
  });

  it('insertbefore regex and BOF', () => {
    expect(twice('a\nb\n', P({ line: 'new', insertbefore: '^b' })).text).toBe('a\nnew\nb\n');
    expect(twice('a\nb\n', P({ line: '#!/bin/sh', insertbefore: 'BOF' })).text).toBe('#!/bin/sh\na\nb\n');
  });

  it('regexp wins over insertafter when it matches', () => {
    expect(twice('a\nkey=1\nb\n', P({ regexp: '^key=', line: 'key=2', insertafter: '^a' })).text).toBe('a\nkey=2\nb\n');
  });

  it('backrefs: expands groups, and never inserts when nothing matches', () => {
    const o = P({ regexp: '^(\\s*)listen\\s+(\\d+)', line: '\\1listen 8080 # was \\2', backrefs: true });
    expect(editLines('  listen 80\n', o).text).toBe('  listen 8080 # was 80\n');
    expect(editLines('nothing\n', o)).toMatchObject({ changed: false, text: 'nothing\n' });
  });

  it('Python named groups and \\g<name>', () => {
    const o = P({ regexp: '^(?P<k>\\w+)=old$', line: '\\g<k>=new', backrefs: true });
    expect(editLines('a=old\n', o).text).toBe('a=new\n');
  });

  it('search_string matches literally', () => {
    expect(twice('x = a.b\n', P({ search_string: 'a.b', line: 'x = c' })).text).toBe('x = c\n');
  });

  it('a matching last line without newline gets one', () => {
    expect(editLines('a\nkey=1', P({ regexp: '^key', line: 'key=1' }))).toMatchObject({ changed: true, text: 'a\nkey=1\n' });
  });
});

describe('lineinfile absent', () => {
  it('removes every exact copy of line', () => {
    expect(editLines('a\nb\na\n', { state: 'absent', line: 'a' })).toMatchObject({ text: 'b\n', changed: true, found: 2 });
  });
  it('removes every regexp match', () => {
    expect(editLines('#c\nx=1\nx=2\ny\n', { state: 'absent', regexp: '^x=' }).text).toBe('#c\ny\n');
  });
  it('no match: unchanged', () => {
    expect(editLines('a\n', { state: 'absent', line: 'zz' })).toMatchObject({ changed: false, text: 'a\n' });
  });
  it('last line without newline', () => {
    expect(editLines('a\nb', { state: 'absent', line: 'b' }).text).toBe('a\n');
  });
});

describe('regexp helpers', () => {
  it('translates (?P=name)', () => expect(pythonRegex('(?P<q>[\'"]).*(?P=q)').test('"x"')).toBe(true));
  it('unmatched groups expand to empty', () => {
    const m = /(a)|(b)/.exec('b')!;
    expect(expandMatch('[\\1][\\2]', m)).toBe('[][b]');
  });
});
