/**
 * Ansible Vault's format (util/vault.ts): the known-answer vectors below were
 * made by ansible-core 2.14's VaultLib with a fixed salt, so byte equality
 * proves the format; test/differential/vault-interop.test.ts runs
 * ansible-vault itself.
 */
import { describe, expect, it } from 'vitest';
import {
  isVaultText,
  parseVaultEnvelope,
  revealedSecrets,
  revealSecret,
  vaultDecryptWith,
  vaultEncrypt,
  VaultError,
  VaultKeyring,
  setVaultKeyring,
} from '../../../src/util/vault.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/util/errors.js';
import { readTextFile } from '../../../src/util/text-input.js';
import { parseExtraVars } from '../../../src/playbook/extra-vars.js';
import { loadVarsFile, loadYamlFile, parseYaml } from '../../../src/util/yaml.js';
import { Redactor, MASK } from '../../../src/util/redact.js';

const V11 = `$ANSIBLE_VAULT;1.1;AES256
33303331333233333334333533363337333833393631363236333634363536363330333133323333
3334333533363337333833393631363236333634363536360a393234373038386635653634623430
37333561653236303036653834643435333862663865646137333333636133313139303336353935
3066363366633964620a323531303035613462366639316437343061633033326331616239396365
3835
`;
const V12 = `$ANSIBLE_VAULT;1.2;AES256;dev
35333533353335333533353335333533353335333533353335333533353335333533353335333533
3533353335333533353335333533353335333533353335330a333064313563376130643662326463
64383032616236636330323966366634356431356566353565376135316466326532363837656439
6466323835643338360a613839303133636535643735323039623138373739386534636434343532
6538
`;

function thrown(f: () => unknown): VaultError {
  try {
    f();
  } catch (e) {
    if (e instanceof VaultError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('vault format', () => {
  it('encrypts byte for byte as ansible-core does (1.1, fixed salt)', () => {
    expect(vaultEncrypt('hello vault\n', 'hunter2', { salt: Buffer.from('0123456789abcdef0123456789abcdef') })).toBe(V11);
  });

  it('a vault id other than default makes a 1.2 envelope naming it', () => {
    expect(vaultEncrypt('dev secret', 'devpw', { vaultId: 'dev', salt: Buffer.alloc(32, 'S') })).toBe(V12);
    expect(vaultEncrypt('x', 'pw', { vaultId: 'default' })).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });

  it('decrypts 1.1 and 1.2 envelopes made by ansible-core', () => {
    expect(vaultDecryptWith(parseVaultEnvelope(V11), 'hunter2').toString()).toBe('hello vault\n');
    const env = parseVaultEnvelope(V12);
    expect(env.version).toBe('1.2');
    expect(env.vaultId).toBe('dev');
    expect(vaultDecryptWith(env, 'devpw').toString()).toBe('dev secret');
  });

  it('lines of 80 hex characters after the header, ending in a newline; fresh salt each time', () => {
    const text = vaultEncrypt('a'.repeat(1000), 'pw');
    const lines = text.split('\n');
    expect(lines[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(lines.at(-1)).toBe('');
    const body = lines.slice(1, -1);
    for (const l of body.slice(0, -1)) expect(l).toMatch(/^[0-9a-f]{80}$/);
    expect(body.at(-1)!.length).toBeLessThanOrEqual(80);
    expect(vaultEncrypt('a', 'pw')).not.toBe(vaultEncrypt('a', 'pw'));
  });

  it('round-trips empty, binary and multi-block data; padding is PKCS7', () => {
    for (const data of [Buffer.alloc(0), Buffer.from([0, 255, 1, 254]), Buffer.alloc(16, 7), Buffer.alloc(33, 0x10)]) {
      expect(vaultDecryptWith(parseVaultEnvelope(vaultEncrypt(data, 'pw')), 'pw').equals(data)).toBe(true);
    }
    // 16 bytes of plaintext take two blocks: a full block of padding is added.
    expect(parseVaultEnvelope(vaultEncrypt(Buffer.alloc(16), 'pw')).ciphertext.length).toBe(32);
  });

  it('isVaultText: the header at the start, as text or bytes', () => {
    expect(isVaultText(V11)).toBe(true);
    expect(isVaultText(Buffer.from(V12))).toBe(true);
    expect(isVaultText(' ' + V11)).toBe(false);
    expect(isVaultText('password: x\n')).toBe(false);
  });
});

describe('vault errors', () => {
  it('a wrong password is an HMAC failure, not garbage', () => {
    const e = thrown(() => vaultDecryptWith(parseVaultEnvelope(V11), 'wrong'));
    expect(e.kind).toBe('password');
    expect(e.message).toMatch(/HMAC verification failed/);
  });

  it('tampering with the ciphertext, the HMAC or the salt is detected', () => {
    const env = parseVaultEnvelope(V11);
    for (const field of ['ciphertext', 'hmac', 'salt'] as const) {
      const copy = { ...env, [field]: Buffer.from(env[field]) };
      copy[field][0] ^= 1;
      expect(thrown(() => vaultDecryptWith(copy, 'hunter2')).kind).toBe('password');
    }
  });

  it('malformed envelopes say what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['$ANSIBLE_VAULT;1.1\nabcd\n', /malformed vault header/],
      ['$ANSIBLE_VAULT;2.0;AES256\nabcd\n', /unsupported vault format version 2\.0/],
      ['$ANSIBLE_VAULT;1.1;AES\nabcd\n', /unsupported vault cipher AES/],
      ['$ANSIBLE_VAULT;1.1;AES256\nxyz!\n', /not hexadecimal/],
      ['$ANSIBLE_VAULT;1.1;AES256\n6162\n', /not salt, HMAC and ciphertext/],
      [V11.slice(0, -20) + '\n', /./],
    ];
    for (const [text, message] of cases) {
      const e = thrown(() => parseVaultEnvelope(text));
      expect(e.kind).toBe('format');
      expect(e.message).toMatch(message);
    }
  });

  it('the keyring tries the envelope’s vault id first, then every other password', () => {
    const k = new VaultKeyring([
      { id: 'prod', password: Buffer.from('nope') },
      { id: 'other', password: Buffer.from('hunter2') },
      { id: 'dev', password: Buffer.from('devpw') },
    ]);
    expect(k.decrypt(V12)).toEqual({ plaintext: Buffer.from('dev secret'), vaultId: 'dev' });
    expect(k.decrypt(V11).vaultId).toBe('other');
    const none = new VaultKeyring([{ id: 'default', password: Buffer.from('x') }]);
    expect(thrown(() => none.decrypt(V12)).message).toMatch(/no vault password given \(vault ids: default\) opens this data \(it names vault id "dev"\)/);
    expect(thrown(() => new VaultKeyring([]).decrypt(V11)).kind).toBe('no-password');
  });

  it('encrypting picks the named vault id, or the first', () => {
    const k = new VaultKeyring([
      { id: 'a', password: Buffer.from('pa') },
      { id: 'b', password: Buffer.from('pb') },
    ]);
    expect(k.encryptSecret().id).toBe('a');
    expect(k.encryptSecret('b').id).toBe('b');
    expect(thrown(() => k.encryptSecret('c')).message).toMatch(/--encrypt-vault-id=c/);
  });

  it('refuses to encrypt twice or with an empty password', () => {
    expect(thrown(() => vaultEncrypt(V11, 'pw')).message).toMatch(/already encrypted/);
    expect(thrown(() => vaultEncrypt('x', '')).message).toMatch(/empty/);
  });
});

describe('decrypted values are secrets', () => {
  it('every Redactor masks revealed values, also those revealed after it was made, line by line for multi-line ones', () => {
    const r = new Redactor();
    revealSecret('vault-plain-1');
    expect(r.redact('pw is vault-plain-1.')).toBe(`pw is ${MASK}.`);
    revealSecret('-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\n-----END KEY-----\n');
    expect(r.redact('+QUJDREVGR0hJSktMTU5PUA==')).toBe(`+${MASK}`);
    expect(r.redactValue({ a: ['x vault-plain-1'] })).toEqual({ a: [`x ${MASK}`] });
    expect(revealedSecrets()).toContain('vault-plain-1');
  });
});

describe('the YAML reader and the file reader', () => {
  const pw = new VaultKeyring([{ id: 'default', password: Buffer.from('hunter2') }]);
  const indent = (text: string) => text.trimEnd().split('\n').map((l) => '  ' + l).join('\n');

  it('!vault values decrypt to strings and become secrets', () => {
    setVaultKeyring(pw);
    const y = parseYaml(`db_password: !vault |\n${indent(vaultEncrypt('s3cr3t-db', 'hunter2'))}\nport: 3306\n`, '<t>');
    expect(y.value).toEqual({ db_password: 's3cr3t-db', port: 3306 });
    expect(revealedSecrets()).toContain('s3cr3t-db');
    // A number encrypted is still a string, as in Ansible.
    expect(parseYaml(`n: !vault |\n${indent(vaultEncrypt('42', 'hunter2'))}\n`, '<t>').value).toEqual({ n: '42' });
  });

  it('without a password: an input error at the value, naming the flags', () => {
    setVaultKeyring(new VaultKeyring([]));
    const e = thrownInput(() => parseYaml(`a: 1\nsecret: !vault |\n${indent(V11)}\n`, '/tmp/x/vars.yml'));
    expect(e.message).toMatch(/vars\.yml:2:\d+: a vault-encrypted value needs a vault password: --vault-password-file, --ask-vault-pass, --vault-id or DROVER_VAULT_PASSWORD_FILE/);
  });

  it('a wrong password or damaged value: an input error at the value', () => {
    setVaultKeyring(new VaultKeyring([{ id: 'default', password: Buffer.from('wrong') }]));
    expect(thrownInput(() => parseYaml(`s: !vault |\n${indent(V11)}\n`, '<t>')).message).toMatch(/<t>:1:\d+: cannot decrypt this !vault value: decryption failed/);
    setVaultKeyring(pw);
    expect(thrownInput(() => parseYaml(`s: !vault "$ANSIBLE_VAULT;1.1;AES256\\nzz"\n`, '<t>')).message).toMatch(/<t>:1:\d+: cannot decrypt this !vault value: malformed vault data/);
  });

  it('whole encrypted files are decrypted by the one reader: vars files and -e @file (values secret), playbooks', () => {
    setVaultKeyring(pw);
    const dir = mkdtempSync(join(tmpdir(), 'vault-yaml-'));
    writeFileSync(join(dir, 'vars.yml'), vaultEncrypt('api_key: from-an-encrypted-file\nlist: [one-item-secret]\n', 'hunter2'));
    expect(loadVarsFile(join(dir, 'vars.yml'))).toEqual({ api_key: 'from-an-encrypted-file', list: ['one-item-secret'] });
    expect(revealedSecrets()).toEqual(expect.arrayContaining(['from-an-encrypted-file', 'one-item-secret']));
    writeFileSync(join(dir, 'site.yml'), vaultEncrypt('- hosts: all\n  tasks: []\n', 'hunter2'));
    expect(loadYamlFile(join(dir, 'site.yml')).value).toEqual([{ hosts: 'all', tasks: [] }]);
    expect(readTextFile(join(dir, 'site.yml'), 'site.yml')).toBe('- hosts: all\n  tasks: []\n');
    // -e @file: the same reader; its values are secrets too.
    writeFileSync(join(dir, 'extra.yml'), vaultEncrypt('cli_value: from-an-encrypted-e-file\n', 'hunter2'));
    expect(parseExtraVars([`@${join(dir, 'extra.yml')}`])).toEqual({ cli_value: 'from-an-encrypted-e-file' });
    expect(revealedSecrets()).toContain('from-an-encrypted-e-file');
    setVaultKeyring(new VaultKeyring([]));
    expect(thrownInput(() => loadVarsFile(join(dir, 'vars.yml'))).message).toMatch(/vars\.yml:1:1: this file is vault-encrypted; a vault-encrypted value needs a vault password/);
  });
});

function thrownInput(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('inventories', () => {
  it('an encrypted inventory file, an encrypted group_vars file and a !vault host var in a YAML inventory are read; their values are secrets', async () => {
    const { loadInventory } = await import('../../../src/inventory/load.js');
    setVaultKeyring(new VaultKeyring([{ id: 'default', password: Buffer.from('hunter2') }]));
    const dir = mkdtempSync(join(tmpdir(), 'vault-inv-'));
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'hosts.ini'), vaultEncrypt('[web]\nw1 ansible_host=10.0.0.1\n', 'hunter2'));
    writeFileSync(join(dir, 'group_vars', 'web.yml'), vaultEncrypt('web_api_key: group-vars-secret-value\n', 'hunter2'));
    const inv = await loadInventory([join(dir, 'hosts.ini')]);
    expect(inv.hostVars('w1')).toMatchObject({ ansible_host: '10.0.0.1', web_api_key: 'group-vars-secret-value' });
    expect(revealedSecrets()).toContain('group-vars-secret-value');
    const y = join(dir, 'hosts.yml');
    writeFileSync(y, `all:\n  hosts:\n    y1:\n      motd: !vault |\n${indentBy(vaultEncrypt('inline-host-var-secret', 'hunter2'), 8)}\n`);
    expect((await loadInventory([y])).hostVars('y1')).toMatchObject({ motd: 'inline-host-var-secret' });
    expect(revealedSecrets()).toContain('inline-host-var-secret');
  });
});

function indentBy(text: string, n: number): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

describe('the vault and unvault filters', () => {
  const BY_ANSIBLE = `$ANSIBLE_VAULT;1.2;AES256;filter_default
33303331333233333334333533363337333833393631363236333634363536363330333133323333
3334333533363337333833393631363236333634363536360a363231653464643030663963333862
38366331323636666334333962636231326337393063326539653461383561396231613161363665
6237313935643261620a633566646333393266643762393334343161653637316230373931316430
6335
`;
  it("vault(secret, salt) is byte for byte ansible-core's do_vault (vault id filter_default); unvault reads it", async () => {
    const { renderString } = await import('../../../src/template/index.js');
    expect(renderString("{{ 'filtered text' | vault('fpw', salt='0123456789abcdef0123456789abcdef') }}", {})).toBe(BY_ANSIBLE);
    expect(renderString("{{ v | unvault('fpw') }}", { v: BY_ANSIBLE })).toBe('filtered text');
    expect(revealedSecrets()).toContain('filtered text');
    expect(renderString("{{ 'not vaulted' | unvault('fpw') }}", {})).toBe('not vaulted');
  });

  it("without a secret they use the run's vault password; without one, a clear error", async () => {
    const { renderString } = await import('../../../src/template/index.js');
    setVaultKeyring(new VaultKeyring([{ id: 'labs', password: Buffer.from('run-pw') }]));
    const env = renderString("{{ 'role-made' | vault }}", {}) as string;
    expect(env).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;labs\n/);
    expect(vaultDecryptWith(parseVaultEnvelope(env), 'run-pw').toString()).toBe('role-made');
    expect(renderString('{{ e | unvault }}', { e: env })).toBe('role-made');
    setVaultKeyring(new VaultKeyring([]));
    expect(() => renderString("{{ 'x' | vault }}", {})).toThrow(/vault: no secret given and the run has no vault password/);
    expect(() => renderString("{{ e | unvault('wrong') }}", { e: env })).toThrow(/unvault: HMAC verification failed/);
  });
});
