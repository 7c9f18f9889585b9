import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, gatherFacts, parseDefaultRoute, parseFacts, parseIpAddr, parseOsRelease } from '../../../src/facts/gather.js';

const fixture = (n: string) => readFileSync(join(__dirname, 'fixtures', n), 'utf8');

describe('parseFacts: Debian 12 (recorded on this machine)', () => {
  const f = parseFacts(fixture('debian12.txt'));
  const nested = f.ansible_facts as Record<string, unknown>;

  it('names the distribution as Ansible does', () => {
    expect(f.ansible_distribution).toBe('Debian');
    expect(f.ansible_distribution_release).toBe('bookworm');
    expect(f.ansible_distribution_version).toBe('12.11');
    expect(f.ansible_distribution_major_version).toBe('12');
    expect(f.ansible_os_family).toBe('Debian');
    expect(f.ansible_pkg_mgr).toBe('apt');
  });

  it('reads host, kernel and hardware', () => {
    expect(f.ansible_hostname).toBe('vm');
    expect(f.ansible_nodename).toBe('vm');
    expect(f.ansible_fqdn).toBe('vm');
    expect(f.ansible_system).toBe('Linux');
    expect(f.ansible_kernel).toBe('6.18.44-fc-v657');
    expect(f.ansible_architecture).toBe('x86_64');
    expect(f.ansible_memtotal_mb).toBe(Math.floor(24684092 / 1024));
    expect(f.ansible_processor_vcpus).toBe(2);
  });

  it('finds the default route, addresses and interfaces', () => {
    expect(f.ansible_default_ipv4).toMatchObject({ address: '192.0.2.2', interface: 'eth0', gateway: '192.0.2.1', netmask: '255.255.255.0', network: '192.0.2.0', macaddress: '02:fc:00:00:00:01', mtu: 1400 });
    expect(f.ansible_all_ipv4_addresses).toEqual(['192.0.2.2', '10.77.0.1']);
    expect(f.ansible_all_ipv6_addresses).toContain('fd00::2');
    expect(f.ansible_interfaces).toEqual(['drover0', 'eth0', 'ifb0', 'ifb1', 'lo']);
    expect((f.ansible_drover0 as { ipv4: { address: string } }).ipv4.address).toBe('10.77.0.1');
    expect((f.ansible_lo as { type: string }).type).toBe('loopback');
  });

  it('reads the user, env, service manager, virtualization and time', () => {
    expect(f.ansible_user_id).toBe('drover-t1');
    expect(f.ansible_user_uid).toBe(1001);
    expect(f.ansible_user_dir).toBe('/home/drover-t1');
    expect(f.ansible_env).toMatchObject({ HOME: '/home/drover-t1', PATH: '/usr/local/bin:/usr/bin:/bin', USER: 'drover-t1', MULTI: 'line one\nline two' });
    expect(f.ansible_service_mgr).toBe('service'); // PID 1 here is no init system
    expect(f.ansible_virtualization_type).toBe('docker');
    expect(f.ansible_date_time).toMatchObject({ epoch: '1795350718', iso8601: '2026-11-22T12:31:58Z', date: '2026-11-22', tz: 'UTC' });
    expect(f.ansible_dns).toEqual({ nameservers: ['10.255.255.53'], search: [] });
  });

  it('returns every fact flat and under ansible_facts without the prefix', () => {
    for (const [k, v] of Object.entries(nested)) expect(f[`ansible_${k}`]).toEqual(v);
    expect(nested.distribution).toBe('Debian');
    expect(Object.keys(f).filter((k) => !k.startsWith('ansible_'))).toEqual([]);
  });
});

describe('parseFacts: Ubuntu 22.04 in systemd-nspawn, no `ip` binary (hand-written sample)', () => {
  const f = parseFacts(fixture('ubuntu2204-nspawn.txt'));

  it('uses os-release VERSION_ID for Ubuntu (not /etc/debian_version) and the family via the table', () => {
    expect(f.ansible_distribution).toBe('Ubuntu');
    expect(f.ansible_distribution_version).toBe('22.04');
    expect(f.ansible_distribution_major_version).toBe('22');
    expect(f.ansible_distribution_release).toBe('jammy');
    expect(f.ansible_os_family).toBe('Debian');
  });

  it('splits an FQDN hostname', () => {
    expect(f.ansible_hostname).toBe('compute1');
    expect(f.ansible_fqdn).toBe('compute1.lab.example');
    expect(f.ansible_domain).toBe('lab.example');
  });

  it('falls back to /proc/net/route and hostname -I without iproute2', () => {
    expect(f.ansible_default_ipv4).toMatchObject({ interface: 'host0', gateway: '192.168.56.1', address: '192.168.56.12' });
    expect(f.ansible_all_ipv4_addresses).toEqual(['192.168.56.12']);
    expect(f.ansible_interfaces).toEqual(['host0', 'lo']);
  });

  it('detects systemd and the nspawn container', () => {
    expect(f.ansible_service_mgr).toBe('systemd');
    expect(f.ansible_virtualization_type).toBe('systemd-nspawn');
    expect(f.ansible_virtualization_role).toBe('guest');
    expect(f.ansible_architecture).toBe('aarch64');
    expect(f.ansible_memtotal_mb).toBe(3934);
    expect(f.ansible_processor_vcpus).toBe(4);
    expect(f.ansible_dns).toEqual({ nameservers: ['192.168.56.1'], search: ['lab.example'] });
  });
});

describe('fact parser pieces', () => {
  it('parses os-release quoting', () => {
    expect(parseOsRelease(['NAME="Debian GNU/Linux"', "ID='debian'", 'X="a \\"q\\""', '# comment'])).toEqual({ NAME: 'Debian GNU/Linux', ID: 'debian', X: 'a "q"' });
  });
  it('handles veth names and secondary addresses', () => {
    const m = parseIpAddr(['7: eth0@if8    inet 10.0.0.5/16 brd 10.0.255.255 scope global eth0', '7: eth0@if8    inet 10.0.1.9/16 scope global secondary eth0']);
    expect(m.get('eth0')).toEqual([
      { address: '10.0.0.5', netmask: '255.255.0.0', network: '10.0.0.0', prefix: '16', broadcast: '10.0.255.255' },
      { address: '10.0.1.9', netmask: '255.255.0.0', network: '10.0.0.0', prefix: '16' },
    ]);
  });
  it('reads a default route without gateway', () => {
    expect(parseDefaultRoute(['default dev wg0 scope link'], [])).toEqual({ gateway: '', interface: 'wg0' });
    expect(parseDefaultRoute([], ['Iface\tDestination', 'eth1\t0000FEA9\t00000000'])).toBeNull();
  });
  it('gatherFacts sends exactly one command and refuses truncated output', async () => {
    const sent: string[] = [];
    const facts = await gatherFacts(async (cmd) => {
      sent.push(cmd);
      return { stdout: fixture('debian12.txt'), stderr: '', rc: 0 };
    });
    expect(sent).toEqual([FACTS_SCRIPT]);
    expect(facts.ansible_distribution).toBe('Debian');
    await expect(gatherFacts(async () => ({ stdout: '@@drover-fact:hostname\nx\n', stderr: 'bash: killed', rc: 137 }))).rejects.toThrow(/rc 137.*killed/);
  });
});
