/**
 * command / shell / ping for real: a real sshd on loopback, the real SSH
 * transport, a plain login user (drover-t1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandModule } from '../../../src/modules/command.js';
import { shellModule } from '../../../src/modules/shell.js';
import { pingModule } from '../../../src/modules/ping.js';
import { SshConnection } from '../../../src/transport/ssh.js';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { makeTaskContext, sshdSpec } from '../../helpers/task-context.js';
import { runTask } from './run-task.js';

let sshd: Sshd;
let conn: SshConnection;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  conn = new SshConnection(sshdSpec(sshd));
  await conn.open();
  work = (await conn.exec('mktemp -d /tmp/drover-cmd-XXXXXX')).stdout.trim();
});

afterAll(async () => {
  if (work) await conn?.exec(`rm -rf ${work}`);
  await conn?.close();
  await sshd?.stop();
});

describe('command over ssh', () => {
  it('runs in chdir, registers output, changed by default', async () => {
    const r = await runTask(commandModule, { cmd: 'pwd', chdir: work }, makeTaskContext(conn));
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ rc: 0, stdout: work, stdout_lines: [work], stderr: '', cmd: ['pwd'] });
  });

  it('expands ~ in chdir and in creates', async () => {
    const r = await runTask(commandModule, { cmd: 'pwd', chdir: '~', creates: '~/.drover-never-*' }, makeTaskContext(conn));
    expect(r.result).toMatchObject({ rc: 0, stdout: '/home/drover-t1' });
    const skip = await runTask(commandModule, { cmd: 'false', chdir: '~', creates: '.bashrc' }, makeTaskContext(conn));
    expect(skip.result.msg).toBe("Did not run command since '.bashrc' exists");
  });

  it('creates: runs once, then is ok with Ansible messages and no apply', async () => {
    const args = { cmd: 'touch made', chdir: work, creates: 'made' };
    const first = await runTask(commandModule, args, makeTaskContext(conn));
    expect(first.status).toBe('changed');
    const sent: string[] = [];
    const second = await runTask(commandModule, args, makeTaskContext(conn, { sent }));
    expect(second.status).toBe('ok');
    expect(second.result.msg).toBe("Did not run command since 'made' exists");
    expect(sent).toHaveLength(1); // one existence round trip, nothing run
    const check = await runTask(commandModule, { ...args, creates: `${work}/nothing-*` }, makeTaskContext(conn, { check: true }));
    expect(check.status).toBe('unknown');
    expect(check.plan.unknown).toBe('command runs only in apply');
  });

  it('removes: skips while the file is absent, runs when it is there', async () => {
    const args = { argv: ['rm', 'victim file'], chdir: work, removes: `${work}/victim file` };
    expect((await runTask(commandModule, args, makeTaskContext(conn))).status).toBe('ok');
    await conn.exec(`touch '${work}/victim file'`);
    expect((await runTask(commandModule, args, makeTaskContext(conn))).status).toBe('changed');
    expect((await conn.exec(`test -e '${work}/victim file'`)).rc).toBe(1);
    const again = await runTask(commandModule, args, makeTaskContext(conn));
    expect(again.status).toBe('ok');
    expect(again.result.msg).toBe(`Did not run command since '${work}/victim file' does not exist`);
  });

  it('feeds stdin without the secret ever being in a command line (ps -eo args)', async () => {
    const secret = 'Sup3r-S3cret-' + Math.random().toString(36).slice(2);
    const sent: string[] = [];
    const r = await runTask(
      commandModule,
      { argv: ['sh', '-c', 'ps -eo args > ps.txt; cat'], chdir: work, stdin: secret },
      makeTaskContext(conn, { sent }),
    );
    expect(r.result).toMatchObject({ rc: 0, stdout: secret });
    const ps = (await conn.exec(`cat ${work}/ps.txt`)).stdout;
    expect(ps).toMatch(/ps -eo args/); // the listing is real and was taken while the command ran
    expect(ps).not.toContain(secret);
    expect(sent.join('\n')).not.toContain(secret);
  });

  it('a non-zero rc is a failed result with rc, stdout and stderr', async () => {
    const r = await runTask(commandModule, { cmd: 'ls /nonexistent-drover-path' }, makeTaskContext(conn));
    expect(r.status).toBe('failed');
    expect(r.result).toMatchObject({ failed: true, rc: 2, msg: 'non-zero return code', cmd: ['ls', '/nonexistent-drover-path'] });
    expect(r.result.stderr).toMatch(/nonexistent-drover-path.*No such file or directory/);
  });

  it('does not interpret shell syntax, but expands $HOME like Ansible', async () => {
    const r = await runTask(commandModule, { cmd: 'echo a | wc -l > x; $HOME' }, makeTaskContext(conn));
    expect(r.result.stdout).toBe('a | wc -l > x; /home/drover-t1');
  });
});

describe('shell over ssh', () => {
  it('runs pipes and redirections through /bin/sh', async () => {
    const r = await runTask(shellModule, { cmd: `printf 'a\\nb\\nc\\n' | wc -l > ${work}/n; cat ${work}/n; echo err >&2` }, makeTaskContext(conn));
    expect(r.result).toMatchObject({ rc: 0, stdout: '3', stderr: 'err', cmd: expect.stringContaining('| wc -l') });
  });

  it('uses executable for bash-isms and keeps exit inside the task', async () => {
    const r = await runTask(shellModule, { cmd: '[[ -d / ]] && echo bash; exit 3', executable: '/bin/bash' }, makeTaskContext(conn));
    expect(r.result).toMatchObject({ failed: true, rc: 3, stdout: 'bash' });
    expect((await conn.exec('echo still-alive')).stdout).toBe('still-alive\n');
  });

  it('reads stdin and honours inline creates= in the free-form line', async () => {
    const r = await runTask(shellModule, { cmd: `creates=${work}/inline cat > ${work}/inline`, stdin: 'from stdin' }, makeTaskContext(conn));
    expect(r.status).toBe('changed');
    expect((await conn.exec(`cat ${work}/inline`)).stdout).toBe('from stdin\n');
    expect((await runTask(shellModule, { cmd: `creates=${work}/inline cat > ${work}/inline`, stdin: 'x' }, makeTaskContext(conn))).status).toBe('ok');
  });
});

describe('ping over ssh', () => {
  it('answers pong in one round trip, also in check mode', async () => {
    const sent: string[] = [];
    const r = await runTask(pingModule, {}, makeTaskContext(conn, { sent, check: true }));
    expect(r).toMatchObject({ status: 'ok', result: { changed: false, ping: 'pong' } });
    expect(sent).toEqual(['echo pong']);
  });
});
