import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../../src/modules/command.js';
import '../../../src/modules/shell.js';
import { commandLine, commandModule } from '../../../src/modules/command.js';
import { shellLine, shellModule } from '../../../src/modules/shell.js';
import { getModule } from '../../../src/modules/registry.js';
import {
  UNKNOWN_RUNS_IN_APPLY,
  ansibleDelta,
  decideGuard,
  existenceCommand,
  extractInlineArgs,
  parseExistence,
} from '../../../src/modules/command-common.js';
import { recordedContext } from './recorded-context.js';

const cmdArgs = (a: Record<string, unknown>) => commandModule.schema.parse(a);
const shArgs = (a: Record<string, unknown>) => shellModule.schema.parse(a);

/** Run a generated line in a real bash and return what it printed. */
const bash = (line: string, env: Record<string, string> = {}) =>
  execFileSync('bash', ['--norc', '--noprofile', '-c', line], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } });

describe('command line handling', () => {
  it('registers under its Ansible names', () => {
    expect(getModule('command')).toBe(commandModule);
    expect(getModule('ansible.builtin.shell')).toBe(shellModule);
  });

  it('splits a free-form line like Python shlex (test/unit/util/shell-words.test.ts has the rule)', () => {
    expect(commandLine(cmdArgs({ cmd: `ls -l "a b" 'c d' e\\ f "x\\"y" ''` })).argv).toEqual(['ls', '-l', 'a b', 'c d', 'e f', 'x"y', '']);
    const bad = commandModule.schema.safeParse({ cmd: 'echo "oops' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/^cannot split the command line: no closing quotation/);
  });

  it('quotes argv so pipes, globs and quotes stay literal, but $VARS and ~ expand like Ansible', () => {
    const { argv, line } = commandLine(cmdArgs({ argv: ['printf', '%s|', 'a b', "it's", '$HOME/x', '${USER}y', '~/z', '*', '| wc', '$(id)', 3] }));
    expect(argv).toEqual(['printf', '%s|', 'a b', "it's", '$HOME/x', '${USER}y', '~/z', '*', '| wc', '$(id)', '3']);
    expect(bash(line, { HOME: '/home/h', USER: 'u' })).toBe("a b|it's|/home/h/x|uy|/home/h/z|*|| wc|$(id)|3|");
  });

  it('keeps $VARS literal with expand_argument_vars: no', () => {
    const { line } = commandLine(cmdArgs({ cmd: 'echo $HOME ~', expand_argument_vars: 'no' }));
    expect(bash(line, { HOME: '/home/h' })).toBe('$HOME ~\n');
  });

  it('splits the free-form cmd and runs it without a shell', () => {
    const { argv, line } = commandLine(cmdArgs({ cmd: `echo "a  b" 'c;d' >out` }));
    expect(argv).toEqual(['echo', 'a  b', 'c;d', '>out']);
    expect(bash(line)).toBe('a  b c;d >out\n');
  });

  it("reads Ansible's inline creates=/chdir= tokens from the free-form line", () => {
    expect(extractInlineArgs('creates=/tmp/x chdir="/srv/my app" make install')).toEqual({ cmd: 'make install', inline: { creates: '/tmp/x', chdir: '/srv/my app' } });
    expect(extractInlineArgs('echo foo=bar')).toEqual({ cmd: 'echo foo=bar', inline: {} });
    // A multi-line script is never re-tokenised.
    expect(extractInlineArgs('echo a\nchdir=/x').inline).toEqual({});
    expect(commandLine(cmdArgs({ cmd: 'removes=/etc/x rm /etc/x' })).argv).toEqual(['rm', '/etc/x']);
  });

  it('runs the script through /bin/sh or the given executable, the script in the environment (never on a command line)', () => {
    const run = `-c 'drover_script=$DROVER_SCRIPT; unset DROVER_SCRIPT; eval "$drover_script"'`;
    expect(shellLine(shArgs({ cmd: "cat /etc/passwd | grep -c 'x'" }))).toBe(`DROVER_SCRIPT='cat /etc/passwd | grep -c '\\''x'\\''' /bin/sh ${run}`);
    expect(shellLine(shArgs({ cmd: '[[ -n x ]] && echo y', executable: '/bin/bash' }))).toBe(`DROVER_SCRIPT='[[ -n x ]] && echo y' /bin/bash ${run}`);
    expect(bash(shellLine(shArgs({ cmd: 'printf "a\\nb\\n" | wc -l; exit 0' })))).toBe('2\n');
    // Same meaning as sh -c: exit status, no positional parameters, the variable not passed on.
    expect(bash(shellLine(shArgs({ cmd: 'echo "[$#][$1]"; env | grep -c DROVER_SCRIPT; exit 3' })) + '; echo rc=$?')).toBe('[0][]\n0\nrc=3\n');
  });

  it('validates arguments with Ansible names', () => {
    const bad = (a: Record<string, unknown>) => commandModule.schema.safeParse(a).success;
    expect(bad({})).toBe(false);
    expect(bad({ cmd: 'ls', argv: ['ls'] })).toBe(false);
    expect(bad({ cmd: 'ls', bogus: 1 })).toBe(false);
    expect(bad({ cmd: 'echo "x' })).toBe(false);
    expect(cmdArgs({ cmd: 'cat', stdin: 'x', stdin_add_newline: 'no' }).stdin_add_newline).toBe(false);
    expect(cmdArgs({ cmd: 'ls', warn: false }).cmd).toBe('ls');
    expect(shellModule.schema.safeParse({ cmd: 'ls', argv: ['x'] }).success).toBe(false);
  });
});

describe('creates/removes decided from one existence round trip', () => {
  it('skips when creates exists (Ansible messages; "Would" in check mode)', async () => {
    const { ctx, sent } = recordedContext([{ stdout: '1\n' }]);
    const plan = await commandModule.plan(ctx, cmdArgs({ cmd: 'touch /etc/done', creates: '/etc/done' }));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.command).toBe(existenceCommand(['/etc/done']));
    expect(plan.changes).toEqual([]);
    expect(plan.unknown).toBeUndefined();
    expect(plan.result).toMatchObject({ changed: false, rc: 0, msg: "Did not run command since '/etc/done' exists", stdout: 'skipped, since /etc/done exists' });

    const check = recordedContext([{ stdout: '1\n' }], { check: true });
    const p2 = await commandModule.plan(check.ctx, cmdArgs({ cmd: 'touch /etc/done', creates: '/etc/done' }));
    expect(p2.result?.msg).toBe("Would not run command since '/etc/done' exists");
  });

  it('is unknown when creates is missing or removes exists', async () => {
    const a = recordedContext([{ stdout: '0\n' }]);
    expect((await commandModule.plan(a.ctx, cmdArgs({ cmd: 'x', creates: '/a' }))).unknown).toBe(UNKNOWN_RUNS_IN_APPLY);
    const b = recordedContext([{ stdout: '1\n' }]);
    expect((await shellModule.plan(b.ctx, shArgs({ cmd: 'rm -f /a', removes: '/a' }))).unknown).toBe(UNKNOWN_RUNS_IN_APPLY);
  });

  it('skips when removes is absent', async () => {
    const { ctx } = recordedContext([{ stdout: '0\n' }]);
    const plan = await shellModule.plan(ctx, shArgs({ cmd: 'rm /a', removes: '/a' }));
    expect(plan.result).toMatchObject({ changed: false, msg: "Did not run command since '/a' does not exist", cmd: 'rm /a' });
  });

  it('tests creates and removes together in one command, relative paths under chdir', async () => {
    const { ctx, sent } = recordedContext([{ stdout: '0\n1\n' }]);
    const plan = await commandModule.plan(ctx, cmdArgs({ cmd: 'make', chdir: '/srv/app', creates: 'build/out', removes: '/tmp/lock' }));
    expect(sent.map((s) => s.command)).toEqual([existenceCommand(['/srv/app/build/out', '/tmp/lock'])]);
    expect(plan.unknown).toBe(UNKNOWN_RUNS_IN_APPLY);
    expect(decideGuard({ creates: 'c', removes: 'r', stdin_add_newline: true, strip_empty_ends: true }, [false, false], false, 'x')?.result?.msg).toMatch(/'r' does not exist/);
  });

  it('plans without a round trip when there is no guard', async () => {
    const { ctx, sent } = recordedContext([]);
    const plan = await commandModule.plan(ctx, cmdArgs({ cmd: 'ls' }));
    expect(sent).toEqual([]);
    expect(plan).toMatchObject({ changes: [], unknown: UNKNOWN_RUNS_IN_APPLY });
  });

  it('refuses garbled check output instead of guessing', () => {
    expect(() => parseExistence('bash: syntax error', 1)).toThrow(/unexpected output/);
    expect(parseExistence('1\n0\n', 2)).toEqual([true, false]);
  });

  it('the existence command really handles globs, spaces, dangling symlinks and ~', () => {
    const d = mkdtempSync(join(tmpdir(), 'drover-exists-'));
    try {
      mkdirSync(join(d, 'with space'));
      writeFileSync(join(d, 'with space', 'a.conf'), '');
      symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
      writeFileSync(join(d, "it's"), '');
      const paths = [join(d, 'with space', '*.conf'), join(d, 'with space', '*.ini'), join(d, 'dangling'), join(d, "it's"), '~/x', join(d, 'missing')];
      mkdirSync(join(d, 'home'));
      writeFileSync(join(d, 'home', 'x'), '');
      const out = bash(existenceCommand(paths), { HOME: join(d, 'home') });
      expect(parseExistence(out, paths.length)).toEqual([true, false, true, true, true, false]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('apply registers Ansible-shaped results', () => {
  it('registers stdout/stderr/rc/lines/cmd/timing, passes stdin (with newline) and chdir', async () => {
    const { ctx, sent } = recordedContext([{ stdout: 'hello\nworld\n\n', stderr: '', rc: 0 }]);
    const args = cmdArgs({ cmd: 'cat', stdin: 's3cret', chdir: '/srv' });
    const r = await commandModule.apply(ctx, args, await commandModule.plan(ctx, args));
    expect(sent[0]!.opts).toEqual({ stdin: 's3cret\n', cwd: '/srv', maxOutputBytes: 1024 * 1024 });
    expect(sent[0]!.command).not.toContain('s3cret');
    expect(r).toMatchObject({ changed: true, rc: 0, stdout: 'hello\nworld', stdout_lines: ['hello', 'world'], stderr: '', stderr_lines: [], cmd: ['cat'] });
    expect(r.failed).toBeUndefined();
    expect(r.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(r.delta).toMatch(/^0:00:\d\d\.\d{6}$/);
  });

  it('fails on a non-zero rc with rc, stdout and stderr (the engine names the command)', async () => {
    const { ctx } = recordedContext([{ stdout: 'partial', stderr: 'ls: cannot access /nope: No such file or directory\n', rc: 2 }]);
    const args = shArgs({ cmd: 'ls /nope' });
    const r = await shellModule.apply(ctx, args, await shellModule.plan(ctx, args));
    expect(r).toMatchObject({ failed: true, changed: true, rc: 2, msg: 'non-zero return code', stdout: 'partial', stderr: 'ls: cannot access /nope: No such file or directory', cmd: 'ls /nope' });
  });

  it('keeps trailing newlines with strip_empty_ends: false and stdin as given with stdin_add_newline: false', async () => {
    const { ctx, sent } = recordedContext([{ stdout: 'x\n' }]);
    const args = shArgs({ cmd: 'cat', stdin: 'y', stdin_add_newline: false, strip_empty_ends: false });
    const r = await shellModule.apply(ctx, args, await shellModule.plan(ctx, args));
    expect(sent[0]!.opts?.stdin).toBe('y');
    expect(r.stdout).toBe('x\n');
  });

  it('bounds the output it keeps: DROVER_MAX_COMMAND_OUTPUT, an input error when it is not a positive number', async () => {
    const saved = process.env.DROVER_MAX_COMMAND_OUTPUT;
    try {
      process.env.DROVER_MAX_COMMAND_OUTPUT = '4096';
      const { ctx, sent } = recordedContext([{ stdout: 'x' }]);
      const args = shArgs({ cmd: 'yes | head -c 1000000000' });
      await shellModule.apply(ctx, args, await shellModule.plan(ctx, args));
      expect(sent[0]!.opts?.maxOutputBytes).toBe(4096);
      process.env.DROVER_MAX_COMMAND_OUTPUT = 'lots';
      await expect(shellModule.apply(ctx, args, await shellModule.plan(ctx, args))).rejects.toThrow(/DROVER_MAX_COMMAND_OUTPUT=lots: expected a positive whole number/);
    } finally {
      if (saved === undefined) delete process.env.DROVER_MAX_COMMAND_OUTPUT;
      else process.env.DROVER_MAX_COMMAND_OUTPUT = saved;
    }
  });

  it('formats deltas like Ansible', () => {
    expect(ansibleDelta(3_723_456)).toBe('1:02:03.456000');
  });
});
