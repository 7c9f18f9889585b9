/**
 * file and stat for real (real sshd, real SSH transport, login user
 * drover-t1, become root where ownership changes), and the atomic writer
 * against a full filesystem (a 64 KiB tmpfs mounted by the test, as root).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileModule } from '../../../src/modules/file.js';
import { statModule } from '../../../src/modules/stat.js';
import { copyModule } from '../../../src/modules/copy.js';
import { lineinfileModule } from '../../../src/modules/lineinfile.js';
import { atomicWrite } from '../../../src/modules/common/atomic-write.js';
import type { Module } from '../../../src/modules/types.js';
import { ModuleError } from '../../../src/util/errors.js';
import { useSshdTarget } from '../../helpers/sshd-fixture.js';
import { runModule, summaries, type TaskContextOptions } from '../../helpers/task-context.js';

const { sh, ctx, fresh, listing } = useSshdTarget('fs');

async function checkApplyIdempotent(m: Module, args: Record<string, unknown>, o: TaskContextOptions = {}) {
  const predicted = await runModule(m, args, ctx({ ...o, check: true }));
  expect(predicted.changed).toBe(true);
  const real = await runModule(m, args, ctx(o));
  expect(summaries(real.plan)).toEqual(summaries(predicted.plan));
  const again = await runModule(m, args, ctx(o));
  expect(again.plan.changes).toEqual([]);
  return { predicted, real, again };
}

describe('file', () => {
  it('directory with mode: check predicts and creates nothing; apply; idempotent', async () => {
    const d = await fresh();
    const path = `${d}/a/b`;
    const check = await runModule(fileModule, { path, state: 'directory', mode: '0750' }, ctx({ check: true }));
    expect(summaries(check.plan)).toEqual([`create directory ${path}`, `${path}: mode 0750`]);
    expect(await listing(d)).toEqual([]);
    await checkApplyIdempotent(fileModule, { path, state: 'directory', mode: '0750' });
    expect(await sh(`stat -c %a ${path}`)).toBe('750\n');
  });

  it('touch creates once and is then idempotent (drover semantics)', async () => {
    const d = await fresh();
    await checkApplyIdempotent(fileModule, { path: `${d}/f`, state: 'touch', mode: 'u=rw,g=r,o=' });
    expect(await sh(`stat -c '%a %s' ${d}/f`)).toBe('640 0\n');
  });

  it('link and hard link; relink to another target', async () => {
    const d = await fresh();
    await sh(`echo x > ${d}/t1; echo y > ${d}/t2`);
    await checkApplyIdempotent(fileModule, { path: `${d}/l`, src: 't1', state: 'link' });
    expect(await sh(`readlink ${d}/l`)).toBe('t1\n');
    const re = await checkApplyIdempotent(fileModule, { path: `${d}/l`, src: 't2', state: 'link' });
    expect(summaries(re.real.plan)).toEqual([`relink ${d}/l: t1 -> t2`]);
    await checkApplyIdempotent(fileModule, { path: `${d}/h`, src: `${d}/t1`, state: 'hard' });
    expect(await sh(`stat -c %i ${d}/h ${d}/t1 | uniq | wc -l`)).toBe('1\n');
    await expect(runModule(fileModule, { path: `${d}/t2`, src: 't1', state: 'link' }, ctx())).rejects.toThrow(/refusing to convert file/);
    await expect(runModule(fileModule, { path: `${d}/x`, src: 'missing', state: 'link' }, ctx())).rejects.toThrow(/does not exist/);
  });

  it('absent removes a tree; file on a missing path fails', async () => {
    const d = await fresh();
    await sh(`mkdir -p ${d}/tree/sub && touch ${d}/tree/sub/f`);
    await checkApplyIdempotent(fileModule, { path: `${d}/tree`, state: 'absent' });
    expect(await listing(d)).toEqual([]);
    await expect(runModule(fileModule, { path: `${d}/nope`, mode: '0600' }, ctx())).rejects.toThrow(/is absent, cannot continue/);
  });

  it('recurse: owner and symbolic mode on a tree (become root)', async () => {
    const d = await fresh();
    await sh(`mkdir -p ${d}/srv/sub && echo a > ${d}/srv/sub/f && chmod 600 ${d}/srv/sub/f && ln -s sub/f ${d}/srv/l`);
    const args = { path: `${d}/srv`, state: 'directory', recurse: true, owner: 'drover-t2', mode: 'u=rwX,g=rX,o=' };
    const r = await checkApplyIdempotent(fileModule, args, { becomeUser: 'root' });
    expect(summaries(r.real.plan)).toContain(`${d}/srv/*: owner -> drover-t2 on 3 entries`);
    expect(await sh(`cd ${d}/srv && stat -c '%n %U %a' . sub sub/f && stat -c '%n %U' l`)).toBe('. drover-t2 750\nsub drover-t2 750\nsub/f drover-t2 640\nl drover-t2\n');
  });
});

describe('stat', () => {
  it('registers Ansible-shaped results, never changes', async () => {
    const d = await fresh();
    await sh(`printf 'abc' > ${d}/f; chmod 640 ${d}/f; ln -s f ${d}/l`);
    const f = await runModule(statModule, { path: `${d}/f` }, ctx());
    expect(f.changed).toBe(false);
    expect(f.result.stat).toMatchObject({
      exists: true, isreg: true, isdir: false, islnk: false, mode: '0640', pw_name: 'drover-t1', gr_name: 'drover-t1', size: 3,
      checksum: createHash('sha1').update('abc').digest('hex'), readable: true, writeable: true, executable: false,
    });
    const l = await runModule(statModule, { path: `${d}/l`, get_checksum: false }, ctx());
    expect(l.result.stat).toMatchObject({ exists: true, islnk: true, lnk_target: 'f' });
    const followed = await runModule(statModule, { path: `${d}/l`, follow: true, checksum_algorithm: 'sha256' }, ctx());
    expect(followed.result.stat).toMatchObject({ isreg: true, checksum: createHash('sha256').update('abc').digest('hex') });
    expect((await runModule(statModule, { path: `${d}/nope` }, ctx())).result).toEqual({ changed: false, stat: { exists: false } });
    const dir = await runModule(statModule, { path: d }, ctx());
    expect(dir.result.stat).toMatchObject({ isdir: true });
  });

  it('unreadable path: an error naming it, not "absent"', async () => {
    await expect(runModule(statModule, { path: '/root/.bashrc' }, ctx())).rejects.toThrow(/cannot read \/root\/.bashrc: .*Permission denied/);
  });
});

describe('atomic write on a full filesystem', () => {
  let mnt = '';
  beforeAll(() => {
    mnt = mkdtempSync('/tmp/drover-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0777', 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (!mnt) return;
    try {
      execFileSync('umount', [mnt]);
    } finally {
      rmdirSync(mnt);
    }
  });

  it('fails with a clear message; the original file is intact and no temp file is left', async () => {
    await sh(`printf 'original\\n' > ${mnt}/app.conf && dd if=/dev/zero of=${mnt}/filler bs=4k count=100 2>/dev/null; true`);
    expect(await sh(`cat ${mnt}/app.conf`)).toBe('original\n');
    const big = 'x'.repeat(200 * 1024);
    const err = await runModule(copyModule, { dest: `${mnt}/app.conf`, content: big }, ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(ModuleError);
    expect(err.message).toMatch(new RegExp(`write failed for ${mnt}/app.conf: .*No space left on device`, 's'));
    expect(err.message).toMatch(/disk full\?/);
    expect(await sh(`cat ${mnt}/app.conf`)).toBe('original\n');
    expect(await listing(mnt)).toEqual(['app.conf', 'filler']);
    // lineinfile goes through the same writer.
    await expect(runModule(lineinfileModule, { path: `${mnt}/app.conf`, line: big }, ctx())).rejects.toThrow(/No space left on device/);
    expect(await listing(mnt)).toEqual(['app.conf', 'filler']);
  });

  it('the writer itself: content travels on stdin, never in the command line', async () => {
    const sent: string[] = [];
    const c = ctx({ sent });
    const secret = 'db-password-5f0c9a';
    await sh(`rm -f ${mnt}/filler`);
    await atomicWrite(c.exec, { dest: `${mnt}/s.conf`, content: `password=${secret}\n`, mode: '0600' });
    expect(sent.join('\n')).not.toContain(secret);
    expect(await sh(`cat ${mnt}/s.conf; stat -c %a ${mnt}/s.conf`)).toBe(`password=${secret}\n600\n`);
  });
});
