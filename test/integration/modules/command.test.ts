/**
 * command / shell / ping for real: a real sshd on loopback, the real SSH
 * transport, a plain login user (drover-t1).
 */
import { describe, expect, it } from 'vitest';
import { commandModule } from '../../../src/modules/command.js';
import { shellModule } from '../../../src/modules/shell.js';
import { pingModule } from '../../../src/modules/ping.js';
import { useSshdTarget } from '../../helpers/sshd-fixture.js';
import { runModule } from '../../helpers/task-context.js';

const target = useSshdTarget('cmd');
const { ctx } = target;

describe('command over ssh', () => {
  it('runs in chdir, registers output, changed by default', async () => {
    const r = await runModule(commandModule, { cmd: 'pwd', chdir: target.work }, ctx());
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ rc: 0, stdout: target.work, stdout_lines: [target.work], stderr: '', cmd: ['pwd'] });
  });

  it('expands ~ in chdir and in creates', async () => {
    const r = await runModule(commandModule, { cmd: 'pwd', chdir: '~', creates: '~/.drover-never-*' }, ctx());
    expect(r.result).toMatchObject({ rc: 0, stdout: '/home/drover-t1' });
    const skip = await runModule(commandModule, { cmd: 'false', chdir: '~', creates: '.bashrc' }, ctx());
    expect(skip.result.msg).toBe("Did not run command since '.bashrc' exists");
  });

  it('creates: runs once, then is ok with Ansible messages and no apply', async () => {
    const args = { cmd: 'touch made', chdir: target.work, creates: 'made' };
    const first = await runModule(commandModule, args, ctx());
    expect(first.status).toBe('changed');
    const sent: string[] = [];
    const second = await runModule(commandModule, args, ctx({ sent }));
    expect(second.status).toBe('ok');
    expect(second.result.msg).toBe("Did not run command since 'made' exists");
    expect(sent).toHaveLength(1); // one existence round trip, nothing run
    const check = await runModule(commandModule, { ...args, creates: `${target.work}/nothing-*` }, ctx({ check: true }));
    expect(check.status).toBe('unknown');
    expect(check.plan.unknown).toBe('command runs only in apply');
  });

  it('removes: skips while the file is absent, runs when it is there', async () => {
    const args = { argv: ['rm', 'victim file'], chdir: target.work, removes: `${target.work}/victim file` };
    expect((await runModule(commandModule, args, ctx())).status).toBe('ok');
    await target.conn.exec(`touch '${target.work}/victim file'`);
    expect((await runModule(commandModule, args, ctx())).status).toBe('changed');
    expect((await target.conn.exec(`test -e '${target.work}/victim file'`)).rc).toBe(1);
    const again = await runModule(commandModule, args, ctx());
    expect(again.status).toBe('ok');
    expect(again.result.msg).toBe(`Did not run command since '${target.work}/victim file' does not exist`);
  });

  it('feeds stdin without the secret ever being in a command line (ps -eo args)', async () => {
    const secret = 'Sup3r-S3cret-' + Math.random().toString(36).slice(2);
    const sent: string[] = [];
    const r = await runModule(
      commandModule,
      { argv: ['sh', '-c', 'ps -eo args > ps.txt; cat'], chdir: target.work, stdin: secret },
      ctx({ sent }),
    );
    expect(r.result).toMatchObject({ rc: 0, stdout: secret });
    const ps = (await target.conn.exec(`cat ${target.work}/ps.txt`)).stdout;
    expect(ps).toMatch(/ps -eo args/); // the listing is real and was taken while the command ran
    expect(ps).not.toContain(secret);
    expect(sent.join('\n')).not.toContain(secret);
  });

  it('a non-zero rc is a failed result with rc, stdout and stderr', async () => {
    const r = await runModule(commandModule, { cmd: 'ls /nonexistent-drover-path' }, ctx());
    expect(r.status).toBe('failed');
    expect(r.result).toMatchObject({ failed: true, rc: 2, msg: 'non-zero return code', cmd: ['ls', '/nonexistent-drover-path'] });
    expect(r.result.stderr).toMatch(/nonexistent-drover-path.*No such file or directory/);
  });

  it('does not interpret shell syntax, but expands $HOME like Ansible', async () => {
    const r = await runModule(commandModule, { cmd: 'echo a | wc -l > x; $HOME' }, ctx());
    expect(r.result.stdout).toBe('a | wc -l > x; /home/drover-t1');
  });
});

describe('shell over ssh', () => {
  it('runs pipes and redirections through /bin/sh', async () => {
    const r = await runModule(shellModule, { cmd: `printf 'a\\nb\\nc\\n' | wc -l > ${target.work}/n; cat ${target.work}/n; echo err >&2` }, ctx());
    expect(r.result).toMatchObject({ rc: 0, stdout: '3', stderr: 'err', cmd: expect.stringContaining('| wc -l') });
  });

  it('uses executable for bash-isms and keeps exit inside the task', async () => {
    const r = await runModule(shellModule, { cmd: '[[ -d / ]] && echo bash; exit 3', executable: '/bin/bash' }, ctx());
    expect(r.result).toMatchObject({ failed: true, rc: 3, stdout: 'bash' });
    expect((await target.conn.exec('echo still-alive')).stdout).toBe('still-alive\n');
  });

  it('reads stdin and honours inline creates= in the free-form line', async () => {
    const r = await runModule(shellModule, { cmd: `creates=${target.work}/inline cat > ${target.work}/inline`, stdin: 'from stdin' }, ctx());
    expect(r.status).toBe('changed');
    expect((await target.conn.exec(`cat ${target.work}/inline`)).stdout).toBe('from stdin\n');
    expect((await runModule(shellModule, { cmd: `creates=${target.work}/inline cat > ${target.work}/inline`, stdin: 'x' }, ctx())).status).toBe('ok');
  });
});

describe('ping over ssh', () => {
  it('answers pong in one round trip, also in check mode', async () => {
    const sent: string[] = [];
    const r = await runModule(pingModule, {}, ctx({ sent, check: true }));
    expect(r).toMatchObject({ status: 'ok', result: { changed: false, ping: 'pong' } });
    expect(sent).toEqual(['echo pong']);
  });
});
