import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/util/errors.js';
import { thrown } from '../../helpers/thrown.js';
import {
  TemplateSyntaxError,
  UndefinedVariableError,
  compileCondition,
  conditionRefs,
  evaluateCondition,
  evaluateExpression,
} from '../../../src/template/index.js';

const pos = { file: 'roles/keystone/tasks/main.yaml', line: 20, col: 11 };

// Shaped like real registered results and facts.
const vars = {
  inventory_hostname: 'controller',
  groups: { controller_nodes: ['controller'], compute_nodes: ['compute1', 'compute2'], empty: [] as string[] },
  creds: { stat: { exists: false, path: '/root/creds' } },
  result: { changed: true, failed: false, rc: 0 },
  failed_result: { changed: false, failed: true, rc: 1, stderr: 'boom' },
  skipped_result: { changed: false, skipped: true },
  count: { stdout: '0', rc: 0 },
  out: { rc: 0, stdout: 'keystone is active (running)', stdout_lines: ['a', 'b'] },
  ansible_facts: { os_family: 'Debian', distribution_major_version: '12' },
  item: { name: 'x', port: 80 },
  a: true,
  b: false,
  c: true,
  zero: 0,
  empty_str: '',
  empty_map: {},
  none_value: null,
  str_false: 'false',
  n: 5,
};

const ev = (e: string, v: Record<string, unknown> = vars) => evaluateCondition(e, v, pos);
const val = (e: string, v: Record<string, unknown> = vars) => evaluateExpression(e, v, pos);

describe('the examples from the brief', () => {
  it.each([
    ['not creds.stat.exists', true],
    ['result.changed', true],
    ['count.stdout != "1"', true],
    ['a and (b or c)', true],
    ['a and (b or not c)', false],
    ['x is defined', false],
    ['result is defined', true],
    ['inventory_hostname in groups.controller_nodes', true],
    ['inventory_hostname in groups.compute_nodes', false],
    ["item.name == 'x'", true],
    ['ansible_facts.os_family == "Debian"', true],
    ["out.rc == 0 and 'active' in out.stdout", true],
    ["out.rc == 0 and 'failed' in out.stdout", false],
  ])('%s -> %s', (expr, expected) => {
    expect(ev(expr)).toBe(expected);
  });
});

describe('precedence', () => {
  it('not binds tighter than and, and tighter than or', () => {
    // not a and b == (not a) and b
    expect(ev('not a and b', { a: false, b: true })).toBe(true);
    expect(ev('not a and b', { a: true, b: true })).toBe(false);
    expect(ev('not (a and b)', { a: true, b: false })).toBe(true);
    // a or b and c == a or (b and c)
    expect(ev('a or b and c', { a: true, b: false, c: false })).toBe(true);
    expect(ev('(a or b) and c', { a: true, b: false, c: false })).toBe(false);
    // comparisons bind tighter than not: not x == 1 -> not (x == 1)
    expect(ev('not n == 4', { n: 5 })).toBe(true);
    // is / filters bind tighter than not and comparisons
    expect(ev('not x is defined', {})).toBe(true);
    expect(ev('groups.compute_nodes | length == 2')).toBe(true);
    expect(ev('groups.compute_nodes | length > 1 and not groups.empty')).toBe(true);
    expect(val('1 + 2 * 3')).toBe(7);
    expect(val('(1 + 2) * 3')).toBe(9);
    expect(val('-n + 1')).toBe(-4);
  });

  it('and/or return an operand, like Python', () => {
    expect(val('empty_str or "fallback"')).toBe('fallback');
    expect(val('n and "yes"')).toBe('yes');
    expect(val('zero and "yes"')).toBe(0);
  });

  it('short-circuits: the right side is not evaluated', () => {
    expect(ev('r is defined and r.rc == 0', {})).toBe(false);
    expect(ev('r is not defined or r.rc == 0', {})).toBe(true);
    expect(ev('b and missing', { b: false })).toBe(false);
  });

  it('chained comparisons, like Python', () => {
    expect(ev('1 < n < 10')).toBe(true);
    expect(ev('1 < n < 3')).toBe(false);
  });
});

describe('literals and access', () => {
  it('literals', () => {
    expect(val('True')).toBe(true);
    expect(val('true')).toBe(true);
    expect(val('False')).toBe(false);
    expect(val('None')).toBe(null);
    expect(val('none')).toBe(null);
    expect(val('null')).toBe(null);
    expect(val('[1, "two", 3.5]')).toEqual([1, 'two', 3.5]);
    expect(val("('a', 'b')")).toEqual(['a', 'b']);
    expect(val("{'k': 1}")).toEqual({ k: 1 });
    expect(val("'it\\'s'")).toBe("it's");
    expect(val('-1')).toBe(-1);
  });

  it('dots, indexes and quoted keys', () => {
    expect(val('out.stdout_lines[1]')).toBe('b');
    expect(val('out.stdout_lines[-1]')).toBe('b');
    expect(val("out['rc']")).toBe(0);
    expect(val('groups["compute_nodes"][0]')).toBe('compute1');
    expect(val('groups[item.name] | default("none")')).toBe('none');
    expect(val('out.stdout_lines.0')).toBe('a');
  });

  it('never reaches JavaScript prototypes', () => {
    expect(ev('x.constructor is defined', { x: {} })).toBe(false);
    expect(ev('x.__proto__ is defined', { x: {} })).toBe(false);
    expect(ev('x.length is defined', { x: [1] })).toBe(false);
    expect(ev('toString is defined', {})).toBe(false);
    expect(thrown(() => ev('x.toString()', { x: {} })).message).toContain("mapping has no method 'toString'");
  });

  it('whitelisted methods', () => {
    expect(ev("out.stdout.startswith('keystone')")).toBe(true);
    expect(ev("out.stdout.find('active') != -1")).toBe(true);
    expect(val("'  x '.strip()")).toBe('x');
    expect(val("item.get('nope', 'dflt')")).toBe('dflt');
    expect(val('item.keys()')).toEqual(['name', 'port']);
    expect(val("'a,b'.split(',')")).toEqual(['a', 'b']);
  });
});

describe('operators', () => {
  it('== follows Python (1 == 1.0 == True, "1" != 1), deep for lists', () => {
    expect(ev('1 == 1.0')).toBe(true);
    expect(ev('result.changed == 1')).toBe(true);
    expect(ev('count.stdout == 0')).toBe(false);
    expect(ev('count.stdout | int == 0')).toBe(true);
    expect(ev('[1, [2]] == [1, [2]]')).toBe(true);
    expect(ev('none_value == None')).toBe(true);
  });

  it('in / not in on strings, lists and mappings', () => {
    expect(ev("'comp' in 'compute1'")).toBe(true);
    expect(ev("'compute3' not in groups.compute_nodes")).toBe(true);
    expect(ev("'rc' in out")).toBe(true);
    expect(ev("'x' in ['x', 'y']")).toBe(true);
  });

  it('refuses to order a string and a number, with a hint', () => {
    const e = thrown(() => ev('count.stdout > 1'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain("cannot order string");
    expect(e.message).toContain('| int');
    expect((e as InputError).pos).toEqual({ ...pos, col: pos.col + 13 });
  });

  it('string concat and arithmetic', () => {
    expect(val("'a' ~ 1")).toBe('a1');
    expect(val("'a' + 'b'")).toBe('ab');
    expect(val('7 // 2')).toBe(3);
    expect(val('7 % 3')).toBe(1);
    expect(val("'x' if a else 'y'")).toBe('x');
  });
});

describe('tests', () => {
  it.each([
    ['x is defined', false],
    ['x is undefined', true],
    ['x is not defined', true],
    ['x.y.z is defined', false],
    ['creds.stat.exists is defined', true],
    ['none_value is none', true],
    ['none_value is defined', true],
    ['result is succeeded', true],
    ['result is success', true],
    ['failed_result is failed', true],
    ['failed_result is failure', true],
    ['failed_result is not succeeded', true],
    ['result is changed', true],
    ['failed_result is changed', false],
    ['skipped_result is skipped', true],
    ['result is skipped', false],
    ['count.stdout is string', true],
    ['n is number', true],
    ['a is number', false],
    ['item is mapping', true],
    ['groups.compute_nodes is sequence', true],
    ['item is sequence', false],
    ['str_false is truthy', true],
    ['empty_map is falsy', true],
    ["out.stdout is search('act.ve')", true],
    ["out.stdout is match('active')", false],
    ['n is divisibleby 5', true],
    ['a is sameas true', true],
  ])('%s -> %s', (expr, expected) => {
    expect(ev(expr)).toBe(expected);
  });

  it('a result test on a non-result is an error', () => {
    expect(thrown(() => ev('n is changed'))).toBeInstanceOf(InputError);
  });
});

describe('filters', () => {
  it.each([
    ['groups.compute_nodes | length', 2],
    ['groups.compute_nodes | count', 2],
    ["'42' | int", 42],
    ["'4.7' | int", 4],
    ["'' | int", 0],
    ["'abc' | int(7)", 7],
    ["'yes' | bool", true],
    ["'no' | bool", false],
    ["'Debian' | lower", 'debian'],
    ["'x' | upper", 'X'],
    ["'  x \\n' | trim", 'x'],
    ['missing | default(3)', 3],
    ['missing.deep | default("d")', 'd'],
    ['none_value | default(3)', null], // Jinja's default replaces only undefined values
    ['none_value | default(3, true)', 3],
    ['empty_str | default("e", true)', 'e'],
    ['empty_str | default("e")', ''],
    ['missing | d(1)', 1],
    ['n | string', '5'],
    ['a | string', 'True'],
    ['groups.compute_nodes | first', 'compute1'],
    ['groups.compute_nodes | last', 'compute2'],
    ["groups.compute_nodes | join(',')", 'compute1,compute2'],
    ["'a b' | split", ['a', 'b']],
    ["'a-b' | replace('-', '_')", 'a_b'],
    ["'abc123' | regex_replace('[0-9]+', 'N')", 'abcN'],
    ["'/etc/nova/nova.conf' | basename", 'nova.conf'],
    ["'/etc/nova/nova.conf' | dirname", '/etc/nova'],
    ["'hi' | b64encode | b64decode", 'hi'],
    ["'a b' | quote", "'a b'"],
    ['[3, 1, 2] | sort', [1, 2, 3]],
    ['[1, 1, 2] | unique', [1, 2]],
  ])('%s -> %j', (expr, expected) => {
    expect(val(expr)).toEqual(expected);
  });

  it('filters other than default need a defined value', () => {
    const e = thrown(() => val('missing | length'));
    expect(e).toBeInstanceOf(UndefinedVariableError);
  });
});

describe('truthiness (Python)', () => {
  it.each([
    ['zero', false],
    ['empty_str', false],
    ['empty_map', false],
    ['groups.empty', false],
    ['none_value', false],
    ['str_false', true],
    ['n', true],
    ['item', true],
  ])('%s -> %s', (expr, expected) => {
    expect(ev(expr)).toBe(expected);
  });

  it('a YAML boolean is taken as it is', () => {
    expect(evaluateCondition(true, {})).toBe(true);
    expect(evaluateCondition(false, {})).toBe(false);
  });
});

describe('undefined variables', () => {
  it('names the full path and the column of its first use', () => {
    const e = thrown(() => ev('result.rc == 0 and creds.stat.mode == "0600"')) as UndefinedVariableError;
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect(e.path).toBe('creds.stat.mode');
    expect(e.pos).toEqual({ file: pos.file, line: 20, col: pos.col + 19 });
    expect(e.message).toBe(`${pos.file}:20:30: undefined variable 'creds.stat.mode'`);
  });

  it('is an error in comparisons, not, in, bare use', () => {
    for (const expr of ['nope', 'not nope', 'nope == 1', "'a' in nope", 'nope in groups.compute_nodes', 'a and nope', 'nope.x.y']) {
      const e = thrown(() => ev(expr));
      expect(e, expr).toBeInstanceOf(UndefinedVariableError);
      expect((e as UndefinedVariableError).path, expr).toMatch(/^nope/);
    }
    expect((thrown(() => ev('nope.x.y')) as UndefinedVariableError).path).toBe('nope.x.y');
  });
});

describe('syntax errors', () => {
  it.each([
    ['a and', 6, 'expected a value, got end of expression'],
    ['a && b', 3, "unexpected '&&'"],
    ['a = 1', 3, "unexpected '='"],
    ['(a or b', 8, "expected ')'"],
    ['a b', 3, 'expected the end of the expression'],
    ["'unterminated", 1, 'unterminated string'],
    ['x | frobnicate', 5, "unknown filter 'frobnicate'"],
    ['x is frobnicated', 6, "unknown test 'frobnicated'"],
    ['!a', 1, "unexpected '!'"],
    ['', 1, 'expected an expression'],
  ])('%j: column %d', (expr, col, msg) => {
    const e = thrown(() => compileCondition(expr, pos));
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain(msg);
    expect(e.message).toContain(`at column ${col}`);
    expect((e as InputError).pos).toEqual({ ...pos, col: pos.col + col - 1 });
  });

  it('multi-line expressions report the line', () => {
    const e = thrown(() => compileCondition('a and\n  b ==', pos)) as InputError;
    expect(e.pos).toEqual({ file: pos.file, line: 21, col: 7 });
  });

  it('without a position, the message still has the column', () => {
    const e = thrown(() => compileCondition('a and or'));
    expect(e.message).toContain('at column 7');
    expect((e as InputError).pos).toBeUndefined();
  });
});

describe('templated conditions', () => {
  it('renders {{ }} first; a raw value is used as is, a string is parsed', () => {
    expect(evaluateCondition('{{ a }}', vars)).toBe(true);
    expect(evaluateCondition('{{ zero }}', vars)).toBe(false);
    expect(evaluateCondition("{{ inventory_hostname }} == 'controller'", { inventory_hostname: 'controller', controller: 'controller' })).toBe(true);
    expect(evaluateCondition('n > {{ zero }}', vars)).toBe(true);
  });

  it('template errors surface at compile time', () => {
    expect(() => compileCondition('{{#if x}} == 1', pos)).toThrow(TemplateSyntaxError);
  });
});

describe('compileCondition', () => {
  it('compiles once, evaluates many times, exposes value and refs', () => {
    const c = compileCondition('item.port > 1024 or item.name in allowed', pos);
    expect(c.test({ item: { port: 80, name: 'x' }, allowed: ['x'] })).toBe(true);
    expect(c.test({ item: { port: 80, name: 'y' }, allowed: ['x'] })).toBe(false);
    expect(c.value({ item: { port: 8080, name: 'y' }, allowed: [] })).toBe(true);
    expect(c.refs().map((r) => r.path)).toEqual(['item.port', 'item.name', 'allowed']);
  });
});

describe('conditionRefs', () => {
  it('reports static paths with columns and marks guarded reads optional', () => {
    const refs = conditionRefs('r is defined and r.rc == 0 and hostvars[host].ip != x.y[0]', pos);
    expect(refs).toEqual([
      { root: 'r', path: 'r', pos: { ...pos, col: 11 }, optional: true },
      { root: 'r', path: 'r.rc', pos: { ...pos, col: 28 }, optional: true },
      { root: 'hostvars', path: 'hostvars', pos: { ...pos, col: 42 } },
      { root: 'host', path: 'host', pos: { ...pos, col: 51 } },
      { root: 'x', path: 'x.y[0]', pos: { ...pos, col: 63 } },
    ]);
  });

  it('default and is-not-defined-or guard too; templated conditions use template refs', () => {
    expect(conditionRefs('(port | default(80)) == 80').map((r) => [r.path, !!r.optional])).toEqual([['port', true]]);
    expect(conditionRefs('x is not defined or x.y').map((r) => [r.path, !!r.optional])).toEqual([
      ['x', true],
      ['x.y', true],
    ]);
    expect(conditionRefs('x.y or x is defined').map((r) => [r.path, !!r.optional])).toEqual([
      ['x.y', false],
      ['x', true],
    ]);
    expect(conditionRefs('{{ a.b }} == 1').map((r) => r.path)).toEqual(['a.b']);
  });
});
