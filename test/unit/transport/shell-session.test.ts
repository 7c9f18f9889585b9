// Pure parts of the shell session protocol: which commands may be exec'd, the script that kills a timed-out job.
import { describe, expect, it } from 'vitest';
import { HERE_DOC_MAX, hereDocument, isPlainExternalCommand, killJobsScript } from '../../../src/transport/shell-session.js';
import { shjoin } from '../../../src/util/shell.js';

describe('isPlainExternalCommand: when the job shell may exec the command', () => {
  it('accepts one program with literal words, as shq quotes them', () => {
    for (const c of ['id -u', '/usr/bin/stat -c %f -- /etc', shjoin(['ls', '%s|', 'a b', "it's"]), "'/opt/my prog' --x=1", 'mysql -e x@y:z,w+v'])
      expect(isPlainExternalCommand(c), c).toBe(true);
  });

  it('refuses builtins, keywords, assignments, expansions, operators and more than one line', () => {
    for (const c of ['true', 'cd /tmp', 'exit 3', 'echo hi', "'echo' hi", 'test -d /tmp', '[ -d /tmp ]', 'if true', 'A=1 env', 'echo $HOME', 'ls *.txt', 'ls ~',
      'a | b', 'a; b', 'a && b', 'a > f', 'cat <f', 'a &', 'a\nb', '"quoted" word', 'x `id`', 'a\\ b', '__drv_run x', '', ' id'])
      expect(isPlainExternalCommand(c), c).toBe(false);
  });
});

describe('killJobsScript', () => {
  it('refuses PIDs 0 and 1 (their children are init and everything else)', () => {
    expect(() => killJobsScript(0, true)).toThrow(/no session shell PID/);
    expect(() => killJobsScript(1, true)).toThrow(/no session shell PID/);
    expect(killJobsScript(4242, true)).toContain('m=4242');
  });
});

describe('hereDocument: which stdin rides in the call without a process', () => {
  it('small input ending in a newline, without NUL or the delimiter', () => {
    expect(hereDocument(Buffer.from('SELECT 1;\n'), 'tok')).toBe('__DRV_IN_tok');
    expect(hereDocument(Buffer.from([0xff, 0x0a]), 'tok')).toBe('__DRV_IN_tok');
    expect(hereDocument(Buffer.from('x'.repeat(HERE_DOC_MAX - 1) + '\n'), 'tok')).toBe('__DRV_IN_tok');
  });

  it('anything else goes through head -c', () => {
    for (const b of [Buffer.from('no newline'), Buffer.from([0x61, 0, 0x0a]), Buffer.from('x'.repeat(HERE_DOC_MAX) + '\n'), Buffer.from('a\n__DRV_IN_tok\n')])
      expect(hereDocument(b, 'tok'), JSON.stringify(b.toString('latin1').slice(0, 30))).toBeUndefined();
  });
});
