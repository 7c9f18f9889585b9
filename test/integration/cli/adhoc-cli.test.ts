import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSshd } from '../../helpers/sshd-fixture.js';
import { writeTestInventory } from '../../helpers/inventory.js';
import { ROOT, ensureBuilt } from '../reliability/cli.js';

const BIN = join(ROOT, 'bin/drover.js');
const sshd = useSshd();

/** Run the CLI without blocking the test worker (many runs in a row would starve vitest's RPC). */
function drover(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(ensureBuilt);

describe('drover PATTERN -m MODULE (ad-hoc, the default command)', () => {
  it('ping: one SUCCESS block of sorted JSON per host, exit 0; -o puts each on one line', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const r = (await drover(['web', '-i', t.inventory, '-m', 'ping'], t.dir));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const h of ['h1', 'h2']) expect(r.out).toContain(`${h} | SUCCESS => {\n    "changed": false,\n    "ping": "pong"\n}\n`);
    const one = (await drover(['web', '-i', t.inventory, '-m', 'ping', '-o'], t.dir));
    expect(one.code).toBe(0);
    expect(one.out.trimEnd().split('\n').sort()).toEqual(['h1 | SUCCESS => {"changed": false,"ping": "pong"}', 'h2 | SUCCESS => {"changed": false,"ping": "pong"}']);
    // The explicit sub-command is the same thing.
    expect((await drover(['adhoc', 'h1', '-i', t.inventory, '-m', 'ping', '-o'], t.dir)).out).toBe('h1 | SUCCESS => {"changed": false,"ping": "pong"}\n');
  });

  it('command is the default module; its output is text (rc=N >>), -o escapes newlines', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const r = (await drover(['h1', '-i', t.inventory, '-a', 'echo hi'], t.dir));
    expect(r.code).toBe(0);
    expect(r.out).toBe('h1 | CHANGED | rc=0 >>\nhi\n');
    const o = (await drover(['all', '-i', t.inventory, '-m', 'shell', '-a', 'printf "a\\nb\\n"; echo err >&2', '-o'], t.dir));
    expect(o.code).toBe(0);
    expect(o.out).toBe('h1 | CHANGED | rc=0 | (stdout) a\\nb (stderr) err\n');
  });

  it('a failing command: FAILED | rc with stdout and stderr, exit 2; -o gives the result as JSON', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const r = (await drover(['h1', '-i', t.inventory, '-m', 'shell', '-a', 'echo out; echo oops >&2; exit 3'], t.dir));
    expect(r.code).toBe(2);
    expect(r.out).toBe('h1 | FAILED | rc=3 >>\nout\noops\nnon-zero return code\n');
    const o = (await drover(['h1', '-i', t.inventory, '-m', 'shell', '-a', 'exit 3', '-o'], t.dir));
    expect(o.code).toBe(2);
    expect(o.out).toMatch(/^h1 \| FAILED! => \{"changed": true,"cmd": "exit 3",.*"failed": true,"msg": "non-zero return code","rc": 3,/);
  });

  it('-e feeds templates in -a; --limit narrows the pattern; -b becomes root, --become-user another user', async () => {
    const t = writeTestInventory(sshd, ['h1', 'h2']);
    const r = (await drover(['web', '-i', t.inventory, '-m', 'debug', '-a', 'msg="{{ greeting }} from {{ inventory_hostname }}"', '-e', 'greeting=hello', '--limit', 'h2'], t.dir));
    expect(r.code).toBe(0);
    expect(r.out).toContain('h2 | SUCCESS => {');
    expect(r.out).toContain('"msg": "hello from h2"');
    expect(r.out).not.toContain('h1 |');
    expect((await drover(['h1', '-i', t.inventory, '-a', 'id -un', '-b'], t.dir)).out).toBe('h1 | CHANGED | rc=0 >>\nroot\n');
    expect((await drover(['h1', '-i', t.inventory, '-a', 'id -un', '-b', '--become-user', 'nobody'], t.dir)).out).toBe('h1 | CHANGED | rc=0 >>\nnobody\n');
  });

  it('-u logs in as that user where the inventory names none (ansible_user still wins)', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const inv = join(t.dir, 'nouser.ini');
    writeFileSync(inv, `h9 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.keyFile} drover_known_hosts_file=${sshd.knownHostsFile}\n`);
    const r = (await drover(['h9', '-i', inv, '-u', sshd.user, '-a', 'id -un'], t.dir));
    expect(r.err).toBe('');
    expect(r.out).toBe(`h9 | CHANGED | rc=0 >>\n${sshd.user}\n`);
    expect((await drover(['h1', '-i', t.inventory, '-u', 'nobody', '-a', 'id -un'], t.dir)).out).toBe(`h1 | CHANGED | rc=0 >>\n${sshd.user}\n`);
  });

  it('-C changes nothing; -D shows the diff; then the change is made, and a second run is SUCCESS', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const dest = join(t.workdirs.h1!, 'motd');
    const args = ['h1', '-i', t.inventory, '-m', 'copy', '-a', 'content=hello dest={{ workdir }}/motd'];
    const check = (await drover([...args, '-C', '-D'], t.dir));
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/^h1 \| CHANGED => \{/);
    expect(check.out).toContain('+hello');
    expect(existsSync(dest)).toBe(false);
    expect((await drover(args, t.dir)).out).toMatch(/^h1 \| CHANGED => \{/);
    expect(readFileSync(dest, 'utf8')).toBe('hello');
    expect((await drover(args, t.dir)).out).toMatch(/^h1 \| SUCCESS => \{/);
  });

  it('an unreachable host: UNREACHABLE! with the reason, exit 3', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const inv = join(t.dir, 'down.ini');
    writeFileSync(inv, `down ansible_host=127.0.0.1 ansible_port=1 ansible_user=${sshd.user} drover_connect_retries=0\n`);
    const r = (await drover(['down', '-i', inv, '-m', 'ping'], t.dir));
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^down \| UNREACHABLE! => \{\n {4}"changed": false,\n {4}"msg": ".*ECONNREFUSED.*",\n {4}"unreachable": true\n\}\n$/);
    expect((await drover(['down', '-i', inv, '-m', 'ping', '-o'], t.dir)).out).toMatch(/^down \| UNREACHABLE!: .*ECONNREFUSED/);
  });

  it('mistakes in -m, -a, the pattern or an option: exit 4 naming it, no host contacted', async () => {
    const t = writeTestInventory(sshd, ['h1']);
    const before = sshd.log();
    const cases: Array<[string[], RegExp]> = [
      [['-m', 'pnig'], /^error: -m pnig: no such module \(did you mean 'ping'\?\)/],
      [['-m', 'ping', '-a', 'dta=x'], /^error: -a "dta=x": module 'ping' has no argument 'dta' \(did you mean 'data'\?\)/],
      [['-m', 'ping', '-a', 'data'], /^error: -a "data": module 'ping' takes key=value arguments/],
      [['-m', 'ping', '-a', '{"data": '], /^error: -a .*not valid JSON/],
      [['-m', 'copy', '-a', 'dest=/tmp/x'], /^error: -a "dest=\/tmp\/x": module 'copy'/],
      [['-m', 'debug', '-a', 'msg={{ nope }}'], /^error: -a "msg=\{\{ nope \}\}": undefined variable 'nope'/],
      [['--bogus'], /^error: unknown option '--bogus'\n\(see 'drover --help'/],
    ];
    for (const [extra, re] of cases) {
      const r = (await drover(['h1', '-i', t.inventory, ...extra], t.dir));
      expect(r.code, extra.join(' ')).toBe(4);
      expect(r.err, extra.join(' ')).toMatch(re);
      expect(r.out).toBe('');
    }
    const pattern = (await drover(['h7', '-i', t.inventory, '-m', 'ping'], t.dir));
    expect(pattern.code).toBe(4);
    expect(pattern.err).toMatch(/^error: host pattern "h7": no host or group matches "h7" \(did you mean "h1"\?\)/);
    const typo = (await drover(['pley', 'site.yaml', '-i', t.inventory], t.dir));
    expect(typo.code).toBe(4);
    expect(typo.err).toMatch(/^error: unknown command 'pley' \(did you mean 'play'\?\)/);
    const unquoted = (await drover(['h1', '-i', t.inventory, '-a', 'echo', 'hi'], t.dir));
    expect(unquoted.code).toBe(4);
    expect(unquoted.err).toMatch(/^error: unexpected argument 'hi': an ad-hoc command takes one host pattern; quote a command line for -a/);
    const noInventory = (await drover(['all', '-m', 'ping'], t.dir));
    expect(noInventory.code).toBe(4);
    expect(noInventory.err).toMatch(/needs an inventory: -i/);
    expect(sshd.log()).toBe(before);
  });

  it('`drover --help` still lists the sub-commands; `drover` alone prints it', async () => {
    const help = (await drover(['--help'], ROOT));
    expect(help.code).toBe(0);
    for (const c of ['play', 'check', 'adhoc', 'schema', 'lab']) expect(help.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    const bare = (await drover([], ROOT));
    expect(bare.code).toBe(1);
    expect(bare.err).toMatch(/^Usage: drover/);
  });
});
