import { describe, expect, it } from 'vitest';
import { ansibleJson, colorEnabled, formatRecap, formatSeconds, formatSlowest } from '../../../src/report/console.js';
import { emptyTally } from '../../../src/report/tally.js';

describe('console formatting', () => {
  it('colour: --no-color and NO_COLOR win, FORCE_COLOR forces (0/false do not), else a terminal that is not dumb', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' }, false)).toBe(false);
  });

  it("JSON as Ansible's callback writes it: sorted keys, `, ` and `: ` on one line, or indented by 4", () => {
    const v = { b: [1, 'x'], a: { d: null, c: true }, e: {}, f: [] };
    expect(ansibleJson(v)).toBe('{"a": {"c": true, "d": null}, "b": [1, "x"], "e": {}, "f": []}');
    expect(ansibleJson({ msg: 'é' }, 4)).toBe('{\n    "msg": "é"\n}');
  });

  it('the recap: one line per host, name padded to 26, counts to 4; unknown=N only in check mode', () => {
    const t = { ...emptyTally(), ok: 8, changed: 5, unknown: 1 };
    const long = 'a-very-long-host-name.example.org';
    const r = formatRecap({ web1: t }, false);
    expect(r).toContain('\nweb1                       : ok=8    changed=5    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ');
    expect(r).not.toContain('unknown=');
    // A name longer than 26 widens the column for every host, so the counts stay aligned.
    const wide = formatRecap({ web1: t, [long]: emptyTally() }, false);
    expect(wide).toContain(`\nweb1${' '.repeat(long.length - 4)} : ok=8 `);
    expect(wide).toContain(`\n${long} : ok=0    changed=0 `);
    expect(r.split('\n')[1]).toMatch(/^PLAY RECAP \*+$/);
    const check = formatRecap({ web1: t }, true);
    expect(check).toContain('PLAY RECAP (check mode: nothing was changed) *');
    expect(check).toMatch(/ignored=0 {4}unknown=1 {3}$/);
  });

  it('times: seconds with two decimals, minutes past 60 s; the slowest tasks first, at most the limit', () => {
    expect(formatSeconds(420)).toBe('0.42s');
    expect(formatSeconds(63_400)).toBe('1m03s');
    const times = [1, 5, 3].map((s) => ({ task: `t${s}`, where: `site.yaml:${s}`, ms: s * 1000 }));
    expect(formatSlowest(times, 9000, 2).split('\n').slice(2)).toEqual(['5.00s  t5  site.yaml:5', '3.00s  t3  site.yaml:3']);
  });
});
