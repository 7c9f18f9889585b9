/**
 * drover's vault flags. Vault passwords asked on a real terminal (a pty from util-linux `script`):
 * `--ask-vault-pass` and `--vault-id LABEL@prompt` ask with Ansible's prompts,
 * the typed password is not echoed, new passwords are asked twice.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVaultEnvelope, vaultDecryptWith, vaultEncrypt } from '../../../src/util/vault.js';

const TSX = path.resolve('node_modules/.bin/tsx');
const CLI = path.resolve('test/e2e/drover-cli.ts');
const PASSWORD = 'typed-on-the-tty-42';
const dir = mkdtempSync(path.join(tmpdir(), 'drover-vault-tty-'));

/** Run `drover ARGS` on a pty, typing each answer once its prompt is on the screen. */
function onTty(args: string[], answers: Array<[prompt: string, answer: string]>): Promise<{ code: number | null; out: string }> {
  const cmd = [TSX, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: dir, env: { ...process.env, DROVER_VAULT_PASSWORD_FILE: '', ANSIBLE_VAULT_PASSWORD_FILE: '' } });
  let out = '';
  let next = 0;
  let seen = 0;
  child.stdout.on('data', (d) => {
    out += String(d);
    const pending = answers[next];
    if (pending && out.indexOf(pending[0], seen) >= 0) {
      seen = out.indexOf(pending[0], seen) + pending[0].length;
      next++;
      child.stdin.write(`${pending[1]}\n`);
      if (next === answers.length) child.stdin.end();
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('vault passwords on a terminal', () => {
  it('--ask-vault-pass: "Vault password: ", not echoed', async () => {
    const f = path.join(dir, 'view.yml');
    writeFileSync(f, vaultEncrypt('shown: after the prompt\n', PASSWORD));
    const r = await onTty(['vault', 'view', f, '--ask-vault-pass'], [['Vault password: ', PASSWORD]]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('shown: after the prompt');
    expect(r.out).not.toContain(PASSWORD);
  }, 60_000);

  it('--vault-id dev@prompt for encrypt_string: asked twice as a new password; the value names vault id dev', async () => {
    const r = await onTty(
      ['vault', 'encrypt_string', '--vault-id', 'dev@prompt', '--name', 'x', 'tty-plaintext'],
      [
        ['New vault password (dev): ', PASSWORD],
        ['Confirm new vault password (dev): ', PASSWORD],
      ],
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain(PASSWORD);
    const envelope = r.out
      .slice(r.out.indexOf('$ANSIBLE_VAULT'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => /^(\$ANSIBLE_VAULT|[0-9a-f]+$)/.test(l))
      .join('\n');
    const parsed = parseVaultEnvelope(envelope);
    expect(parsed.vaultId).toBe('dev');
    expect(vaultDecryptWith(parsed, PASSWORD).toString()).toBe('tty-plaintext');
  }, 60_000);

  it('new passwords that differ: refused, nothing written', async () => {
    const f = path.join(dir, 'plain.yml');
    writeFileSync(f, 'a: 1\n');
    const r = await onTty(
      ['vault', 'encrypt', f, '--ask-vault-pass'],
      [
        ['New Vault password: ', PASSWORD],
        ['Confirm New Vault password: ', 'something else'],
      ],
    );
    expect(r.code).toBe(4);
    expect(r.out).toContain('the vault passwords do not match');
    expect(readFileSync(f, 'utf8')).toBe('a: 1\n');
  }, 60_000);
});

describe('vault flags on play, check and lab', () => {
  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    const { main } = await import('../../../src/cli/main.js');
    let stderr = '';
    const errWrite = process.stderr.write;
    process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
    try {
      return { code: await main(['node', 'drover', ...args]), stderr };
    } finally {
      process.stderr.write = errWrite;
      process.exitCode = undefined;
    }
  }
  const pb = path.resolve('test/fixtures/playbooks/bad/good.yaml');
  const cases: Array<[string, string[], RegExp]> = [
    ['play: a missing password file', ['play', pb, '-i', 'nowhere,', '--vault-password-file', '/nonexistent/pw'], /the vault password file \/nonexistent\/pw was not found/],
    ['check: a bad vault id', ['check', pb, '-i', 'nowhere,', '--vault-id', 'a;b@/etc/hostname'], /"a;b" is not a valid vault id/],
    ['lab run: a missing password file', ['lab', 'run', 'lab1', '--vault-id', 'dev@/nonexistent/pw'], /the vault password file \/nonexistent\/pw was not found/],
    ['play: an empty password file', ['play', pb, '-i', 'nowhere,', '--vault-password-file', path.join(dir, 'empty')], /invalid vault password: the file .*empty is empty/],
  ];
  writeFileSync(path.join(dir, 'empty'), '\n');
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe('encrypt_string --prompt', () => {
  it('asks the name (echoed) and the string (hidden)', async () => {
    const r = await onTty(
      ['vault', 'encrypt_string', '--prompt', '--vault-id', 'p@prompt'],
      [
        ['New vault password (p): ', PASSWORD],
        ['Confirm new vault password (p): ', PASSWORD],
        ['Variable name (enter for no name): ', 'asked_name'],
        ['String to encrypt (hidden): ', 'hidden-plaintext-77'],
      ],
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('asked_name: !vault |');
    expect(r.out).not.toContain('hidden-plaintext-77');
  }, 60_000);
});
