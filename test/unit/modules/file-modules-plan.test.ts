import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FileState } from '../../../src/facts/file-state.js';
import { decidePlacement } from '../../../src/modules/common/place-content.js';
import { decideTextEdit } from '../../../src/modules/common/text-edit.js';
import { editIni } from '../../../src/modules/common/ini-edit.js';
import { editLines } from '../../../src/modules/common/lineinfile-edit.js';
import { fileModule, planFile, parseTree, treeCommand } from '../../../src/modules/file.js';
import { copyModule } from '../../../src/modules/copy.js';
import { lineinfileModule } from '../../../src/modules/lineinfile.js';
import { iniFileModule } from '../../../src/modules/ini_file.js';
import { statModule, statResult } from '../../../src/modules/stat.js';
import { templateModule } from '../../../src/modules/template.js';
import { getModule } from '../../../src/modules/registry.js';
import { ModuleError } from '../../../src/util/errors.js';
import { atomicWriteScript } from '../../../src/modules/common/atomic-write.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const absent = (path: string): FileState => ({ path, exists: false });
const dir = (path: string, over: Partial<FileState> = {}): FileState => ({ path, exists: true, type: 'directory', mode: '0755', uid: 0, gid: 0, owner: 'root', group: 'root', ...over });
const reg = (path: string, content: string, over: Partial<FileState> = {}): FileState => ({
  path, exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', size: Buffer.byteLength(content), checksum: sha(content), checksumAlgorithm: 'sha256', content: Buffer.from(content), ...over,
});
const summaries = (p: { changes: { summary: string }[] }) => p.changes.map((c) => c.summary);

describe('registration and schemas', () => {
  it('registers every file module under its name and ansible.builtin.*', () => {
    for (const m of [fileModule, copyModule, templateModule, lineinfileModule, iniFileModule, statModule]) {
      expect(getModule(m.name)).toBe(m);
      expect(getModule(`ansible.builtin.${m.name}`)).toBe(m);
    }
    expect(getModule('community.general.ini_file')).toBe(iniFileModule);
  });

  it('accepts Ansible argument names and spellings', () => {
    expect(fileModule.schema.parse({ dest: '/x', state: 'directory', mode: '0755', owner: 0, recurse: 'yes' })).toMatchObject({ dest: '/x', recurse: true, owner: 0 });
    expect(lineinfileModule.schema.parse({ name: '/x', line: 'a' })).toMatchObject({ name: '/x', state: 'present', create: false });
    expect(iniFileModule.schema.parse({ dest: '/x', section: 'DEFAULT', option: 'debug', value: true })).toMatchObject({ create: true, exclusive: true });
    expect(statModule.schema.parse({ path: '/x' })).toMatchObject({ get_checksum: true, checksum_algorithm: 'sha1', follow: false });
    expect(copyModule.schema.parse({ dest: '/x', content: 'a', force: 'no' })).toMatchObject({ force: false, backup: false });
  });

  it('rejects what Ansible rejects, with a message', () => {
    const err = (m: { schema: { safeParse(v: unknown): { success: boolean; error?: { message: string } } } }, v: unknown) => {
      const r = m.schema.safeParse(v);
      expect(r.success).toBe(false);
      return r.error!.message;
    };
    expect(err(fileModule, { path: '/a', dest: '/b' })).toMatch(/aliases/);
    expect(err(fileModule, { state: 'link', path: '/a' })).toMatch(/src is required/);
    expect(err(fileModule, { path: '/a', bogus: 1 })).toMatch(/bogus|Unrecognized/);
    expect(err(copyModule, { dest: '/a' })).toMatch(/exactly one of src or content/);
    expect(err(copyModule, { dest: '/a', content: 'x', validate: 'visudo -c' })).toMatch(/%s/);
    expect(err(lineinfileModule, { path: '/a' })).toMatch(/line is required/);
    expect(err(lineinfileModule, { path: '/a', line: 'x', regexp: '(' })).toMatch(/invalid regular expression/);
    expect(err(lineinfileModule, { path: '/a', line: 'x', insertafter: 'a', insertbefore: 'b' })).toMatch(/mutually exclusive/);
    expect(err(iniFileModule, { path: '/a', section: 's', option: 'o' })).toMatch(/value is required/);
    expect(err(fileModule, { path: '/a', mode: 644 })).toMatch(/decimal number/);
    expect(err(copyModule, { dest: '/a', content: 'x', mode: 'rw-r--r--' })).toMatch(/invalid mode/);
    expect(copyModule.schema.safeParse({ dest: '/a', src: 'x', mode: 'preserve' }).success).toBe(true);
  });
});

describe('file: planFile from recorded facts', () => {
  const args = (a: Record<string, unknown>) => fileModule.schema.parse(a);

  it('directory: create with mode and owner', () => {
    const p = planFile(args({ path: '/srv/app', state: 'directory', mode: '0750', owner: 'www-data' }), { path: absent('/srv/app'), parent: dir('/srv') });
    expect(summaries(p)).toEqual(['create directory /srv/app', '/srv/app: mode 0750', '/srv/app: owner/group www-data']);
    // Each directory created on the way gets the attributes (as Ansible does), not only /srv/app.
    expect(p.data.commands).toEqual(['for d in /srv /srv/app; do [ -e "$d" ] || if mkdir -- "$d" 2>/dev/null; then chown -- www-data "$d" && chmod -- 0750 "$d" || exit 1; elif [ ! -d "$d" ]; then mkdir -- "$d"; exit 1; fi; done']);
  });

  it('directory: exists with the right attributes -> no change; wrong mode -> chmod only', () => {
    expect(planFile(args({ path: '/srv/app/', state: 'directory', mode: '0755' }), { path: dir('/srv/app') }).changes).toEqual([]);
    const p = planFile(args({ path: '/srv/app', state: 'directory', mode: 'u=rwx,g=rx,o=' }), { path: dir('/srv/app') });
    expect(summaries(p)).toEqual(['/srv/app: mode 0755 -> 0750']);
    expect(p.data.commands).toEqual(['chmod -- 0750 /srv/app']);
  });

  it('directory over a file fails clearly', () => {
    expect(() => planFile(args({ path: '/x', state: 'directory' }), { path: reg('/x', '') })).toThrow(/exists and is a file, not a directory/);
  });

  it('directory recurse counts entries that differ', () => {
    const tree = parseTree('f\troot\troot\t0\t0\t644\nd\troot\troot\t0\t0\t755\nf\tsvc\tsvc\t999\t999\t600\nl\troot\troot\t0\t0\t777\n');
    const p = planFile(args({ path: '/d', state: 'directory', recurse: true, owner: 'svc', mode: 'u=rwX,g=rX,o=' }), { path: dir('/d', { owner: 'svc', mode: '0750' }), tree });
    expect(summaries(p)).toEqual(['/d/*: owner -> svc on 3 entries', '/d/*: mode -> u=rwX,g=rX,o= on 3 entries']);
    expect(p.data.commands).toEqual(["chown -R -- svc /d", 'chmod -R -- u=rwX,g=rX,o= /d']);
    expect(treeCommand('/d')).toContain('-mindepth 1');
  });

  it('touch: creates when absent, only attributes when present (idempotent, unlike Ansible)', () => {
    const a = args({ path: '/var/log/x.log', state: 'touch', mode: '0640' });
    expect(summaries(planFile(a, { path: absent('/var/log/x.log'), parent: dir('/var/log') }))).toEqual(['create empty file /var/log/x.log', '/var/log/x.log: mode 0640']);
    expect(planFile(a, { path: reg('/var/log/x.log', '', { mode: '0640' }), parent: dir('/var/log') }).changes).toEqual([]);
    expect(() => planFile(a, { path: absent('/var/log/x.log'), parent: absent('/var/log') })).toThrow(/does not exist/);
  });

  it('absent: removes what exists, nothing otherwise', () => {
    expect(planFile(args({ path: '/x', state: 'absent' }), { path: dir('/x') }).data.commands).toEqual(['rm -rf -- /x']);
    expect(planFile(args({ path: '/x', state: 'absent' }), { path: absent('/x') }).changes).toEqual([]);
  });

  it('file: absent path is an error (use touch)', () => {
    expect(() => planFile(args({ path: '/x', mode: '0600' }), { path: absent('/x') })).toThrow(ModuleError);
  });

  it('state defaults: existing directory stays a directory; src means link', () => {
    expect(planFile(args({ path: '/x', mode: '0700' }), { path: dir('/x') }).data.result.state).toBe('directory');
    const p = planFile(args({ path: '/etc/nginx/sites-enabled/a', src: '/etc/nginx/sites-available/a' }), { path: absent('/etc/nginx/sites-enabled/a'), src: reg('/etc/nginx/sites-available/a', '') });
    expect(summaries(p)).toEqual(['create symlink /etc/nginx/sites-enabled/a -> /etc/nginx/sites-available/a']);
  });

  it('link: same target -> ok; other target -> relink; file -> needs force; missing src -> needs force', () => {
    const a = args({ path: '/l', src: 't', state: 'link' });
    const link = (target: string): FileState => ({ path: '/l', exists: true, type: 'link', mode: '0777', linkTarget: target, uid: 0, gid: 0, owner: 'root', group: 'root' });
    expect(planFile(a, { path: link('t'), src: reg('/t', '') }).changes).toEqual([]);
    const re = planFile(a, { path: link('old'), src: reg('/t', '') });
    expect(summaries(re)).toEqual(['relink /l: old -> t']);
    expect(re.data.commands).toEqual(['ln -sfn -- t /l']);
    expect(() => planFile(a, { path: reg('/l', 'x'), src: reg('/t', '') })).toThrow(/refusing to convert file \/l to a symlink/);
    const forced = planFile(args({ path: '/l', src: 't', state: 'link', force: true }), { path: reg('/l', 'x'), src: absent('/t') });
    expect(forced.data.commands).toEqual(['rm -f -- /l', 'ln -sfn -- t /l']);
    expect(() => planFile(a, { path: absent('/l'), src: absent('/t') })).toThrow(/src file t does not exist/);
  });

  it('link: owner applies to the link itself (chown -h)', () => {
    const p = planFile(args({ path: '/l', src: '/t', state: 'link', owner: 'nobody' }), { path: absent('/l'), src: reg('/t', '') });
    expect(p.data.commands).toEqual(['ln -sfn -- /t /l', 'chown -h -- nobody /l']);
  });

  it('hard: same inode -> ok, else ln -f', () => {
    const a = args({ path: '/h', src: '/t', state: 'hard' });
    const t = reg('/t', 'x', { inode: 5, dev: 1 });
    expect(planFile(a, { path: reg('/h', 'x', { inode: 5, dev: 1 }), src: t }).changes).toEqual([]);
    expect(planFile(a, { path: reg('/h', 'x', { inode: 6, dev: 1 }), src: t }).data.commands).toEqual(['ln -f -- /t /h']);
    expect(() => planFile(a, { path: absent('/h'), src: absent('/t') })).toThrow(/does not exist/);
  });
});

describe('copy/template placement from recorded facts', () => {
  const base = { content: Buffer.from('new\n'), force: true };

  it('new file: create with a diff from empty', () => {
    const p = decidePlacement({ ...base, dest: '/etc/motd', mode: '0644' }, { dest: absent('/etc/motd'), parent: dir('/etc') });
    expect(summaries(p)).toEqual(['create /etc/motd (4 B)']);
    expect(p.changes[0]!.diff).toEqual({ path: '/etc/motd', before: '', after: 'new\n' });
    expect(p.data!.write).toMatchObject({ mode: '0644' });
  });

  it('same sha256: no transfer, no change', () => {
    const p = decidePlacement({ ...base, dest: '/etc/motd' }, { dest: reg('/etc/motd', 'new\n', { content: undefined }), parent: dir('/etc') });
    expect(p.changes).toEqual([]);
    expect(p.data!.write).toBeUndefined();
    expect(p.result).toMatchObject({ changed: false, dest: '/etc/motd', mode: '0644' });
  });

  it('same content, other mode and owner: attributes only', () => {
    const p = decidePlacement({ ...base, dest: '/etc/motd', mode: '0600', owner: 'nobody' }, { dest: reg('/etc/motd', 'new\n'), parent: dir('/etc') });
    expect(summaries(p)).toEqual(['/etc/motd: owner root -> nobody', '/etc/motd: mode 0644 -> 0600']);
    expect(p.data!.write).toBeUndefined();
    expect(p.data!.attrs).toEqual({ chmod: '0600', chown: 'nobody' });
  });

  it('different content: update with before/after diff (when content was fetched)', () => {
    const p = decidePlacement({ ...base, dest: '/etc/motd' }, { dest: reg('/etc/motd', 'old\n'), parent: dir('/etc') });
    expect(p.changes).toEqual([{ summary: 'update /etc/motd (4 B -> 4 B)', diff: { path: '/etc/motd', before: 'old\n', after: 'new\n' } }]);
    const noDiff = decidePlacement({ ...base, dest: '/etc/motd' }, { dest: reg('/etc/motd', 'old\n', { content: undefined }), parent: dir('/etc') });
    expect(noDiff.changes[0]!.diff).toBeUndefined();
  });

  it('binary and huge content: summary only', () => {
    const bin = decidePlacement({ ...base, content: Buffer.from([0, 1, 2]), dest: '/b' }, { dest: absent('/b'), parent: dir('/') });
    expect(summaries(bin)).toEqual(['create /b (3 B) (binary file, diff not shown)']);
    const big = decidePlacement({ ...base, dest: '/b' }, { dest: reg('/b', 'x', { content: undefined, contentTooLarge: true }), parent: dir('/') });
    expect(big.changes[0]!.diff).toBeUndefined();
  });

  it('force: false leaves an existing file alone', () => {
    const p = decidePlacement({ ...base, dest: '/etc/motd', force: false, mode: '0600' }, { dest: reg('/etc/motd', 'old\n'), parent: dir('/etc') });
    expect(p.changes).toEqual([]);
  });

  it('dest directory receives dest/basename(src); dest/ is created when missing', () => {
    const inDir = decidePlacement({ ...base, dest: '/opt', srcName: 'app.conf' }, { dest: dir('/opt'), inDir: absent('/opt/app.conf'), parent: dir('/') });
    expect(summaries(inDir)).toEqual(['create /opt/app.conf (4 B)']);
    const slash = decidePlacement({ ...base, dest: '/opt/new/', srcName: 'app.conf' }, { dest: absent('/opt/new/'), inDir: absent('/opt/new/app.conf'), parent: dir('/opt') });
    expect(summaries(slash)).toEqual(['create directory /opt/new', 'create /opt/new/app.conf (4 B)']);
  });

  it('missing parent directory is an error naming it', () => {
    expect(() => decidePlacement({ ...base, dest: '/nope/x' }, { dest: absent('/nope/x'), parent: absent('/nope') })).toThrow('destination directory /nope does not exist');
  });

  it('a symlink at dest is replaced (follow: false) or written through (follow: true)', () => {
    const link: FileState = { path: '/l', exists: true, type: 'link', mode: '0777', linkTarget: 't' };
    expect(summaries(decidePlacement({ ...base, dest: '/l' }, { dest: link, parent: dir('/') }))).toEqual(['replace link /l with a file (4 B)']);
    const followed = decidePlacement({ ...base, dest: '/l', follow: true }, { dest: reg('/l', 'old\n', { realPath: '/t' }), parent: dir('/') });
    expect(followed.data!.dest).toBe('/t');
  });
});

describe('lineinfile/ini_file planning from recorded facts', () => {
  const edit = { follow: true, create: false, skipWhenMissing: false, missingMessage: 'Destination /etc/x does not exist!' };

  it('lineinfile: change with diff; already present: no change', () => {
    const e = (t: string) => editLines(t, { state: 'present', line: 'b' });
    const p = decideTextEdit({ ...edit, path: '/etc/x' }, reg('/etc/x', 'a\n'), dir('/etc'), e);
    expect(p.changes).toEqual([{ summary: 'update /etc/x (2 B -> 4 B)', diff: { path: '/etc/x', before: 'a\n', after: 'a\nb\n' } }]);
    expect(p.data!.write!.content.toString()).toBe('a\nb\n');
    const ok = decideTextEdit({ ...edit, path: '/etc/x' }, reg('/etc/x', 'a\nb\n'), dir('/etc'), e);
    expect(ok.changes).toEqual([]);
    expect(ok.result).toMatchObject({ changed: false, path: '/etc/x' });
  });

  it('missing file: error without create, created (with parents) with create', () => {
    const e = (t: string) => editLines(t, { state: 'present', line: 'b' });
    expect(() => decideTextEdit({ ...edit, path: '/etc/x' }, absent('/etc/x'), dir('/etc'), e)).toThrow('Destination /etc/x does not exist!');
    const p = decideTextEdit({ ...edit, create: true, path: '/etc/new/x', mode: '0600' }, absent('/etc/new/x'), absent('/etc/new'), e);
    expect(summaries(p)).toEqual(['create directory /etc/new', 'create /etc/new/x (2 B)']);
    expect(p.data!.write).toMatchObject({ mode: '0600' });
  });

  it('state absent on a missing file: nothing to do', () => {
    const p = decideTextEdit({ ...edit, skipWhenMissing: true, path: '/etc/x' }, absent('/etc/x'), dir('/etc'), () => { throw new Error('not called'); });
    expect(p.changes).toEqual([]);
  });

  it('ini_file: keystone.conf edit produces a one-line diff and is stable', () => {
    const before = '[DEFAULT]\n[database]\n#connection = <None>\n';
    const e = (t: string) => editIni(t, { state: 'present', section: 'database', option: 'connection', value: 'sqlite:////var/lib/keystone/keystone.db' });
    const p = decideTextEdit({ ...edit, follow: false, path: '/etc/keystone/keystone.conf', owner: 'keystone' }, reg('/etc/keystone/keystone.conf', before, { owner: 'keystone' }), dir('/etc/keystone'), e);
    const after = p.changes[0]!.diff!.after;
    expect(after).toBe('[DEFAULT]\n[database]\nconnection = sqlite:////var/lib/keystone/keystone.db\n');
    const again = decideTextEdit({ ...edit, path: '/etc/keystone/keystone.conf' }, reg('/etc/keystone/keystone.conf', after), dir('/etc/keystone'), e);
    expect(again.changes).toEqual([]);
  });

  it('latin1 files are edited without corrupting their bytes', () => {
    const raw = Buffer.from([0x61, 0xe9, 0x0a]); // "a\xe9\n" — not valid UTF-8
    const st: FileState = { ...reg('/x', ''), content: raw, checksum: sha(raw), size: 3 };
    const p = decideTextEdit({ ...edit, path: '/x' }, st, dir('/'), (t) => editLines(t, { state: 'present', line: 'z' }));
    expect([...p.data!.write!.content]).toEqual([0x61, 0xe9, 0x0a, 0x7a, 0x0a]);
  });
});

describe('stat result', () => {
  it('maps a FileState to Ansible names', () => {
    const s = statResult({ ...reg('/etc/keystone/fernet-keys', ''), type: 'directory', mode: '0700', owner: 'keystone', group: 'keystone', uid: 999, gid: 999, checksum: undefined, readable: true, writeable: true, executable: true });
    expect(s).toMatchObject({ exists: true, isdir: true, isreg: false, islnk: false, mode: '0700', pw_name: 'keystone', gr_name: 'keystone', uid: 999, rusr: true, roth: false, readable: true });
    expect(s).not.toHaveProperty('checksum');
    expect(statResult({ path: '/x', exists: false })).toEqual({ exists: false });
    const l = statResult({ path: '/etc/l', exists: true, type: 'link', mode: '0777', linkTarget: '../t', uid: 0, gid: 0 });
    expect(l).toMatchObject({ islnk: true, lnk_target: '../t', lnk_source: '/t', pw_name: '0' });
  });
});

describe('atomic write script', () => {
  it('orders the steps: temp in the same dir, write, fsync, owner, mode, validate, backup, rename', () => {
    const s = atomicWriteScript({ dest: '/etc/sudoers.d/lab', content: 'secret', owner: 'root', group: 'root', mode: '0440', validate: 'visudo -cf %s', backup: true });
    const at = (needle: string) => {
      const i = s.indexOf(needle);
      expect(i, needle).toBeGreaterThan(-1);
      return i;
    };
    const order = [
      at('mktemp -- "$d/.lab.drover-XXXXXX"'),
      at('cat > "$tmp"'),
      at('sync -- "$tmp"'),
      at("chown -- root:root \"$tmp\""),
      at('chmod -- 0440 "$tmp"'),
      at('visudo -cf "$tmp"'),
      at('cp -p -- "$dest"'),
      at('mv -f -- "$tmp" "$dest"'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(s).not.toContain('secret'); // content goes on stdin
    expect(s.startsWith('(')).toBe(true);
  });
});

// A file that is a mount point (Docker's /etc/hosts is a bind mount) cannot be renamed over.
describe.skipIf(process.getuid?.() !== 0)('atomic write over a bind-mounted file (root: needs mount)', () => {
  it('fails with the hint by default; unsafe_writes writes it in place, as Ansible does', async () => {
    const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const d = mkdtempSync(join(tmpdir(), 'drover-bind-'));
    const hosts = join(d, 'hosts');
    writeFileSync(hosts, 'placeholder\n');
    writeFileSync(join(d, 'real-hosts'), '172.17.0.4\tcontroller\n');
    expect(spawnSync('mount', ['--bind', join(d, 'real-hosts'), hosts]).status).toBe(0);
    try {
      const run = (unsafeWrites: boolean) => spawnSync('bash', ['-c', atomicWriteScript({ dest: hosts, content: 'x', unsafeWrites })], { input: '192.168.1.11 controller\n', encoding: 'utf8' });
      const safe = run(false);
      expect(safe.status).toBe(1);
      expect(safe.stderr).toMatch(/rename of .* to .*hosts failed \(a mount point .* set unsafe_writes: true\)/);
      expect(readFileSync(hosts, 'utf8')).toBe('172.17.0.4\tcontroller\n');
      const unsafe = run(true);
      expect(unsafe.status, unsafe.stderr).toBe(0);
      expect(unsafe.stderr).toMatch(/writing it in place \(unsafe_writes\)/);
      expect(readFileSync(hosts, 'utf8')).toBe('192.168.1.11 controller\n');
      expect(readFileSync(join(d, 'real-hosts'), 'utf8')).toBe('192.168.1.11 controller\n');
      // No temp file left behind.
      expect(spawnSync('sh', ['-c', `ls -A ${d} | grep -c drover`], { encoding: 'utf8' }).stdout.trim()).toBe('0');
    } finally {
      spawnSync('umount', [hosts]);
      rmSync(d, { recursive: true, force: true });
    }
  });
});
