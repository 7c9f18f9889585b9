import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFirewall, removeFirewall } from '../../../src/providers/local/host-setup.js';

// ensureFirewall/removeFirewall against stand-in iptables/ip6tables on PATH:
// what they run, and that a missing or failing iptables is a warning naming
// the bridge and the traffic at risk, never an exception.
const FW = { bridge: 'drover0', vmBridge: 'drover0-vm', proxyPort: 3142 };

describe('drover firewall rules on the host (stand-in iptables)', () => {
  let dir: string;
  const savedPath = process.env.PATH;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-fw-'));
    process.env.PATH = `${dir}:/usr/bin:/bin`;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A stand-in that prints FILE.S for `-S` (per table) and logs every other call. */
  const fake = (name: string, body = '') => {
    writeFileSync(
      join(dir, name),
      `#!/bin/bash
echo "$*" >> "${dir}/${name}.log"
${body}
table=filter; [ "$3" = -t ] && table=$4
case "$*" in *" -S") cat "${dir}/${name}.$table.S" 2>/dev/null;; esac
exit 0
`,
    );
    chmodSync(join(dir, name), 0o755);
  };

  it('iptables missing: one warning per binary, naming the bridge and what may be dropped', async () => {
    const r = await ensureFirewall(FW, '10.77.0.1');
    expect(r.changed).toEqual([]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/^iptables not found: drover cannot add its ACCEPT rules for bridge drover0; .*FORWARD policy to DROP.*nodes on drover0 may not reach each other.*drover0-vm.*10\.77\.0\.1:3142/);
    expect(r.warnings[1]).toMatch(/^ip6tables not found/);
    expect(await removeFirewall(['drover0', 'drover0-vm'])).toEqual({ changed: [], warnings: [] });
  });

  it('puts the rules in with -w, per table; a failing ip6tables is a warning, not an error', async () => {
    fake('iptables');
    writeFileSync(join(dir, 'iptables.filter.S'), '-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N DOCKER-USER\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\n');
    writeFileSync(join(dir, 'iptables.nat.S'), '-P POSTROUTING ACCEPT\n');
    fake('ip6tables', 'echo "ip6tables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)" >&2; exit 4');
    const r = await ensureFirewall(FW, '10.77.0.1');
    expect(r.changed).toHaveLength(7); // FORWARD 2, DOCKER-USER 2, INPUT 1, nat POSTROUTING 2
    expect(r.changed[0]).toBe('iptables -t filter -I FORWARD 1 -i drover0-vm -o drover0-vm -m comment --comment drover:drover0-vm vm-network -j ACCEPT');
    const log = readFileSync(join(dir, 'iptables.log'), 'utf8').trim().split('\n');
    expect(log[0]).toBe('-w 5 -t filter -S');
    expect(log.every((l) => l.startsWith('-w 5 -t '))).toBe(true);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^could not put drover's ip6tables rules \(filter table\) for bridge drover0 in place \(.*Permission denied.*\); if this host's firewall drops/);
  });

  it('removes exactly the tagged rules of these bridges', async () => {
    fake('iptables');
    fake('ip6tables');
    writeFileSync(
      join(dir, 'iptables.filter.S'),
      [
        '-P FORWARD DROP',
        '-A FORWARD -i drover0 -o drover0 -m comment --comment "drover:drover0 node-to-node" -j ACCEPT',
        '-A FORWARD -i other -o other -m comment --comment "drover:other node-to-node" -j ACCEPT',
        '-A FORWARD -j DOCKER-USER',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'iptables.nat.S'), '-A POSTROUTING -o drover0-vm -m physdev --physdev-is-bridged -m comment --comment "drover:drover0-vm no-nat" -j ACCEPT\n');
    const r = await removeFirewall(['drover0', 'drover0-vm']);
    expect(r.warnings).toEqual([]);
    expect(r.changed).toEqual([
      'iptables -t filter -D FORWARD -i drover0 -o drover0 -m comment --comment drover:drover0 node-to-node -j ACCEPT',
      'iptables -t nat -D POSTROUTING -o drover0-vm -m physdev --physdev-is-bridged -m comment --comment drover:drover0-vm no-nat -j ACCEPT',
    ]);
    expect(existsSync(join(dir, 'ip6tables.log'))).toBe(true);
  });
});
