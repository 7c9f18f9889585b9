import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onPath } from '../../../src/util/on-path.js';

describe('onPath: what `command -v` finds, without a shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-onpath-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(join(bin, 'tool'), 0o755);
  writeFileSync(join(bin, 'plain'), 'not executable');
  chmodSync(join(bin, 'plain'), 0o644);
  mkdirSync(join(bin, 'adir'));

  // [name, PATH, found?]
  const CASES: Array<[string, string, boolean]> = [
    ['tool', bin, true],
    ['tool', `/nonexistent:${bin}`, true],
    ['tool', '/nonexistent', false],
    ['plain', bin, false],
    ['adir', bin, false],
    ['', bin, false],
    [join(bin, 'tool'), '', true],
    [join(bin, 'plain'), '', false],
    ['sh', '/bin:/usr/bin', true],
    // a shell word that is not a file: a builtin, or an injection attempt
    ['cd', '/nonexistent', false],
    ['tool; true', bin, false],
  ];
  it.each(CASES)('%s on %s: %s', (name, pathVar, found) => {
    expect(onPath(name, pathVar)).toBe(found);
  });

  it('reads process.env.PATH when called without one', () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = bin;
      expect(onPath('tool')).toBe(true);
      process.env.PATH = '/nonexistent';
      expect(onPath('tool')).toBe(false);
    } finally {
      process.env.PATH = saved;
    }
  });
});
