import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigFile, loadConfig, parseIni, runDefaults } from '../../../src/cli/config-file.js';
import { InputError } from '../../../src/util/errors.js';

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'drover-cfgu-'));
  chmodSync(d, 0o755);
  return d;
};

describe('ansible.cfg as configparser reads it', () => {
  it('sections, = and :, case-insensitive keys, # and ; comment lines, ; after whitespace, continuation lines, [DEFAULT]', () => {
    const ini = parseIni(
      ['# top', '[DEFAULT]', 'timeout = 30', '[defaults]', 'Inventory = a.ini ; a comment', 'forks: 5', 'ssh_args = -o A=1;still-value', '; another', 'roles_path = one', '    two', '', '    three', '[ssh_connection]', 'x=', ''].join('\n'),
      'f.cfg',
    );
    const d = ini.get('defaults')!;
    expect(d.get('inventory')).toEqual({ value: 'a.ini', line: 5 });
    expect(d.get('forks')!.value).toBe('5');
    expect(d.get('ssh_args')!.value).toBe('-o A=1;still-value');
    expect(d.get('roles_path')!.value).toBe('one\ntwo\nthree');
    expect(d.get('timeout')!.value).toBe('30');
    expect(ini.get('ssh_connection')!.get('x')!.value).toBe('');
  });

  it('mistakes configparser refuses are input errors naming file:line', () => {
    expect(() => parseIni('forks = 5\n', 'f.cfg')).toThrow(/f\.cfg:1: a setting before any \[section\]/);
    expect(() => parseIni('[defaults]\nforks\n', 'f.cfg')).toThrow(/f\.cfg:2: not a "key = value" line/);
    expect(() => parseIni('[defaults]\nforks=1\nFORKS=2\n', 'f.cfg')).toThrow(/f\.cfg:3: forks is set twice/);
    expect(() => parseIni('[a]\n[a]\n', 'f.cfg')).toThrow(InputError);
  });
});

describe('where the file is and what wins', () => {
  it('ANSIBLE_CONFIG, then ./ansible.cfg (not in a world-writable directory), then ~/.ansible.cfg', () => {
    const cwd = tmp();
    const home = tmp();
    const other = tmp();
    writeFileSync(join(home, '.ansible.cfg'), '[defaults]\n');
    expect(findConfigFile({}, cwd, home).file).toBe(join(home, '.ansible.cfg'));
    writeFileSync(join(cwd, 'ansible.cfg'), '[defaults]\n');
    expect(findConfigFile({}, cwd, home).file).toBe(join(cwd, 'ansible.cfg'));
    writeFileSync(join(other, 'ansible.cfg'), '[defaults]\n');
    expect(findConfigFile({ ANSIBLE_CONFIG: other }, cwd, home).file).toBe(join(other, 'ansible.cfg'));
    const missing = findConfigFile({ ANSIBLE_CONFIG: join(other, 'nope.cfg') }, cwd, home);
    expect(missing.file).toBe(join(cwd, 'ansible.cfg'));
    expect(missing.notes[0]).toMatch(/ANSIBLE_CONFIG=.*nope\.cfg: no readable file/);
    chmodSync(cwd, 0o777);
    const ww = findConfigFile({}, cwd, home);
    expect(ww.file).toBe(join(home, '.ansible.cfg'));
    expect(ww.notes[0]).toMatch(/world-writable directory .*ignored/);
  });

  it('env over file over default; paths in the file relative to it, in env to the cwd; unsupported keys and ANSIBLE_* listed', () => {
    const cwd = tmp();
    mkdirSync(join(cwd, 'sub'));
    writeFileSync(join(cwd, 'ansible.cfg'), '[defaults]\ninventory = inv/a.ini, b.ini\nroles_path = ../r1:~/r2\nforks = 9\nprivate_key_file = "keys/id"\nnocows = 1\n[privilege_escalation]\nbecome = yes\n[ssh_connection]\nhost_key_checking = no\n');
    const c = loadConfig({ env: { ANSIBLE_FORKS: '2', ANSIBLE_PRIVATE_KEY_FILE: 'k2', ANSIBLE_NOCOLOR: '1', ANSIBLE_STRATEGY: 'free' }, cwd, home: '/home/u' });
    expect(c.settings.inventory).toEqual({ key: 'inventory', value: [join(cwd, 'inv/a.ini'), join(cwd, 'b.ini')], origin: join(cwd, 'ansible.cfg'), ini: '[defaults] inventory' });
    expect(c.settings.roles_path.value).toEqual([join(cwd, '..', 'r1'), '/home/u/r2']);
    expect(c.settings.forks).toMatchObject({ value: 2, origin: 'env: ANSIBLE_FORKS' });
    expect(c.settings.private_key_file.value).toBe(join(cwd, 'k2'));
    expect(c.settings.become.value).toBe(true);
    expect(c.settings.host_key_checking).toMatchObject({ value: false, ini: '[ssh_connection] host_key_checking' });
    expect(c.settings.timeout).toMatchObject({ value: 10, origin: 'default' });
    expect(c.unsupported).toEqual([`[defaults] nocows (${join(cwd, 'ansible.cfg')})`, 'ANSIBLE_NOCOLOR, ANSIBLE_STRATEGY (environment)']);
  });

  it('become_method other than sudo, and bad values, are input errors', () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'ansible.cfg'), '[privilege_escalation]\nbecome_method = su\n');
    expect(() => loadConfig({ env: {}, cwd, home: cwd })).toThrow(/become_method = su .*sudo only/);
    expect(() => loadConfig({ env: { ANSIBLE_FORKS: '0' }, cwd: tmp(), home: cwd })).toThrow(/ANSIBLE_FORKS: "0" is not valid for forks/);
    expect(() => loadConfig({ env: { ANSIBLE_BECOME: 'maybe' }, cwd: tmp(), home: cwd })).toThrow(/boolean/);
  });

  it('flags win over the configuration; the engine gets plain options', () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'ansible.cfg'), '[defaults]\ninventory = h.ini\nremote_user = cfguser\nforks = 4\nhost_key_checking = false\ntimeout = 7\n[ssh_connection]\nssh_args = -o ServerAliveInterval=3\n');
    const c = loadConfig({ env: {}, cwd, home: cwd });
    const none = () => false;
    expect(runDefaults({ inventory: [], forks: 20 }, none, c)).toEqual({
      inventory: [join(cwd, 'h.ini')],
      forks: 4,
      remoteUser: 'cfguser',
      rolesPath: [],
      become: {},
      askBecomePass: false,
      connection: { hostKeyChecking: false, timeoutS: 7, sshArgs: { value: '-o ServerAliveInterval=3', origin: `ssh_args (${join(cwd, 'ansible.cfg')})` } },
    });
    const cli = runDefaults({ inventory: ['x,'], forks: 2, user: 'me', become: true }, (k) => ['forks', 'user', 'become'].includes(k), c);
    expect(cli).toMatchObject({ inventory: ['x,'], forks: 2, remoteUser: 'me', become: { become: true } });
    expect(() => runDefaults({ inventory: [] }, none, loadConfig({ env: {}, cwd: tmp(), home: tmp() }))).toThrow(/needs an inventory/);
  });
});
