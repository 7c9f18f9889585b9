/**
 * The credentials role's `credentials_vault` option: the lab's generated
 * passwords are written vault-encrypted with the run's vault password (never
 * in the clear on disk or in output), once; an existing plaintext file is
 * encrypted in place keeping its passwords; the role's verify tasks and a
 * play that loads the file (as load_credentials does) read it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPlaybookCollecting } from '../../helpers/play.js';
import { setVaultKeyring, VaultKeyring } from '../../../src/util/vault.js';
import { parseYaml } from '../../../src/util/yaml.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PASSWORD = 'credentials-vault-pw';
const KEYS = ['MARIADB_ROOT_PASSWORD', 'OS_ADMIN_PASSWORD', 'OS_SERVICE_PASSWORD', 'OS_SHARED_SECRET', 'OS_DEMO_PASSWORD'];
const keyring = new VaultKeyring([{ id: 'default', password: Buffer.from(PASSWORD) }]);

afterEach(() => setVaultKeyring(new VaultKeyring([])));

function playbooks(): { dir: string; creds: string; site: string; load: string } {
  const dir = mkdtempSync(join(tmpdir(), 'drover-cred-vault-'));
  const site = join(dir, 'site.yaml');
  writeFileSync(site, `- hosts: localhost\n  gather_facts: false\n  roles:\n    - ${join(ROOT, 'roles/credentials')}\n`);
  const load = join(dir, 'load.yaml');
  writeFileSync(
    load,
    [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - include_vars:',
      '        file: "{{ credentials_dir }}/credentials.yaml"',
      '    - debug:',
      '        msg: "admin={{ OS_ADMIN_PASSWORD }}"',
      '',
    ].join('\n'),
  );
  return { dir, creds: join(dir, 'creds'), site, load };
}

function decrypted(file: string): Record<string, string> {
  return parseYaml(keyring.decrypt(readFileSync(file)).plaintext.toString('utf8'), '<creds>').value as Record<string, string>;
}

describe('credentials role: credentials_vault', () => {
  it('generates the passwords once, vault-encrypted, 0600; never shown; verify and include_vars read them', async () => {
    const p = playbooks();
    setVaultKeyring(keyring);
    const vars = [`credentials_dir=${p.creds}`, 'credentials_vault=true'];
    const first = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: vars });
    expect(first.summary.exitCode, JSON.stringify(first.results.filter((r) => r.status === 'failed'))).toBe(0);
    const file = join(p.creds, 'credentials.yaml');
    const body = readFileSync(file, 'utf8');
    expect(body).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = decrypted(file);
    expect(Object.keys(creds).sort()).toEqual([...KEYS].sort());
    for (const k of KEYS) expect(creds[k]).toMatch(k === 'OS_SHARED_SECRET' ? /^[A-Za-z0-9]{32}$/ : /^[A-Za-z0-9]{20}$/);
    expect(creds.OS_ADMIN_PASSWORD).toBe(creds.OS_SERVICE_PASSWORD);
    const shown = JSON.stringify(first.events);
    for (const v of Object.values(creds)) expect(shown).not.toContain(v);

    // Once: a second run changes nothing and keeps the file byte for byte.
    const second = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: vars });
    expect(second.summary.exitCode).toBe(0);
    expect(second.results.filter((r) => r.status === 'changed').map((r) => r.task)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(body);

    const verify = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: vars, mode: 'verify' });
    expect(verify.summary.exitCode, JSON.stringify(verify.results.filter((r) => r.status === 'failed'))).toBe(0);
    expect(verify.results.some((r) => r.task.includes('vault-encrypted') && r.status === 'ok')).toBe(true);

    const load = await runPlaybookCollecting({ playbook: p.load, inventory: ['localhost,'], extraVars: [`credentials_dir=${p.creds}`] });
    expect(load.summary.exitCode).toBe(0);
    expect(load.results.map((r) => r.msg).filter((m) => typeof m === 'string' && m.startsWith('admin='))).toEqual(['admin=********']);

    const ansibleVault = spawnSync('sh', ['-c', 'command -v ansible-vault'], { encoding: 'utf8' }).stdout.trim();
    if (ansibleVault) {
      const pw = join(p.dir, 'pw');
      writeFileSync(pw, PASSWORD);
      const v = spawnSync(ansibleVault, ['view', file, '--vault-password-file', pw], { encoding: 'utf8' });
      expect(v.stdout).toContain(`OS_ADMIN_PASSWORD: "${creds.OS_ADMIN_PASSWORD}"`);
    }
  });

  it('an existing plaintext credentials file is encrypted in place, its passwords kept', async () => {
    const p = playbooks();
    const plain = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: [`credentials_dir=${p.creds}`] });
    expect(plain.summary.exitCode).toBe(0);
    const file = join(p.creds, 'credentials.yaml');
    const before = parseYaml(readFileSync(file, 'utf8'), '<plain>').value as Record<string, string>;
    expect(Object.keys(before)).toHaveLength(5);
    setVaultKeyring(keyring);
    const r = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: [`credentials_dir=${p.creds}`, 'credentials_vault=true'] });
    expect(r.summary.exitCode, JSON.stringify(r.results.filter((x) => x.status === 'failed'))).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decrypted(file)).toEqual(before);
    for (const v of Object.values(before)) expect(JSON.stringify(r.events)).not.toContain(v);
  });

  it('without a vault password: the run fails at the encrypting task and writes nothing', async () => {
    const p = playbooks();
    const r = await runPlaybookCollecting({ playbook: p.site, inventory: ['localhost,'], extraVars: [`credentials_dir=${p.creds}`, 'credentials_vault=true'] });
    expect(r.summary.exitCode).not.toBe(0);
    expect(JSON.stringify(r.events)).toMatch(/no secret given and the run has no vault password/);
    expect(() => statSync(join(p.creds, 'credentials.yaml'))).toThrow();
  });
});
