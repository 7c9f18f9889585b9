/**
 * Two runs on one state directory (issue #15): neither loses the other's
 * pending handlers; the state file stays valid JSON throughout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunState } from '../../../src/engine/run-state.js';

describe('run state shared by concurrent runs', () => {
  it('two runs started together keep each other\'s notifications', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-state-'));
    const a = new RunState(dir, '/inv/hosts.ini');
    const b = new RunState(dir, '/inv/hosts.ini');
    a.add('web1', 'restart nginx');
    b.add('db1', 'restart mariadb');
    a.done('web1', 'restart nginx');
    const after = new RunState(dir, '/inv/hosts.ini');
    expect(after.pendingFor('db1')).toEqual(['restart mariadb']);
    expect(after.pendingFor('web1')).toEqual([]);
  });

  it('four processes adding 25 handlers each at once: all 100 survive, the file always parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-state-'));
    const script = join(dir, 'writer.ts');
    const src = resolve('src/engine/run-state.ts');
    writeFileSync(script, `import { RunState } from ${JSON.stringify(src)};\nconst s = new RunState(${JSON.stringify(dir)}, 'inv');\nfor (let i = 0; i < 25; i++) s.add(process.argv[2]!, 'h' + i);\n`);
    const tsx = resolve('node_modules/.bin/tsx');
    const runs = ['w1', 'w2', 'w3', 'w4'].map(
      (host) =>
        new Promise<number>((done) => {
          const p = spawn(tsx, [script, host], { stdio: ['ignore', 'ignore', 'inherit'] });
          p.on('close', (code) => done(code ?? 1));
        }),
    );
    // Meanwhile the file must always be complete JSON (atomic replace).
    const state = new RunState(dir, 'inv').path;
    let reads = 0;
    const poll = setInterval(() => {
      try {
        JSON.parse(readFileSync(state, 'utf8'));
        reads++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }, 2);
    const codes = await Promise.all(runs);
    clearInterval(poll);
    expect(codes).toEqual([0, 0, 0, 0]);
    const s = new RunState(dir, 'inv');
    for (const host of ['w1', 'w2', 'w3', 'w4']) expect(s.pendingFor(host)).toHaveLength(25);
    expect(reads).toBeGreaterThan(0);
  });
});
