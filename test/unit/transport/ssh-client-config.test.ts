import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshClientConfig } from '../../../src/transport/ssh-client-config.js';
import { connectionSpecFromVars } from '../../../src/inventory/connection-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-sshcfg-'));
const key = join(dir, 'id_test');
writeFileSync(key, 'not a key', { mode: 0o600 });
const file = join(dir, 'config');
writeFileSync(
  file,
  [
    'Host web web.example',
    '  HostName 10.0.0.5',
    '  Port 2200',
    '  User deploy',
    `  IdentityFile ${join(dir, 'missing')}`,
    `  IdentityFile ${key}`,
    '  StrictHostKeyChecking accept-new',
    '  UserKnownHostsFile ~/kh1 ~/kh2',
    '  ConnectTimeout 4',
    'Host inner',
    '  HostName 10.0.1.9',
    '  ProxyJump bastion',
    'Host bastion',
    '  HostName 192.0.2.1',
    '  Port 2022',
    '  User jump',
    'Match host 10.0.0.5',
    '  ServerAliveInterval 7',
    'Host *',
    '  User fallback',
    '  ServerAliveInterval 30',
    '',
  ].join('\n'),
);

describe('ssh config (the ssh-config package; first value obtained wins)', () => {
  it('Host and Match blocks, tokens and ~ in paths', () => {
    const c = loadSshClientConfig([file], '/home/u');
    expect(c.lookup('web')).toEqual({
      hostName: '10.0.0.5',
      port: '2200',
      user: 'deploy',
      identityFiles: [join(dir, 'missing'), key],
      strictHostKeyChecking: 'accept-new',
      userKnownHostsFiles: ['/home/u/kh1', '/home/u/kh2'],
      connectTimeout: '4',
      serverAliveInterval: '7',
    });
    expect(c.lookup('other')).toEqual({ user: 'fallback', serverAliveInterval: '30', identityFiles: [], userKnownHostsFiles: [] });
  });

  it('Include: globs from ~/.ssh, inlined where the line is', () => {
    const home = mkdtempSync(join(tmpdir(), 'drover-sshinc-'));
    mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'config.d', '10-a'), 'Host a\n  HostName 10.1.1.1\n');
    writeFileSync(join(home, '.ssh', 'config.d', '20-b'), 'Host b\n  HostName 10.2.2.2\n  Include extra\n');
    writeFileSync(join(home, '.ssh', 'extra'), '  Port 2202\n');
    writeFileSync(join(home, '.ssh', 'config'), 'Include config.d/*\nInclude ~/.ssh/missing\n\nHost *\n  User u\n');
    const c = loadSshClientConfig([join(home, '.ssh', 'config')], home);
    expect(c.lookup('a')).toMatchObject({ hostName: '10.1.1.1', user: 'u' });
    expect(c.lookup('b')).toMatchObject({ hostName: '10.2.2.2', port: '2202', user: 'u' });
  });

  it('connection specs: the alias resolves; inventory vars and configured defaults win; the jump host is an alias too', () => {
    const defaults = { sshConfigFile: file };
    const s = connectionSpecFromVars('web', {}, dir, defaults);
    expect(s).toMatchObject({ host: '10.0.0.5', port: 2200, user: 'deploy', privateKeyFile: key, hostKeyChecking: 'accept-new', connectTimeoutMs: 4000, keepaliveIntervalMs: 7000 });
    expect(s.knownHostsFile).toMatch(/kh1$/);
    const v = connectionSpecFromVars('web', { ansible_user: 'me', ansible_port: 22, ansible_host_key_checking: true }, dir, defaults);
    expect(v).toMatchObject({ host: '10.0.0.5', port: 22, user: 'me', hostKeyChecking: 'strict' });
    // ansible_host names what ssh looks up: an address no block names gets only Host *.
    expect(connectionSpecFromVars('web', { ansible_host: '10.9.9.9' }, dir, defaults)).toMatchObject({ host: '10.9.9.9', port: 22, user: 'fallback' });
    expect(connectionSpecFromVars('web', {}, dir, { ...defaults, remoteUser: 'cfg', hostKeyChecking: false, timeoutS: 9 })).toMatchObject({ user: 'cfg', hostKeyChecking: 'off', connectTimeoutMs: 9000 });
    expect(connectionSpecFromVars('inner', {}, dir, defaults).jump).toEqual({ host: '192.0.2.1', port: 2022, user: 'jump' });
  });

  it('-o options of ansible_ssh_common_args: honoured ones applied, the others named in one warning', () => {
    const warnings: string[] = [];
    const s = connectionSpecFromVars(
      'h',
      { ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 -o ServerAliveInterval=5 -o ControlMaster=auto -o ForwardAgent=yes -C' },
      dir,
      { sshConfig: false },
      (m) => warnings.push(m),
    );
    expect(s).toMatchObject({ hostKeyChecking: 'off', knownHostsFile: '/dev/null', connectTimeoutMs: 3000, keepaliveIntervalMs: 5000 });
    expect(warnings).toEqual([expect.stringMatching(/^ansible_ssh_common_args: drover cannot honour -o ForwardAgent=yes, -C; it connects without them/)]);
  });
});
