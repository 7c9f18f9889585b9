import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventoryText } from '../../../src/inventory/load.js';
import { playHosts } from '../../../src/playbook/play-hosts.js';
import type { Play } from '../../../src/playbook/types.js';

/** One rule for a play's hosts, used by `drover check` and the run: templated `hosts:`, then --limit (pattern or @file). */
const inv = parseInventoryText('[web]\nw1\nw2\n[db]\nd1\n', 'hosts.ini');
const play = (hosts: string) => ({ hosts, pos: { file: 'site.yaml', line: 1, col: 3 } }) as unknown as Play;
const dir = mkdtempSync(join(tmpdir(), 'drover-play-hosts-'));
const limitFile = join(dir, 'retry');
writeFileSync(limitFile, '# retry file\nw2\n\nd1\n');

describe('playHosts', () => {
  const cases: Array<[string, string, string | undefined, Record<string, unknown>, string[]]> = [
    ['a group', 'web', undefined, {}, ['w1', 'w2']],
    ['--limit as a pattern', 'all', 'web:!w1', {}, ['w2']],
    ['--limit @file (one pattern a line, comments skipped)', 'web', `@${limitFile}`, {}, ['w2']],
    ['templated hosts from the extra vars', '{{ target }}', undefined, { target: 'db' }, ['d1']],
    ['templated hosts and --limit @file', '{{ target }}', `@${limitFile}`, { target: 'all' }, ['w2', 'd1']],
  ];
  for (const [name, hosts, limit, extra, want] of cases) {
    it(name, () => expect(playHosts(play(hosts), inv, limit, extra)).toEqual(want));
  }
  it('a --limit file that does not exist is an input error', () => {
    expect(() => playHosts(play('all'), inv, `@${join(dir, 'nope')}`)).toThrow(/cannot read --limit file/);
  });
});
