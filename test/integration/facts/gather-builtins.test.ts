/**
 * The fact script reads what it can with shell builtins (fewer process starts
 * on slow targets). Its facts must be exactly those of the script that ran a
 * process per probe (test/fixtures/facts/processes-reference.sh), on this
 * machine, under bash (drover's session shell) and under sh (the fallback
 * where bash is missing), as root and as an unprivileged user (who cannot
 * read /proc/1/environ).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, parseFacts } from '../../../src/facts/gather.js';

const reference = readFileSync(join(__dirname, '../../fixtures/facts/processes-reference.sh'), 'utf8');
const asRoot = process.getuid?.() === 0;

const shells: Record<string, string[]> = {
  bash: ['bash', '--noprofile', '--norc', '-s'],
  sh: ['sh', '-s'],
};

function run(shell: string[], script: string, user?: string): string {
  const [cmd, ...args] = user ? ['runuser', '-u', user, '--', ...shell] : shell;
  return execFileSync(cmd!, args, { input: script, encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TZ: process.env.TZ ?? 'UTC' } });
}

/** Facts without what differs from one second to the next, or between two shells' own variables. */
function comparable(stdout: string): Record<string, unknown> {
  const f = parseFacts(stdout) as Record<string, any>;
  for (const o of [f, f.ansible_facts]) {
    const dt = o.ansible_date_time ?? o.date_time;
    for (const k of ['epoch', 'second', 'minute', 'time', 'iso8601', 'iso8601_basic_short']) delete dt[k];
    const env = o.ansible_env ?? o.env;
    delete env._;
    // Free memory moves between the two runs; the totals do not.
    for (const k of Object.keys(o)) if (/mem(free|available|ory)_mb$|swapfree_mb$/.test(k)) delete o[k];
  }
  return f;
}

describe('facts with shell builtins = facts with a process per probe (this machine)', () => {
  const users = asRoot ? [undefined, 'nobody'] : [undefined];
  for (const [name, shell] of Object.entries(shells)) {
    for (const user of users) {
      it(`${name}${user ? ` as ${user}` : ''}`, () => {
        const now = run(shell, FACTS_SCRIPT, user);
        const before = run(shell, reference, user);
        expect(comparable(now)).toEqual(comparable(before));
        // The date's epoch and the UTC forms the parser now derives from it agree with `date -u`'s.
        const dt = (parseFacts(now) as { ansible_date_time: Record<string, string> }).ansible_date_time;
        const ref = (parseFacts(before) as { ansible_date_time: Record<string, string> }).ansible_date_time;
        expect(Math.abs(Number(dt.epoch) - Number(ref.epoch))).toBeLessThanOrEqual(2);
        expect(dt.iso8601).toBe(new Date(Number(dt.epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        expect(Math.abs(Date.parse(dt.iso8601!) - Date.parse(ref.iso8601!))).toBeLessThanOrEqual(2000);
        expect(dt.iso8601_basic_short).toMatch(/^\d{8}T\d{6}Z$/);
      });
    }
  }

});
