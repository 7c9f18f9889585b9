import { describe, expect, it } from 'vitest';
import { isPlainExternalCommand } from '../../../src/transport/shell-session.js';
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
