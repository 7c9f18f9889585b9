import { describe, expect, it } from 'vitest';
import { applyMode, chmodArg, parseMode, planAttrs } from '../../../src/modules/common/file-attrs.js';
import type { FileState } from '../../../src/facts/file-state.js';
import { InputError } from '../../../src/util/errors.js';

const file = (over: Partial<FileState> = {}): FileState => ({
  path: '/etc/x.conf', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', ...over,
});

describe('parseMode', () => {
  it.each([
    ['0644', 0o644],
    ['644', 0o644],
    ['0o644', 0o644],
    ['2755', 0o2755],
    [0o644, 0o644],
    [420, 0o644],
    [0, 0],
  ] as const)('%s -> absolute', (input, bits) => {
    expect(parseMode(input)).toEqual({ kind: 'absolute', bits });
  });

  it('rejects a decimal 644 (an unquoted octal read by YAML 1.2) with a hint', () => {
    expect(() => parseMode(644)).toThrow(InputError);
    expect(() => parseMode(755)).toThrow(/quote it: mode: '0755'/);
  });

  it('rejects garbage', () => {
    expect(() => parseMode('0999')).toThrow(InputError);
    expect(() => parseMode('u=rwz')).toThrow(InputError);
    expect(() => parseMode(0o17777)).toThrow(InputError);
  });

  it('accepts symbolic modes', () => {
    expect(parseMode('u=rw,g=r,o=r').kind).toBe('symbolic');
  });
});

describe('applyMode (symbolic)', () => {
  const sym = (s: string, cur: number, dir = false) => applyMode(parseMode(s), cur, dir);
  it('= sets exactly', () => expect(sym('u=rw,g=r,o=r', 0o777)).toBe(0o644));
  it('+x and -w', () => {
    expect(sym('u+x', 0o644)).toBe(0o744);
    expect(sym('a-w', 0o664)).toBe(0o444);
    expect(sym('+x', 0o644)).toBe(0o755); // no "who" means all
  });
  it('X only for directories or already executable files', () => {
    expect(sym('a+X', 0o644)).toBe(0o644);
    expect(sym('a+X', 0o644, true)).toBe(0o755);
    expect(sym('a+X', 0o744)).toBe(0o755);
  });
  it('setgid and sticky', () => {
    expect(sym('g+s', 0o755, true)).toBe(0o2755);
    expect(sym('o+t', 0o777, true)).toBe(0o1777);
    expect(sym('u=rwx,go=', 0o4755)).toBe(0o700);
  });
  it('copies another class (g=u)', () => expect(sym('g=u', 0o640)).toBe(0o660));
  it('chmodArg makes who-less clauses explicit', () => {
    expect(chmodArg(parseMode('+x,g-w'))).toBe('a+x,g-w');
    expect(chmodArg(parseMode(420))).toBe('0644');
  });
});

describe('planAttrs', () => {
  it('nothing to do when attributes match (names or ids)', () => {
    expect(planAttrs(file(), { mode: '0644', owner: 'root', group: '0' }).changes).toEqual([]);
    expect(planAttrs(file(), { mode: 'u=rw,go=r' }).changes).toEqual([]);
  });
  it('mode change', () => {
    const p = planAttrs(file(), { mode: '0600' });
    expect(p.changes.map((c) => c.summary)).toEqual(['/etc/x.conf: mode 0644 -> 0600']);
    expect(p.chmod).toBe('0600');
    expect(p.chown).toBeUndefined();
  });
  it('owner and group change into one chown', () => {
    const p = planAttrs(file(), { owner: 'keystone', group: 'keystone' });
    expect(p.changes.map((c) => c.summary)).toEqual(['/etc/x.conf: owner root -> keystone', '/etc/x.conf: group root -> keystone']);
    expect(p.chown).toBe('keystone:keystone');
    const g = planAttrs(file(), { group: 'adm' });
    expect(g.chown).toBe(':adm');
  });
  it('re-applies a setuid mode after chown (chown clears it)', () => {
    const p = planAttrs(file({ mode: '4755' }), { mode: '4755', owner: 'nobody' });
    expect(p.changes.map((c) => c.summary)).toEqual(['/etc/x.conf: owner root -> nobody']);
    expect(p.chmod).toBe('4755');
  });
  it('ignores mode on a symlink', () => {
    expect(planAttrs(file({ type: 'link', mode: '0777' }), { mode: '0600' }).changes).toEqual([]);
  });
});
