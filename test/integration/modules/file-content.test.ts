/**
 * copy, template, lineinfile, ini_file for real: a real sshd on loopback, the
 * real SSH transport, login user drover-t1 (become root for ownership).
 * Each module: a fresh target is planned as a change (check mode predicts it
 * and writes nothing), apply, re-plan finds nothing to do, diff text is
 * right, no temp file is left behind.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyModule } from '../../../src/modules/copy.js';
import { iniFileModule } from '../../../src/modules/ini_file.js';
import { lineinfileModule } from '../../../src/modules/lineinfile.js';
import { templateModule } from '../../../src/modules/template.js';
import type { Module } from '../../../src/modules/types.js';
import { ModuleError } from '../../../src/util/errors.js';
import { useSshdTarget } from '../../helpers/sshd-fixture.js';
import { runModule, summaries, type TaskContextOptions } from '../../helpers/task-context.js';

const target = useSshdTarget('fc');
const { sh, fresh, listing } = target;
let role: string;
const ctx = (o: TaskContextOptions = {}) => target.ctx({ baseDir: role, ...o });

/** The contract every module here must keep, on a fresh target. */
async function checkApplyIdempotent(m: Module, args: Record<string, unknown>, o: TaskContextOptions = {}) {
  const predicted = await runModule(m, args, ctx({ ...o, check: true, diff: true }));
  expect(predicted.changed).toBe(true);
  const real = await runModule(m, args, ctx({ ...o, diff: true }));
  expect(summaries(real.plan)).toEqual(summaries(predicted.plan));
  expect(real.plan.changes.map((c) => c.diff)).toEqual(predicted.plan.changes.map((c) => c.diff));
  expect(real.changed).toBe(true);
  const sent: string[] = [];
  const again = await runModule(m, args, ctx({ ...o, sent }));
  expect(again.plan.changes).toEqual([]);
  expect(again.changed).toBe(false);
  expect(sent).toHaveLength(1); // one round trip to know nothing is to be done
  return { predicted, real, again };
}

beforeAll(() => {
  role = mkdtempSync(join(tmpdir(), 'drover-role-'));
  mkdirSync(join(role, 'files'));
  mkdirSync(join(role, 'templates'));
  writeFileSync(join(role, 'files', 'motd'), 'Welcome to the lab\n');
  writeFileSync(join(role, 'files', 'blob.bin'), Buffer.from([0, 1, 2, 255, 0]));
  mkdirSync(join(role, 'files', 'conf.d', 'sub'), { recursive: true });
  writeFileSync(join(role, 'files', 'conf.d', 'a.conf'), 'a = 1\n');
  writeFileSync(join(role, 'files', 'conf.d', 'sub', 'b.conf'), 'b = 2\n');
  writeFileSync(join(role, 'templates', 'chrony.conf.j2'), 'server {{ntp_server}} iburst\nallow {{mgmt_net}}\n# <&> "kept" as is\n');
});

afterAll(() => {
  if (role) rmSync(role, { recursive: true, force: true });
});

describe('copy', () => {
  it('content: check predicts, apply writes, second run is ok; diff from empty', async () => {
    const d = await fresh();
    const dest = `${d}/hosts.conf`;
    const { predicted, real } = await checkApplyIdempotent(copyModule, { dest, content: '10.0.0.11 controller\n', mode: '0640' });
    expect(predicted.plan.changes[0]!.diff).toEqual({ path: dest, before: '', after: '10.0.0.11 controller\n' });
    expect(await sh(`cat ${dest}; stat -c %a ${dest}`)).toBe('10.0.0.11 controller\n640\n');
    expect(real.result).toMatchObject({ changed: true, dest, mode: '0640' });
    expect(await listing(d)).toEqual(['hosts.conf']); // no temp file left
  });

  it('check mode writes nothing', async () => {
    const d = await fresh();
    await runModule(copyModule, { dest: `${d}/x`, content: 'x' }, ctx({ check: true }));
    expect(await listing(d)).toEqual([]);
  });

  it('src from the role files/ dir, into a directory dest; update shows before/after diff; backup keeps the old file', async () => {
    const d = await fresh();
    await checkApplyIdempotent(copyModule, { src: 'motd', dest: `${d}/` });
    expect(await sh(`cat ${d}/motd`)).toBe('Welcome to the lab\n');
    await sh(`printf 'old text\\n' > ${d}/motd`);
    const r = await runModule(copyModule, { src: 'motd', dest: d, backup: true }, ctx({ diff: true }));
    expect(r.plan.changes[0]!.diff).toEqual({ path: `${d}/motd`, before: 'old text\n', after: 'Welcome to the lab\n' });
    const backup = r.result.backup_file as string;
    expect(backup).toMatch(new RegExp(`^${d}/motd\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
    expect(await sh(`cat '${backup}'`)).toBe('old text\n');
    expect((await listing(d)).length).toBe(2);
  });

  it('unchanged content is compared by sha256 and never sent again', async () => {
    const d = await fresh();
    await runModule(copyModule, { src: 'blob.bin', dest: `${d}/blob.bin` }, ctx());
    const sent: string[] = [];
    const again = await runModule(copyModule, { src: 'blob.bin', dest: `${d}/blob.bin` }, ctx({ sent, diff: true }));
    expect(again.changed).toBe(false);
    expect(sent).toHaveLength(1);
    expect((await sh(`sha256sum < ${d}/blob.bin`)).split(' ')[0]).toBe(createHash('sha256').update(Buffer.from([0, 1, 2, 255, 0])).digest('hex'));
    // A binary change is summarised, not diffed.
    await sh(`printf 'text' > ${d}/blob.bin`);
    const changed = await runModule(copyModule, { src: 'blob.bin', dest: `${d}/blob.bin` }, ctx({ diff: true, check: true }));
    expect(summaries(changed.plan)).toEqual([`update ${d}/blob.bin (4 B -> 5 B) (binary file, diff not shown)`]);
  });

  it('force: false never overwrites', async () => {
    const d = await fresh();
    await sh(`echo mine > ${d}/f`);
    const r = await runModule(copyModule, { dest: `${d}/f`, content: 'theirs\n', force: false }, ctx());
    expect(r.changed).toBe(false);
    expect(await sh(`cat ${d}/f`)).toBe('mine\n');
  });

  it('validate runs on the temp file; a rejected file leaves the original intact and no temp', async () => {
    const d = await fresh();
    await sh(`echo 'good=1' > ${d}/app.conf`);
    const args = { dest: `${d}/app.conf`, content: 'broken\n', validate: "grep -q '^good=' %s" };
    const err = await runModule(copyModule, args, ctx()).catch((e) => e);
    expect(err).toBeInstanceOf(ModuleError);
    expect(err.message).toMatch(/validation failed for .*app\.conf.*grep -q/);
    expect(await sh(`cat ${d}/app.conf`)).toBe('good=1\n');
    expect(await listing(d)).toEqual(['app.conf']);
    const ok = await runModule(copyModule, { ...args, content: 'good=2\n' }, ctx());
    expect(ok.changed).toBe(true);
    expect(await sh(`cat ${d}/app.conf`)).toBe('good=2\n');
  });

  it('owner, group and mode with become root, applied before the rename; attributes alone are fixed without rewriting', async () => {
    const d = await fresh();
    const dest = `${d}/secret.conf`;
    await checkApplyIdempotent(copyModule, { dest, content: 'password=x\n', owner: 'drover-t2', group: 'drover-t3', mode: '0600' }, { becomeUser: 'root' });
    expect(await sh(`sudo stat -c '%U %G %a' ${dest}`)).toBe('drover-t2 drover-t3 600\n');
    const inode = await sh(`stat -c %i ${dest}`);
    const r = await runModule(copyModule, { dest, content: 'password=x\n', owner: 'drover-t3', mode: 'u=rw,g=r' }, ctx({ becomeUser: 'root' }));
    expect(summaries(r.plan)).toEqual([`${dest}: owner drover-t2 -> drover-t3`, `${dest}: mode 0600 -> 0640`]);
    expect(await sh(`stat -c '%U %G %a %i' ${dest}`)).toBe(`drover-t3 drover-t3 640 ${inode}`);
  });

  it('a directory src over SSH with become: the tree with owner, group, mode and directory_mode; check predicts; second run one round trip; no temp left', async () => {
    const d = await fresh();
    const args = { src: 'conf.d', dest: `${d}/etc/app/`, owner: 'drover-t2', group: 'drover-t3', mode: '0640', directory_mode: '0750' };
    const { real } = await checkApplyIdempotent(copyModule, args, { becomeUser: 'root' });
    expect(summaries(real.plan).filter((s) => s.startsWith('create directory'))).toEqual([
      `create directory ${d}/etc (mode 0750)`,
      `create directory ${d}/etc/app (mode 0750)`,
      `create directory ${d}/etc/app/conf.d (mode 0750)`,
      `create directory ${d}/etc/app/conf.d/sub (mode 0750)`,
    ]);
    expect(await sh(`sudo find ${d}/etc -printf '%P %y %u %g %m\\n' | sort`)).toBe(
      [
        ' d drover-t2 drover-t3 750',
        'app d drover-t2 drover-t3 750',
        'app/conf.d d drover-t2 drover-t3 750',
        'app/conf.d/a.conf f drover-t2 drover-t3 640',
        'app/conf.d/sub d drover-t2 drover-t3 750',
        'app/conf.d/sub/b.conf f drover-t2 drover-t3 640',
        '',
      ].join('\n'),
    );
    expect(await sh(`sudo cat ${d}/etc/app/conf.d/sub/b.conf`)).toBe('b = 2\n');
  });

  it('missing parent directory: clear error', async () => {
    const d = await fresh();
    await expect(runModule(copyModule, { dest: `${d}/no/such/x`, content: 'x' }, ctx())).rejects.toThrow(`destination directory ${d}/no/such does not exist`);
  });
});

describe('template', () => {
  it('renders with the task vars, no HTML escaping; idempotent; diff', async () => {
    const d = await fresh();
    const vars = { ntp_server: 'controller', mgmt_net: '10.0.0.0/24' };
    const { predicted } = await checkApplyIdempotent(templateModule, { src: 'chrony.conf.j2', dest: `${d}/chrony.conf`, mode: '0644' }, { vars });
    const expected = 'server controller iburst\nallow 10.0.0.0/24\n# <&> "kept" as is\n';
    expect(predicted.plan.changes[0]!.diff!.after).toBe(expected);
    expect(await sh(`cat ${d}/chrony.conf`)).toBe(expected);
    const other = await runModule(templateModule, { src: 'chrony.conf.j2', dest: `${d}/chrony.conf` }, ctx({ vars: { ...vars, ntp_server: 'ntp1' }, diff: true }));
    expect(other.plan.changes[0]!.diff).toMatchObject({ before: expected, after: expected.replace('controller', 'ntp1') });
  });

  it('an undefined variable fails before anything is written', async () => {
    const d = await fresh();
    await expect(runModule(templateModule, { src: 'chrony.conf.j2', dest: `${d}/c` }, ctx({ vars: {} }))).rejects.toThrow(/ntp_server/);
    expect(await listing(d)).toEqual([]);
  });
});

describe('lineinfile', () => {
  it('create a file with a line, then regexp-replace it; idempotent', async () => {
    const d = await fresh();
    const path = `${d}/sshd_config`;
    await checkApplyIdempotent(lineinfileModule, { path, line: 'PermitRootLogin no', create: true, mode: '0600' });
    expect(await sh(`cat ${path}; stat -c %a ${path}`)).toBe('PermitRootLogin no\n600\n');
    await sh(`printf '# header\\n#PermitRootLogin yes\\nPermitRootLogin yes\\nUsePAM yes' > ${path}`);
    const { predicted } = await checkApplyIdempotent(lineinfileModule, { path, regexp: '^PermitRootLogin', line: 'PermitRootLogin prohibit-password' });
    expect(predicted.plan.changes[0]!.diff).toEqual({
      path,
      before: '# header\n#PermitRootLogin yes\nPermitRootLogin yes\nUsePAM yes',
      after: '# header\n#PermitRootLogin yes\nPermitRootLogin prohibit-password\nUsePAM yes',
    });
    expect(await sh(`stat -c %a ${path}`)).toBe('600\n'); // mode kept by the atomic write
    expect(await listing(d)).toEqual(['sshd_config']);
  });

  it('insertafter and absent', async () => {
    const d = await fresh();
    const path = `${d}/hosts`;
    await sh(`printf '127.0.0.1 localhost\\n::1 localhost\\n' > ${path}`);
    await checkApplyIdempotent(lineinfileModule, { path, line: '10.0.0.11 controller', insertafter: '^127\\.' });
    expect(await sh(`cat ${path}`)).toBe('127.0.0.1 localhost\n10.0.0.11 controller\n::1 localhost\n');
    await checkApplyIdempotent(lineinfileModule, { path, regexp: 'controller$', state: 'absent' });
    expect(await sh(`cat ${path}`)).toBe('127.0.0.1 localhost\n::1 localhost\n');
  });

  it('missing file without create: Ansible message', async () => {
    const d = await fresh();
    await expect(runModule(lineinfileModule, { path: `${d}/nope`, line: 'x' }, ctx())).rejects.toThrow(`Destination ${d}/nope does not exist!`);
  });

  it('follows a symlink and keeps it', async () => {
    const d = await fresh();
    await sh(`echo a > ${d}/real; ln -s real ${d}/link`);
    await runModule(lineinfileModule, { path: `${d}/link`, line: 'b' }, ctx());
    expect(await sh(`cat ${d}/real; readlink ${d}/link`)).toBe('a\nb\nreal\n');
  });
});

describe('ini_file', () => {
  const KEYSTONE = '[DEFAULT]\n#admin_token = <None>\n\n[database]\n\n# The SQLAlchemy connection string. (string value)\n#connection = <None>\n\n[token]\n#provider = fernet\n';

  it('keystone.conf: several edits, comments kept, second run changes nothing', async () => {
    const d = await fresh();
    const path = `${d}/keystone.conf`;
    await sh(`printf '%s' '${KEYSTONE}' > ${path}`);
    const edits = [
      { section: 'database', option: 'connection', value: 'mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone' },
      { section: 'token', option: 'provider', value: 'fernet' },
      { section: 'cache', option: 'enabled', value: true },
    ];
    for (const e of edits) await checkApplyIdempotent(iniFileModule, { path, ...e });
    expect(await sh(`cat ${path}`)).toBe(
      '[DEFAULT]\n#admin_token = <None>\n\n[database]\n\n' +
        '# The SQLAlchemy connection string. (string value)\nconnection = mysql+pymysql://keystone:KEYSTONE_DBPASS@controller/keystone\n\n[token]\nprovider = fernet\n[cache]\nenabled = True\n',
    );
    const sent: string[] = [];
    for (const e of edits) expect((await runModule(iniFileModule, { path, ...e }, ctx({ sent }))).changed).toBe(false);
    expect(sent).toHaveLength(edits.length);
  });

  it('creates the file (and its directory) by default; absent removes the option', async () => {
    const d = await fresh();
    const path = `${d}/etc/nova/nova.conf`;
    await checkApplyIdempotent(iniFileModule, { path, section: 'DEFAULT', option: 'my_ip', value: '10.0.0.11', mode: '0640' });
    expect(await sh(`cat ${path}; stat -c %a ${path}`)).toBe('\n[DEFAULT]\nmy_ip = 10.0.0.11\n640\n');
    await checkApplyIdempotent(iniFileModule, { path, section: 'DEFAULT', option: 'my_ip', state: 'absent' });
    expect(await sh(`cat ${path}`)).toBe('\n[DEFAULT]\n');
  });
});
