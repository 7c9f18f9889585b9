import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { droverInProcess } from '../../helpers/in-process-cli.js';

const drover = droverInProcess;

const dir = mkdtempSync(join(tmpdir(), 'drover-completion-'));
let bashFile = '';

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...typed: string[]): string[] {
  const words = ['drover', ...typed].map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `source '${bashFile}'; COMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _drover_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('drover completion', () => {
  beforeAll(async () => {
    const r = await drover('completion', 'bash');
    expect(r.code).toBe(0);
    bashFile = join(dir, 'drover.bash');
    writeFileSync(bashFile, r.out);
  });

  it('bash: a script bash accepts, listing the sub-commands', () => {
    const syntax = spawnSync('bash', ['-n', bashFile], { encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
    expect(complete('').sort()).toEqual(expect.arrayContaining(['adhoc', 'check', 'completion', 'doc', 'inventory', 'lab', 'play', 'schema', 'vault']));
    expect(complete('pl')).toEqual(['play']);
  });

  it('bash: module names after -m and after `drover doc`, flags of the sub-command, a group\'s sub-commands', () => {
    expect(complete('doc', 'linei')).toEqual(['lineinfile']);
    expect(complete('all', '-i', 'hosts', '-m', 'pi')).toEqual(['ping']);
    expect(complete('play', 'site.yaml', '--ch')).toEqual(['--check']);
    expect(complete('all', '--one')).toEqual(['--one-line']);
    expect(complete('all', '-o', '-')).toContain('--check');
    expect(complete('doc', '--li')).toEqual(['--list']);
    expect(complete('inventory', '')).toEqual(expect.arrayContaining(['list', 'graph']));
    expect(complete('inventory', 'graph', '--')).toContain('--help');
    expect(complete('completion', '')).toEqual(['bash', 'zsh']);
  });

  it('zsh: the same function through bashcompinit (zsh -n when zsh is installed)', async () => {
    const r = await drover('completion', 'zsh');
    expect(r.code).toBe(0);
    expect(r.out).toContain('bashcompinit');
    expect(r.out).toContain('complete -o filenames -F _drover_complete drover');
    expect(r.out).toContain('local commands="play check');
    const file = join(dir, 'drover.zsh');
    writeFileSync(file, r.out);
    const zsh = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    if (zsh.error) return; // no zsh here
    expect(zsh.status, zsh.stderr).toBe(0);
  });

  it('an unknown shell is exit 4', async () => {
    const r = await drover('completion', 'fish');
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/unknown shell 'fish' \(bash or zsh\)/);
  });
});
