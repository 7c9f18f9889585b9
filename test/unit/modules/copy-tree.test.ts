/**
 * copy with a directory src: the controller walk (Ansible's _walk_dirs:
 * trailing slash, local_follow, links that point back up the tree), a
 * vault-encrypted file in a tree (copied decrypted, no diff), and what
 * `drover check` says about a directory src (accepted; a missing one and an
 * undecryptable file in one are exit-4 errors). Planning against host state
 * is in cases/copy.yaml.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { walkSourceTree } from '../../../src/modules/common/copy-tree.js';
import { copyModule } from '../../../src/modules/copy.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { loadPlaybook, validatePlaybook } from '../../../src/playbook/index.js';
import { setVaultKeyring, vaultEncrypt, VaultKeyring } from '../../../src/util/vault.js';
import { recordedContext } from './recorded-context.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-copy-tree-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  setVaultKeyring(new VaultKeyring([]));
});

function seed(files: Record<string, string | { link: string } | { dir: true }>): void {
  for (const [rel, v] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    if (typeof v === 'string') writeFileSync(p, v);
    else if ('link' in v) symlinkSync(v.link, p);
    else mkdirSync(p, { recursive: true });
  }
}

describe('walkSourceTree', () => {
  beforeEach(() =>
    seed({
      'tree/a.txt': 'a\n',
      'tree/sub/b.txt': 'b\n',
      'tree/empty': { dir: true },
      'tree/link.txt': { link: 'a.txt' },
      'tree/dirlink': { link: 'sub' },
      'tree/up': { link: '..' },
      'tree/sub/loop': { link: '../' },
      'tree/dangling': { link: 'nowhere' },
    }),
  );

  it('without a trailing slash, paths start with the directory name; links are followed except dangling and circular ones (a link to an ancestor of the tree, which sends ansible-core into endless recursion, is kept as a link)', () => {
    const t = walkSourceTree(join(dir, 'tree'), false, true);
    expect(t.files.map((f) => [f.rel, f.abs.slice(dir.length)])).toEqual([
      ['tree/a.txt', '/tree/a.txt'],
      ['tree/dirlink/b.txt', '/tree/sub/b.txt'],
      ['tree/link.txt', '/tree/a.txt'],
      ['tree/sub/b.txt', '/tree/sub/b.txt'],
    ]);
    expect(t.dirs).toEqual(['tree/dirlink', 'tree/empty', 'tree/sub']);
    expect(t.links).toEqual([
      { rel: 'tree/dangling', target: 'nowhere' },
      { rel: 'tree/dirlink/loop', target: '../' },
      { rel: 'tree/sub/loop', target: '../' },
      { rel: 'tree/up', target: '..' },
    ]);
  });

  it('with a trailing slash, paths are relative to the directory; local_follow false keeps every link', () => {
    const t = walkSourceTree(join(dir, 'tree') + '/', true, false);
    expect(t.files.map((f) => f.rel)).toEqual(['a.txt', 'sub/b.txt']);
    expect(t.dirs).toEqual(['empty', 'sub']);
    expect(t.links.map((l) => `${l.rel} -> ${l.target}`)).toEqual(['dangling -> nowhere', 'dirlink -> sub', 'link.txt -> a.txt', 'sub/loop -> ../', 'up -> ..']);
  });
});

describe('a vault-encrypted file in a directory src', () => {
  it('is copied decrypted, and its change shows no diff', async () => {
    const password = 'tree-vault-pw';
    seed({ 'tree/plain.txt': 'plain\n', 'tree/secret.conf': vaultEncrypt('key = s3cret-in-a-tree\n', password) });
    setVaultKeyring(new VaultKeyring([{ id: 'default', password: Buffer.from(password) }]));
    const r = recordedContext([], { diff: true }, { files: { '/srv': { type: 'directory', mode: '0755' }, '/srv/out': { type: 'directory', mode: '0755' } } });
    const args = copyModule.schema.parse({ src: join(dir, 'tree/'), dest: '/srv/out' });
    const plan = await copyModule.plan(r.ctx, args);
    expect(plan.changes.map((c) => c.summary)).toEqual(['create /srv/out/plain.txt (6 B)', 'create /srv/out/secret.conf (23 B) (diff hidden: the src is vault-encrypted)']);
    expect(plan.changes[0]!.diff).toBeDefined();
    expect(plan.changes[1]!.diff).toBeUndefined();
    const answers = [{ stdout: '@drover-written\n' }, { stdout: '@drover-written\n' }];
    const r2 = recordedContext(answers, {}, {});
    await copyModule.apply(r2.ctx, args, plan);
    expect(r2.sent.map((s) => String(s.opts?.stdin))).toEqual(['plain\n', 'key = s3cret-in-a-tree\n']);
  });
});

describe('drover check with a directory src', () => {
  async function check(tasks: string[]): Promise<string[]> {
    writeFileSync(join(dir, 'hosts.ini'), 'h1 ansible_connection=local\n');
    writeFileSync(join(dir, 'site.yaml'), ['- hosts: all', '  tasks:', ...tasks, ''].join('\n'));
    const inv = await loadInventory([join(dir, 'hosts.ini')], { playbookDir: dir });
    return validatePlaybook(loadPlaybook(join(dir, 'site.yaml')), inv, {}).map((e) => e.message);
  }

  it('accepts a directory (with or without the trailing slash) in files/, and reports a missing one', async () => {
    seed({ 'files/conf.d/a.conf': 'a\n' });
    expect(await check(['    - copy: {src: conf.d, dest: /etc/x}', '    - copy: {src: conf.d/, dest: /etc/x/}'])).toEqual([]);
    const errors = await check(['    - copy: {src: nope.d/, dest: /etc/x/}']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/site\.yaml:3:\d+: file not found: nope\.d\//);
  });

  it('reports a vault-encrypted file in the directory that cannot be decrypted', async () => {
    seed({ 'files/conf.d/a.conf': 'a\n', 'files/conf.d/sub/secret.conf': vaultEncrypt('x\n', 'pw') });
    const errors = await check(['    - copy: {src: conf.d, dest: /etc/x}']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/site\.yaml:3:\d+: conf\.d\/sub\/secret\.conf: this file is vault-encrypted/);
    expect(await check(['    - copy: {src: conf.d, dest: /etc/x, decrypt: false}'])).toEqual([]);
  });
});

describe('copy dest with ~', () => {
  it("is the user's home on the host, for a file and for a tree", async () => {
    seed({ 'tree/a.txt': 'a\n' });
    const expandUser = async (p: string) => p.replace(/^~(?=\/|$)/, '/home/app');
    for (const [src, want] of [
      [join(dir, 'tree/a.txt'), 'create /home/app/conf/a.txt (2 B)'],
      [join(dir, 'tree'), 'create /home/app/conf/tree/a.txt (2 B)'],
    ] as const) {
      const r = recordedContext([], { expandUser }, { files: { '/home/app': { type: 'directory', mode: '0755' }, '/home/app/conf': { type: 'directory', mode: '0755' } } });
      const plan = await copyModule.plan(r.ctx, copyModule.schema.parse({ src, dest: '~/conf/' }));
      expect(plan.changes.map((c) => c.summary)).toContain(want);
    }
  });
});
