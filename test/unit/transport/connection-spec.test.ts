import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connectionSpecFromVars, splitSshArgs } from '../../../src/inventory/connection-spec.js';
import { InputError } from '../../../src/util/errors.js';

const base = '/srv/inv';

describe('connectionSpecFromVars', () => {
  it('maps the blob inventory line (hosts.ini) to an SSH spec', () => {
    const s = connectionSpecFromVars(
      'controller',
      { mgmt_ip: '192.168.1.11', ansible_host: '127.0.0.1', ansible_port: '8222', ansible_ssh_private_key_file: '.vagrant/machines/controller/virtualbox/private_key', ansible_user: 'vagrant' },
      base,
    );
    expect(s).toMatchObject({
      name: 'controller',
      kind: 'ssh',
      host: '127.0.0.1',
      port: 8222,
      user: 'vagrant',
      privateKeyFile: '/srv/inv/.vagrant/machines/controller/virtualbox/private_key',
      hostKeyChecking: 'strict',
      knownHostsFile: join(homedir(), '.ssh', 'known_hosts'),
      becomeMethod: 'sudo',
      connectTimeoutMs: 10_000,
      connectRetries: 3,
    });
    expect(s.jump).toBeUndefined();
  });

  it('defaults: host is the name, port 22, no user', () => {
    const s = connectionSpecFromVars('web1', {}, base);
    expect(s).toMatchObject({ kind: 'ssh', host: 'web1', port: 22 });
    expect(s.user).toBeUndefined();
  });

  it('accepts the old ansible_ssh_* names, numbers, and passwords', () => {
    const s = connectionSpecFromVars('h', { ansible_ssh_port: 2200, ansible_ssh_user: 'u', ansible_ssh_pass: 'p1', ansible_become_pass: 'p2', ansible_private_key_file: '~/k' }, base);
    expect(s).toMatchObject({ port: 2200, user: 'u', password: 'p1', becomePassword: 'p2', privateKeyFile: join(homedir(), 'k') });
    const t = connectionSpecFromVars('h', { ansible_password: 'a', ansible_become_password: 'b', ansible_ssh_private_key_file: '/abs/key' }, base);
    expect(t).toMatchObject({ password: 'a', becomePassword: 'b', privateKeyFile: '/abs/key' });
  });

  it('local connections: explicit, and the implicit localhost', () => {
    expect(connectionSpecFromVars('box', { ansible_connection: 'local' }, base).kind).toBe('local');
    expect(connectionSpecFromVars('localhost', {}, base).kind).toBe('local');
    expect(connectionSpecFromVars('localhost', { ansible_host: '127.0.0.1' }, base).kind).toBe('local');
    expect(connectionSpecFromVars('localhost', { ansible_port: 2222 }, base).kind).toBe('ssh');
    expect(connectionSpecFromVars('localhost', { ansible_connection: 'ssh' }, base).kind).toBe('ssh');
    expect(connectionSpecFromVars('127.0.0.1', {}, base).kind).toBe('local');
    expect(connectionSpecFromVars('h', { ansible_connection: 'smart' }, base).kind).toBe('ssh');
  });

  it('host key checking values, Ansible spellings included', () => {
    const hk = (v: unknown, key = 'host_key_checking') => connectionSpecFromVars('h', { [key]: v }, base).hostKeyChecking;
    expect(hk(false)).toBe('off');
    expect(hk('False')).toBe('off');
    expect(hk('no')).toBe('off');
    expect(hk('off')).toBe('off');
    expect(hk('accept-new')).toBe('accept-new');
    expect(hk(true)).toBe('strict');
    expect(hk('yes', 'ansible_host_key_checking')).toBe('strict');
    expect(() => hk('maybe')).toThrow(InputError);
    expect(connectionSpecFromVars('h', { drover_known_hosts_file: 'kh' }, base).knownHostsFile).toBe('/srv/inv/kh');
  });

  it('jump hosts from -J, -o ProxyJump= and a classic ProxyCommand', () => {
    const j = (args: string) => connectionSpecFromVars('h', { ansible_ssh_common_args: args }, base).jump;
    expect(j('-J ops@bastion:2201')).toEqual({ user: 'ops', host: 'bastion', port: 2201 });
    expect(j('-o ProxyJump=bastion')).toEqual({ user: undefined, host: 'bastion', port: 22 });
    expect(j("-o 'ProxyJump ops@10.0.0.5:22' -o StrictHostKeyChecking=no")).toEqual({ user: 'ops', host: '10.0.0.5', port: 22 });
    expect(j('-o StrictHostKeyChecking=no')).toBeUndefined();
    expect(j('-o ProxyCommand="ssh -W %h:%p -q -p 2022 -i keys/b ops@bastion"')).toEqual({ user: 'ops', host: 'bastion', port: 2022, privateKeyFile: '/srv/inv/keys/b' });
    expect(() => j('-o ProxyCommand="nc -X 5 -x proxy:1080 %h %p"')).toThrow(InputError);
    expect(connectionSpecFromVars('h', { ansible_ssh_extra_args: '-J b:2' }, base).jump).toEqual({ user: undefined, host: 'b', port: 2 });
    // A chain of hops is refused, not cut to its first hop.
    expect(() => j('-J a@first,second')).toThrow(/one jump host: drover does not chain ProxyJump hops/);
  });

  it('timeouts and retries (seconds, like Ansible)', () => {
    const s = connectionSpecFromVars('h', { drover_connect_timeout: '2.5', drover_connect_retries: 0, drover_keepalive_interval: 30 }, base);
    expect(s).toMatchObject({ connectTimeoutMs: 2500, connectRetries: 0, keepaliveIntervalMs: 30_000 });
    expect(connectionSpecFromVars('h', { ansible_ssh_timeout: 7 }, base).connectTimeoutMs).toBe(7000);
  });

  it('rejects bad values with the host and variable named', () => {
    expect(() => connectionSpecFromVars('h', { ansible_port: 'eighty' }, base)).toThrow(/host h: ansible_port="eighty" is not valid.*port number/);
    expect(() => connectionSpecFromVars('h', { ansible_port: 70000 }, base)).toThrow(InputError);
    expect(() => connectionSpecFromVars('h', { ansible_connection: 'winrm' }, base)).toThrow(/ssh or local/);
    expect(() => connectionSpecFromVars('h', { ansible_become_method: 'su' }, base)).toThrow(/sudo/);
    expect(() => connectionSpecFromVars('h', { drover_connect_retries: -1 }, base)).toThrow(InputError);
  });

  it('splits ssh option strings as Ansible does (shlex words, stripped, empty ones dropped)', () => {
    expect(splitSshArgs(`-o 'A B' -o"C=d e" x\\y ' ' '' " -p "`)).toEqual(['-o', 'A B', '-oC=d e', 'xy', '-p']);
    expect(() => connectionSpecFromVars('h', { ansible_ssh_common_args: `-o 'ProxyJump=a` }, base)).toThrow(/host h: ansible_ssh_common_args=.* is not valid/);
  });
});
