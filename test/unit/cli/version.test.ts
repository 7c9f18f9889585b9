import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('drover --version', () => {
  it("the CLI's version is package.json's, which the launcher prints without loading the CLI", async () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    try {
      await main(['node', 'drover', '--version']);
    } finally {
      process.stdout.write = write;
    }
    expect(out.trim()).toBe(pkg.version);
    const launcher = spawnSync(process.execPath, [new URL('../../../bin/drover.js', import.meta.url).pathname, '--version'], { encoding: 'utf8' });
    expect(launcher.status).toBe(0);
    expect(launcher.stdout).toBe(`${pkg.version}\n`);
    const short = spawnSync(process.execPath, [new URL('../../../bin/drover.js', import.meta.url).pathname, '-V'], { encoding: 'utf8' });
    expect(short.stdout).toBe(`${pkg.version}\n`);
  });
});
