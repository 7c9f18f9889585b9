/**
 * Ansible Vault in a real run (loopback sshd): a `!vault` play var, a
 * vault-encrypted vars_files file and a vault-encrypted `copy src` reach the
 * host as plaintext, and every decrypted value is masked in the console
 * output, the events and the --events log, also under names that are not
 * secret-looking. Without a password, a `!vault` value is exit 4 at its
 * file:line before any host is contacted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { runPlaybookCollecting } from '../../helpers/play.js';
import { consoleSink } from '../../../src/report/console.js';
import { MASK } from '../../../src/util/redact.js';
import { setVaultKeyring, vaultEncrypt, VaultKeyring } from '../../../src/util/vault.js';
import { main } from '../../../src/cli/main.js';

const sshd = useSshd();
const PASSWORD = 'play-test-vault-pw';
const DB_PASSWORD = 'vaulted-db-pw-7c1e';
const GREETING = 'greeting-from-the-encrypted-file-91a';
const FILE_SECRET = 'line-from-an-encrypted-src-file-5d2';

afterEach(() => setVaultKeyring(new VaultKeyring([])));

const indented = (text: string, n: number) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

function writePlay(dir: string): string {
  writeFileSync(join(dir, 'secrets.yml'), vaultEncrypt(`greeting_text: ${GREETING}\n`, PASSWORD));
  writeFileSync(join(dir, 'secret.conf'), vaultEncrypt(`key = ${FILE_SECRET}\n`, PASSWORD, { vaultId: 'files' }));
  const pb = join(dir, 'site.yml');
  writeFileSync(
    pb,
    [
      '- hosts: web',
      '  gather_facts: false',
      '  vars_files: [secrets.yml]',
      '  vars:',
      '    db_password: !vault |',
      indented(vaultEncrypt(DB_PASSWORD, PASSWORD), 6),
      '  tasks:',
      '    - name: A config file from vaulted values',
      '      copy:',
      '        content: "db={{ db_password }} greeting={{ greeting_text }}\\n"',
      '        dest: "{{ workdir }}/app.conf"',
      '    - name: A vault-encrypted src, copied decrypted',
      '      copy:',
      '        src: secret.conf',
      '        dest: "{{ workdir }}/secret.conf"',
      '    - name: Echo a vaulted value',
      '      shell: "echo {{ greeting_text }}"',
      '      register: echoed',
      '    - name: Show them',
      '      debug:',
      '        msg: "{{ echoed.stdout }} / {{ db_password }}"',
      '',
    ].join('\n'),
  );
  return pb;
}

describe('Ansible Vault in a play', () => {
  it('plaintext on the host; masked in console output, events and the --events log', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = writePlay(t.dir);
    setVaultKeyring(
      new VaultKeyring([
        { id: 'default', password: Buffer.from(PASSWORD) },
        { id: 'files', password: Buffer.from(PASSWORD) },
      ]),
    );
    let console = '';
    const out = Object.assign(new Writable({ write: (chunk, _e, cb) => ((console += String(chunk)), cb()) }), { isTTY: false });
    const eventsFile = join(t.dir, 'events.jsonl');
    const r = await runPlaybookCollecting({
      playbook: pb,
      inventory: [t.inventory],
      diff: true,
      verbose: 2,
      eventsFile,
      sinks: [consoleSink({ out: out as unknown as NodeJS.WriteStream, verbose: 2, diff: true, check: false })],
    });
    expect(r.summary.exitCode, console).toBe(0);
    expect(readFileSync(join(t.workdirs.h1!, 'app.conf'), 'utf8')).toBe(`db=${DB_PASSWORD} greeting=${GREETING}\n`);
    expect(readFileSync(join(t.workdirs.h1!, 'secret.conf'), 'utf8')).toBe(`key = ${FILE_SECRET}\n`);
    const log = readFileSync(eventsFile, 'utf8');
    const events = JSON.stringify(r.events);
    for (const [what, text] of [
      ['console', console],
      ['events', events],
      ['--events log', log],
    ] as const) {
      for (const secret of [DB_PASSWORD, GREETING, FILE_SECRET]) expect(text.includes(secret), `${secret} in the ${what}`).toBe(false);
    }
    expect(r.results.find((x) => x.task === 'Show them')?.msg).toBe(`${MASK} / ${MASK}`);
    expect(console).toContain('diff hidden: the src is vault-encrypted');
    expect(console).toContain(MASK);
  });

  it('a !vault value without a password: exit 4 at file:line, no host contacted', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = writePlay(t.dir);
    // Contacts, not the log as a whole: an earlier test's connection may log its disconnect late.
    const contacts = () => sshd.log().split('\n').filter((l) => /Accepted |Connection from |Invalid user |Failed /.test(l)).length;
    const before = contacts();
    let stderr = '';
    const errWrite = process.stderr.write;
    process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
    let code: number;
    const saved = { d: process.env.DROVER_VAULT_PASSWORD_FILE, a: process.env.ANSIBLE_VAULT_PASSWORD_FILE };
    delete process.env.DROVER_VAULT_PASSWORD_FILE;
    delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    try {
      code = await main(['node', 'drover', 'play', pb, '-i', t.inventory]);
    } finally {
      process.stderr.write = errWrite;
      process.exitCode = undefined;
      if (saved.d !== undefined) process.env.DROVER_VAULT_PASSWORD_FILE = saved.d;
      if (saved.a !== undefined) process.env.ANSIBLE_VAULT_PASSWORD_FILE = saved.a;
    }
    expect(code, stderr).toBe(4);
    expect(stderr).toMatch(/site\.yml:5:\d+: a vault-encrypted value needs a vault password: --vault-password-file, --ask-vault-pass, --vault-id or DROVER_VAULT_PASSWORD_FILE/);
    expect(stderr).not.toContain('$ANSIBLE_VAULT');
    expect(contacts()).toBe(before);
  });

  it('drover check: a vault-encrypted copy src without a password is exit 4 at the task argument', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    writeFileSync(join(t.dir, 'secret.conf'), vaultEncrypt(`key = ${FILE_SECRET}\n`, PASSWORD));
    const pb = join(t.dir, 'copy.yml');
    writeFileSync(pb, ['- hosts: web', '  tasks:', '    - copy:', '        src: secret.conf', '        dest: /tmp/x', ''].join('\n'));
    setVaultKeyring(new VaultKeyring([]));
    const { loadAndValidate } = await import('../../../src/engine/run.js');
    const e = await loadAndValidate({ playbook: pb, inventory: [t.inventory] }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.message).toMatch(/copy\.yml:4:\d+: secret\.conf: this file is vault-encrypted; a vault-encrypted value needs a vault password/);
  });

  it('drover play and check with --vault-password-file / --vault-id read them', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const pb = writePlay(t.dir);
    const pw = join(mkdtempSync(join(tmpdir(), 'vault-pw-')), 'pw');
    writeFileSync(pw, `${PASSWORD}\n`);
    let stdout = '';
    const outWrite = process.stdout.write;
    process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'drover', 'check', pb, '-i', t.inventory, '--vault-password-file', pw])).toBe(0);
      expect(stdout).toContain('ok: 1 play, 4 tasks, 1 host');
      expect(await main(['node', 'drover', 'play', pb, '-i', t.inventory, '--vault-id', pw, '--vault-id', `files@${pw}`])).toBe(0);
    } finally {
      process.stdout.write = outWrite;
      process.exitCode = undefined;
    }
    expect(stdout).not.toContain(DB_PASSWORD);
    expect(stdout).not.toContain(GREETING);
    expect(readFileSync(join(t.workdirs.h1!, 'app.conf'), 'utf8')).toBe(`db=${DB_PASSWORD} greeting=${GREETING}\n`);
  });
});
