import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../helpers/fake-digitalocean.js';

/**
 * `drover droplet down` on a real terminal (a pty from util-linux `script`):
 * it lists what it will delete and deletes only after "yes".
 */

const TOKEN = 'tty-test-token-0123456789';
const TSX = path.resolve('node_modules/.bin/tsx');
const CLI = path.resolve('test/integration/digitalocean/run-cli.ts');
let fake: FakeDigitalOcean;
let spec: string;

beforeEach(async () => {
  fake = await startFakeDigitalOcean({ token: TOKEN });
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-tty-'));
  spec = path.join(dir, 'droplets.yaml');
  writeFileSync(spec, 'name: tty\nregion: fra1\nsize: s-1vcpu-1gb\nimage: debian-12-x64\ndroplets:\n  - name: a\n  - name: b\n');
  fake.seedDroplet({ name: 'a', tags: ['drover:tty'] });
  fake.seedDroplet({ name: 'b', tags: ['drover:tty'] });
  fake.seedDroplet({ name: 'a', tags: [] });
});
afterEach(async () => {
  await fake.stop();
});

function onTty(answer: string): Promise<{ code: number | null; out: string }> {
  const cmd = [TSX, CLI, 'droplet', 'down', spec, '--poll-interval', '20'].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: fake.url } });
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
    // Answer once the question is on the screen.
    if (out.includes('Type "yes"') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('droplet down on a terminal', () => {
  it('"no" deletes nothing', async () => {
    const r = await onTty('no');
    expect(r.out).toMatch(/will delete: a \(id \d+\)[\s\S]*will delete: b/);
    expect(r.out).toMatch(/aborted; nothing deleted/);
    expect(r.code).toBe(1);
    expect(fake.droplets.size).toBe(3);
  }, 60_000);

  it('"yes" deletes the two tagged droplets, not the untagged namesake', async () => {
    const r = await onTty('yes');
    expect(r.out).toMatch(/Delete these 2 droplet\(s\) of tty\? Type "yes": /);
    expect(r.out).toMatch(/deleted b/);
    expect(r.code).toBe(0);
    expect([...fake.droplets.values()].map((d) => [d.name, d.tags])).toEqual([['a', []]]);
    expect(r.out).not.toContain(TOKEN);
  }, 60_000);
});
