/**
 * Differential: Ansible Vault both ways. Files and encrypt_string values made
 * by ansible-vault (ansible-core, installed by scripts/test-setup.sh) open in
 * drover — its CLI and its YAML reader — and drover's open in ansible-vault
 * and in Ansible's own DataLoader. Without ansible-vault the suite is skipped,
 * saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** drover's CLI from source (tsx), wherever the command runs. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const which = spawnSync('sh', ['-c', 'command -v ansible-vault'], { encoding: 'utf8' });
const ANSIBLE_VAULT = which.status === 0 ? which.stdout.trim() : undefined;
/** The Python that runs ansible-vault (its shebang), so ansible is importable whatever python3 is first on PATH. */
const PYTHON = ANSIBLE_VAULT ? /^#!\s*(\S+)/.exec(readFileSync(ANSIBLE_VAULT, 'utf8').split('\n')[0]!)?.[1] : undefined;
if (!ANSIBLE_VAULT) console.warn('vault-interop: skipped: ansible-vault is not installed (scripts/test-setup.sh installs ansible-core)');

const dir = mkdtempSync(join(tmpdir(), 'drover-vault-interop-'));
const PW = join(dir, 'pw');
const DEV_PW = join(dir, 'dev-pw');
const NEW_PW = join(dir, 'new-pw');
writeFileSync(PW, 'correct horse\n');
writeFileSync(DEV_PW, 'dev battery staple');
writeFileSync(NEW_PW, '  rekeyed pass \n');
const env = { ...process.env, EDITOR: '', DROVER_VAULT_PASSWORD_FILE: '', ANSIBLE_VAULT_PASSWORD_FILE: '', NO_COLOR: '1' };

interface Ran {
  code: number | null;
  out: string;
  err: string;
  raw: Buffer;
}
/** Run a command without blocking the worker (spawnSync would starve vitest's RPC for seconds). */
function run(cmd: string, args: string[], o: { input?: string | Buffer; env?: Record<string, string>; cwd?: string }): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: o.cwd ?? dir, env: { ...env, ...o.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', fail);
    child.on('close', (code) => {
      const raw = Buffer.concat(out);
      done({ code, out: raw.toString('utf8'), err: Buffer.concat(err).toString('utf8'), raw });
    });
    child.stdin.end(o.input ?? '');
  });
}
function ansibleVault(args: string[], o: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Ran> {
  return run(ANSIBLE_VAULT!, args, o);
}
function drover(args: string[], o: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Ran> {
  return run(process.execPath, ['--import', TSX, join(ROOT, 'test/e2e/drover-cli.ts'), 'vault', ...args], o);
}
/** Ansible's own loader (DataLoader, the one ansible-playbook uses) reading a YAML file with these secrets. */
async function ansibleLoads(file: string, secrets: Array<[string, string]>): Promise<Record<string, string>> {
  const script = [
    'import json, sys',
    'from ansible.parsing.dataloader import DataLoader',
    'from ansible.parsing.vault import VaultSecret',
    'l = DataLoader()',
    'l.set_vault_secrets([(i, VaultSecret(p.encode())) for i, p in json.loads(sys.argv[2])])',
    'd = l.load_from_file(sys.argv[1])',
    'print(json.dumps({k: str(v) for k, v in d.items()}))',
  ].join('\n');
  const r = await run(PYTHON!, ['-c', script, file, JSON.stringify(secrets)], {});
  if (r.code !== 0) throw new Error(`ansible's DataLoader failed: ${r.err}`);
  return JSON.parse(r.out) as Record<string, string>;
}

const matrix: string[] = [];
function record(made: string, opened: string, what: string): void {
  matrix.push(`${made.padEnd(14)} -> ${opened.padEnd(22)} ${what}: ok`);
}
afterAll(() => {
  if (matrix.length) console.log(`vault interop matrix (${matrix.length} cases):\n${matrix.join('\n')}`);
});

describe.skipIf(!ANSIBLE_VAULT)('vault interop with ansible-vault', () => {
  it('ansible-vault encrypt (1.1) -> drover vault view / decrypt', async () => {
    const f = join(dir, 'a11.yml');
    writeFileSync(f, 'db_password: from-ansible-11\n');
    expect((await ansibleVault(['encrypt', f, '--vault-password-file', PW])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    const v = await drover(['view', f, '--vault-password-file', PW]);
    expect(v.err).toBe('');
    expect(v.out).toBe('db_password: from-ansible-11\n');
    const d = await drover(['decrypt', f, '--output', '-', '--vault-password-file', PW]);
    expect(d.out).toBe('db_password: from-ansible-11\n');
    record('ansible-vault', 'drover view/decrypt', 'file 1.1');
  });

  it('ansible-vault encrypt --vault-id dev@file (1.2) -> drover with --vault-id, and with DROVER_VAULT_PASSWORD_FILE', async () => {
    const f = join(dir, 'a12.yml');
    writeFileSync(f, 'token: from-ansible-12\n');
    expect((await ansibleVault(['encrypt', f, '--vault-id', `dev@${DEV_PW}`])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
    expect((await drover(['view', f, '--vault-id', `dev@${DEV_PW}`])).out).toBe('token: from-ansible-12\n');
    // Any password is tried, whatever the id (Ansible's default).
    expect((await drover(['view', f], { env: { DROVER_VAULT_PASSWORD_FILE: DEV_PW } })).out).toBe('token: from-ansible-12\n');
    expect((await drover(['view', f], { env: { ANSIBLE_VAULT_PASSWORD_FILE: DEV_PW } })).out).toBe('token: from-ansible-12\n');
    record('ansible-vault', 'drover view', 'file 1.2 (vault id dev)');
  });

  it('drover vault encrypt (1.1 and 1.2) -> ansible-vault view, and the files are 0600', async () => {
    const f11 = join(dir, 'd11.yml');
    const f12 = join(dir, 'd12.yml');
    writeFileSync(f11, 'x: from-drover-11\n', { mode: 0o644 });
    writeFileSync(f12, 'x: from-drover-12\n');
    const e = await drover(['encrypt', f11, '--vault-password-file', PW]);
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    expect((await drover(['encrypt', f12, '--vault-id', `dev@${DEV_PW}`])).code).toBe(0);
    expect(readFileSync(f11, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect(readFileSync(f12, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
    expect(statSync(f11).mode & 0o777).toBe(0o600);
    expect((await ansibleVault(['view', f11, '--vault-password-file', PW])).out).toBe('x: from-drover-11\n');
    expect((await ansibleVault(['view', f12, '--vault-id', `dev@${DEV_PW}`])).out).toBe('x: from-drover-12\n');
    record('drover', 'ansible-vault view', 'file 1.1');
    record('drover', 'ansible-vault view', 'file 1.2 (vault id dev)');
  });

  it('binary data round-trips byte for byte both ways (stdin to stdout)', async () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256));
    const byDrover = await drover(['encrypt', '--vault-password-file', PW, '--output', '-'], { input: bytes });
    expect(byDrover.code).toBe(0);
    expect((await ansibleVault(['decrypt', '--vault-password-file', PW, '--output', '-'], { input: byDrover.raw })).raw.equals(bytes)).toBe(true);
    const byAnsible = await ansibleVault(['encrypt', '--vault-password-file', PW, '--output', '-'], { input: bytes });
    expect(byAnsible.code).toBe(0);
    expect((await drover(['decrypt', '--vault-password-file', PW, '--output', '-'], { input: byAnsible.raw })).raw.equals(bytes)).toBe(true);
    record('drover', 'ansible-vault decrypt', 'binary, stdin/stdout');
    record('ansible-vault', 'drover decrypt', 'binary, stdin/stdout');
  });

  it('ansible-vault encrypt_string (1.1, 1.2) -> drover reads the !vault values (play/check path)', async () => {
    const a = await ansibleVault(['encrypt_string', '--vault-password-file', PW, '--name', 'db_password', 'value from ansible 1.1']);
    const b = await ansibleVault(['encrypt_string', '--vault-id', `dev@${DEV_PW}`, '--name', 'api_token', 'value from ansible 1.2']);
    expect(a.code).toBe(0);
    const f = join(dir, 'strings-by-ansible.yml');
    writeFileSync(f, `${a.out}\n${b.out}\nplain: x\n`);
    // drover's one YAML reader, as play and check use it, with the keyring the CLI would set.
    const script = [
      "import { VaultKeyring, setVaultKeyring } from './src/util/vault.ts';",
      "import { loadVarsFile } from './src/util/yaml.ts';",
      `setVaultKeyring(new VaultKeyring([{ id: 'default', password: Buffer.from('correct horse') }, { id: 'dev', password: Buffer.from('dev battery staple') }]));`,
      `console.log(JSON.stringify(loadVarsFile(${JSON.stringify(f)})));`,
    ].join('\n');
    const r = await run(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], { cwd: ROOT });
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual({ db_password: 'value from ansible 1.1', api_token: 'value from ansible 1.2', plain: 'x' });
    record('ansible-vault', 'drover YAML reader', 'encrypt_string 1.1 + 1.2');
  });

  it('drover vault encrypt_string (1.1, 1.2, stdin with --stdin-name) -> Ansible’s DataLoader reads them', async () => {
    const a = await drover(['encrypt_string', '--vault-password-file', PW, '--name', 'db_password', 'value from drover 1.1']);
    expect(a.err).toBe('');
    expect(a.out).toMatch(/^db_password: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]{1,80}\n)+ {10}[0-9a-f]{1,80}$/);
    const b = await drover(['encrypt_string', '--vault-id', `dev@${DEV_PW}`, '--stdin-name', 'api_token'], { input: 'value from drover 1.2 (stdin)' });
    expect(b.out).toMatch(/^api_token: !vault \|\n {10}\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
    const f = join(dir, 'strings-by-drover.yml');
    writeFileSync(f, `${a.out}\n${b.out}\n`);
    expect(
      await ansibleLoads(f, [
        ['default', 'correct horse'],
        ['dev', 'dev battery staple'],
      ]),
    ).toEqual({ db_password: 'value from drover 1.1', api_token: 'value from drover 1.2 (stdin)' });
    record('drover', 'ansible DataLoader', 'encrypt_string 1.1 + 1.2');
  });

  it('rekey both ways (the new password file is stripped of whitespace as Ansible does)', async () => {
    const f = join(dir, 'rekey.yml');
    writeFileSync(f, 'k: rekey me\n');
    chmodSync(f, 0o640);
    expect((await ansibleVault(['encrypt', f, '--vault-password-file', PW])).code).toBe(0);
    chmodSync(f, 0o640);
    const r = await drover(['rekey', f, '--vault-password-file', PW, '--new-vault-password-file', NEW_PW]);
    expect(r.err).toBe('Rekey successful\n');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect((await ansibleVault(['view', f, '--vault-password-file', NEW_PW])).out).toBe('k: rekey me\n');
    expect((await ansibleVault(['rekey', f, '--vault-password-file', NEW_PW, '--new-vault-id', `dev@${DEV_PW}`])).code).toBe(0);
    expect((await drover(['view', f, '--vault-id', `dev@${DEV_PW}`])).out).toBe('k: rekey me\n');
    record('ansible-vault', 'drover rekey', 'file');
    record('drover rekey', 'ansible-vault', 'file');
  });

  it('edit and create with $EDITOR: the plaintext temp file is 0600 in a private dir and removed; the vault id is kept', async () => {
    const log = join(dir, 'editor.log');
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nstat -c '%a %n' "$1" "$(dirname "$1")" > ${log}\necho 'added: by the editor' >> "$1"\n`, { mode: 0o755 });
    const f = join(dir, 'edit.yml');
    writeFileSync(f, 'k: before edit\n');
    expect((await ansibleVault(['encrypt', f, '--vault-id', `dev@${DEV_PW}`])).code).toBe(0);
    const r = await drover(['edit', f, '--vault-id', `dev@${DEV_PW}`], { env: { EDITOR: editor } });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [fileLine, dirLine] = readFileSync(log, 'utf8').trim().split('\n') as [string, string];
    expect(fileLine).toMatch(/^600 /);
    expect(dirLine).toMatch(/^700 /);
    expect(existsSync(fileLine.split(' ')[1]!)).toBe(false);
    expect(existsSync(dirLine.split(' ')[1]!)).toBe(false);
    expect(readFileSync(f, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
    expect((await ansibleVault(['view', f, '--vault-id', `dev@${DEV_PW}`])).out).toBe('k: before edit\nadded: by the editor\n');
    const c = join(dir, 'sub', 'created.yml');
    expect((await drover(['create', c, '--vault-password-file', PW], { env: { EDITOR: editor } })).code).toBe(0);
    expect((await ansibleVault(['view', c, '--vault-password-file', PW])).out).toBe('added: by the editor\n');
    record('ansible-vault', 'drover edit', 'file 1.2, id kept');
    record('drover create', 'ansible-vault view', 'file 1.1');
  });

  it('password scripts: an executable prints the password; a -client script is given --vault-id', async () => {
    const script = join(dir, 'pw.sh');
    writeFileSync(script, "#!/bin/sh\nprintf 'correct horse\\n'\n", { mode: 0o755 });
    const client = join(dir, 'pw-client.sh');
    writeFileSync(client, '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = dev ] && { echo "dev battery staple"; exit 0; }\necho "unknown id $2" >&2; exit 2\n', { mode: 0o755 });
    expect((await drover(['view', join(dir, 'a11.yml'), '--vault-password-file', script])).out).toBe('db_password: from-ansible-11\n');
    expect((await drover(['view', join(dir, 'a12.yml'), '--vault-id', `dev@${client}`])).out).toBe('token: from-ansible-12\n');
    const bad = await drover(['view', join(dir, 'a12.yml'), '--vault-id', `prod@${client}`]);
    expect(bad.code).toBe(4);
    expect(bad.err).toMatch(/pw-client\.sh did not find a secret for vault id prod: unknown id prod/);
    record('ansible-vault', 'drover (password script)', 'file 1.1 + 1.2');
  });

  it('a wrong password, a tampered file, no password: exit 4 with a clear message, nothing written', async () => {
    const f = join(dir, 'a11.yml');
    const before = readFileSync(f);
    const wrong = await drover(['decrypt', f, '--vault-password-file', DEV_PW]);
    expect(wrong.code).toBe(4);
    expect(wrong.err).toMatch(/a11\.yml: decryption failed: no vault password given \(vault ids: default\) opens this data/);
    expect(readFileSync(f).equals(before)).toBe(true);
    const lines = before.toString('utf8').split('\n');
    lines[3] = lines[3]!.replace(/^./, (c) => (c === '3' ? '6' : '3'));
    writeFileSync(join(dir, 'tampered.yml'), lines.join('\n'));
    expect((await drover(['view', join(dir, 'tampered.yml'), '--vault-password-file', PW])).err).toMatch(/tampered\.yml: (HMAC|decryption failed|malformed)/);
    expect((await ansibleVault(['view', join(dir, 'tampered.yml'), '--vault-password-file', PW])).code).not.toBe(0);
    const none = await drover(['view', f]);
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/asking for a vault password needs a terminal/);
  });
});
