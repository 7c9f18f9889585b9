import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  desiredRules,
  parseRules,
  planFirewall,
  planRemoval,
  ruleTag,
  taggedRules,
  tokenize,
  type BridgeFirewall,
  type Family,
  type Ruleset,
} from '../../../src/providers/local/firewall.js';

// Recorded `iptables -S` texts (Debian 12, iptables 1.8.9 nf_tables backend):
// dockerd 20.10 just started; Docker restarted after drover put its rules in;
// a host with iptables-legacy tables too; a host with no rules at all.
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const DOCKER = fixture('iptables-S-docker-20.10.txt');
const DOCKER_RESTARTED = fixture('iptables-S-docker-restarted-after-drover.txt');
const LEGACY = fixture('iptables-S-legacy-warning.txt');
const EMPTY = fixture('iptables-S-empty.txt');
// `iptables -t nat -S` with Docker networks: Vagrant's docker provider's 172.16.0.0/24 and 192.168.1.0/24.
const NAT = fixture('iptables-t-nat-S-docker-networks.txt');

const FW: BridgeFirewall = { bridge: 'drover0', vmBridge: 'drover0-vm', proxyPort: 3142 };

/** What iptables would do with these commands (-I CHAIN 1 / -D CHAIN SPEC), printed back as `iptables -S` does. */
function apply(rs: Ruleset, cmds: string[][]): Ruleset {
  const rules = rs.rules.map((r) => ({ chain: r.chain, spec: [...r.spec] }));
  for (const c of cmds) {
    if (c[0] === '-I') {
      const pos = Number(c[2]) - 1;
      const inChain = rules.map((r, i) => [r, i] as const).filter(([r]) => r.chain === c[1]);
      const at = inChain[pos]?.[1] ?? (inChain.length ? inChain[inChain.length - 1]![1] + 1 : rules.length);
      rules.splice(at, 0, { chain: c[1]!, spec: c.slice(3) });
    } else if (c[0] === '-D') {
      const i = rules.findIndex((r) => r.chain === c[1] && JSON.stringify(r.spec) === JSON.stringify(c.slice(2)));
      if (i === -1) throw new Error(`iptables: Bad rule (does a matching rule exist in that chain?): ${c.join(' ')}`);
      rules.splice(i, 1);
    } else throw new Error(`unexpected command ${c.join(' ')}`);
  }
  return { ...rs, rules };
}

const chain = (rs: Ruleset, name: string) => rs.rules.filter((r) => r.chain === name).map((r) => r.spec.join(' '));

describe('reading iptables -S', () => {
  it('tokenizes quoted comments and escapes', () => {
    expect(tokenize('-A FORWARD -i drover0 -m comment --comment "drover:drover0 node-to-node" -j ACCEPT')).toEqual([
      '-A', 'FORWARD', '-i', 'drover0', '-m', 'comment', '--comment', 'drover:drover0 node-to-node', '-j', 'ACCEPT',
    ]);
    expect(tokenize('-A X -m comment --comment "a \\"b\\" \\\\c"  -j RETURN')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a "b" \\c', '-j', 'RETURN']);
  });

  it("reads Docker's chains, policies and rules", () => {
    const rs = parseRules(DOCKER);
    expect(rs.policies.get('FORWARD')).toBe('DROP');
    expect(rs.policies.get('INPUT')).toBe('ACCEPT');
    expect(rs.chains).toEqual(['INPUT', 'FORWARD', 'OUTPUT', 'DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER']);
    expect(chain(rs, 'FORWARD')[0]).toBe('-j DOCKER-USER');
    expect(chain(rs, 'DOCKER-USER')).toEqual(['-j RETURN']);
    expect(chain(rs, 'FORWARD')).toContain('-i docker0 ! -o docker0 -j ACCEPT');
    expect(rs.legacyTablesPresent).toBe(false);
    expect(rs.rules.every((r) => ruleTag(r.spec) === undefined)).toBe(true);
  });

  it('notices iptables-legacy tables, and finds drover tags by bridge', () => {
    expect(parseRules(LEGACY).legacyTablesPresent).toBe(true);
    const rs = parseRules(DOCKER_RESTARTED);
    expect(rs.rules.map((r) => ruleTag(r.spec)).filter(Boolean)).toEqual(['drover0', 'drover0', 'drover0-vm', 'drover0', 'drover0-vm']);
    expect(taggedRules(['drover0-vm'], rs)).toHaveLength(2);
  });
});

describe("drover's rules for its bridges", () => {
  it('IPv4: node to node and the VM network in FORWARD (and DOCKER-USER when it exists), the apt proxy in INPUT', () => {
    const want = desiredRules(FW, 4, parseRules(DOCKER)).map((r) => `${r.chain} ${r.spec.join(' ')}`);
    expect(want).toEqual([
      'FORWARD -i drover0 -o drover0 -m comment --comment drover:drover0 node-to-node -j ACCEPT',
      'FORWARD -i drover0-vm -o drover0-vm -m comment --comment drover:drover0-vm vm-network -j ACCEPT',
      'DOCKER-USER -i drover0 -o drover0 -m comment --comment drover:drover0 node-to-node -j ACCEPT',
      'DOCKER-USER -i drover0-vm -o drover0-vm -m comment --comment drover:drover0-vm vm-network -j ACCEPT',
      'INPUT -i drover0 -p tcp -m tcp --dport 3142 -m comment --comment drover:drover0 apt-proxy -j ACCEPT',
    ]);
    // No Docker: no DOCKER-USER rules. IPv6: no proxy rule (the proxy listens on the bridge's IPv4 address).
    expect(desiredRules(FW, 4, parseRules(EMPTY)).map((r) => r.chain)).toEqual(['FORWARD', 'FORWARD', 'INPUT']);
    expect(desiredRules(FW, 6, parseRules(EMPTY)).map((r) => r.chain)).toEqual(['FORWARD', 'FORWARD']);
  });

  it('with dockerd running: inserted on top of FORWARD (above the DOCKER-USER jump), DOCKER-USER and INPUT, then nothing more', () => {
    const before = parseRules(DOCKER);
    const cmds = planFirewall(FW, 4, before);
    expect(cmds.every((c) => c[0] === '-I' && c[2] === '1')).toBe(true);
    expect(cmds).toHaveLength(5);
    const after = apply(before, cmds);
    expect(chain(after, 'FORWARD').slice(0, 3)).toEqual([
      '-i drover0 -o drover0 -m comment --comment drover:drover0 node-to-node -j ACCEPT',
      '-i drover0-vm -o drover0-vm -m comment --comment drover:drover0-vm vm-network -j ACCEPT',
      '-j DOCKER-USER',
    ]);
    expect(chain(after, 'DOCKER-USER').at(-1)).toBe('-j RETURN');
    expect(chain(after, 'DOCKER-USER')).toHaveLength(3);
    expect(chain(after, 'INPUT')).toEqual(['-i drover0 -p tcp -m tcp --dport 3142 -m comment --comment drover:drover0 apt-proxy -j ACCEPT']);
    // Idempotent: the next check (every `lab up`) changes nothing.
    expect(planFirewall(FW, 4, after)).toEqual([]);
  });

  it('idempotent also against the printed form (quoted comment, -m tcp as iptables adds it)', () => {
    const printed = parseRules(
      EMPTY +
        [
          '-A INPUT -i drover0 -p tcp --dport 3142 -m comment --comment "drover:drover0 apt-proxy" -j ACCEPT',
          '-A FORWARD -i drover0 -o drover0 -m comment --comment "drover:drover0 node-to-node" -j ACCEPT',
          '-A FORWARD -i drover0-vm -o drover0-vm -m comment --comment "drover:drover0-vm vm-network" -j ACCEPT',
          '',
        ].join('\n'),
    );
    expect(planFirewall(FW, 4, printed)).toEqual([]);
  });

  it('Docker restarted after drover (its jumps now above drover rules): deleted and inserted on top again', () => {
    const before = parseRules(DOCKER_RESTARTED);
    const cmds = planFirewall(FW, 4, before);
    // FORWARD only: DOCKER-USER and INPUT still have drover's rules on top.
    expect(cmds.map((c) => `${c[0]} ${c[1]}`)).toEqual(['-D FORWARD', '-D FORWARD', '-I FORWARD', '-I FORWARD']);
    const after = apply(before, cmds);
    expect(chain(after, 'FORWARD')[2]).toBe('-j DOCKER-USER');
    expect(taggedRules(['drover0', 'drover0-vm'], after)).toHaveLength(5); // never twice
    expect(planFirewall(FW, 4, after)).toEqual([]);
  });

  it("doubled or out-of-order rules are put right; another home's bridge rules on top are left alone and do not push ours down", () => {
    const other: BridgeFirewall = { bridge: 'drover-e2e-l1', vmBridge: 'l1-vm', proxyPort: 3142 };
    let rs = parseRules(DOCKER);
    rs = apply(rs, planFirewall(FW, 4, rs));
    rs = apply(rs, planFirewall(other, 4, rs)); // the other home inserts on top of ours
    expect(planFirewall(FW, 4, rs)).toEqual([]);
    expect(planFirewall(other, 4, rs)).toEqual([]);
    // Someone adds one of ours a second time, below Docker's rules.
    const dup = rs.rules.find((r) => r.chain === 'FORWARD' && ruleTag(r.spec) === 'drover0')!;
    rs = { ...rs, rules: [...rs.rules, { chain: 'FORWARD', spec: [...dup.spec] }] };
    const fix = planFirewall(FW, 4, rs);
    expect(fix.filter((c) => c[0] === '-D')).toHaveLength(3);
    rs = apply(rs, fix);
    expect(taggedRules(['drover0', 'drover0-vm'], rs).filter((r) => r.chain === 'FORWARD')).toHaveLength(2);
    expect(planFirewall(FW, 4, rs)).toEqual([]);
    expect(planFirewall(other, 4, rs)).toEqual([]);
  });

  it('removal deletes exactly the rules tagged for these bridges, everywhere', () => {
    const other: BridgeFirewall = { bridge: 'drover-e2e-l1', vmBridge: 'l1-vm', proxyPort: 3142 };
    let rs = parseRules(DOCKER);
    rs = apply(rs, planFirewall(FW, 4, rs));
    rs = apply(rs, planFirewall(other, 4, rs));
    const rm = planRemoval(['drover0', 'drover0-vm'], rs);
    expect(rm).toHaveLength(5);
    expect(rm.every((c) => c[0] === '-D')).toBe(true);
    const after = apply(rs, rm);
    expect(taggedRules(['drover0', 'drover0-vm'], after)).toEqual([]);
    expect(taggedRules(['drover-e2e-l1', 'l1-vm'], after)).toHaveLength(5);
    // Docker's own rules are untouched.
    expect(after.rules.filter((r) => ruleTag(r.spec) === undefined)).toEqual(parseRules(DOCKER).rules);
    expect(planRemoval(['drover0', 'drover0-vm'], after)).toEqual([]);
  });

  it('IPv6: the two FORWARD rules (frames on the VM network, e.g. link-local)', () => {
    const rs = parseRules(EMPTY);
    const cmds = planFirewall(FW, 6 as Family, rs);
    expect(cmds.map((c) => c.join(' '))).toEqual([
      '-I FORWARD 1 -i drover0-vm -o drover0-vm -m comment --comment drover:drover0-vm vm-network -j ACCEPT',
      '-I FORWARD 1 -i drover0 -o drover0 -m comment --comment drover:drover0 node-to-node -j ACCEPT',
    ]);
    expect(planFirewall(FW, 6, apply(rs, cmds))).toEqual([]);
  });

  it("nat: bridged frames leave drover's bridges un-NATed, above Docker's MASQUERADE of its networks' subnets", () => {
    const before = parseRules(NAT);
    expect(chain(before, 'POSTROUTING')[0]).toBe('-s 172.16.0.0/24 ! -o br-6fe8f1813bfe -j MASQUERADE');
    const cmds = planFirewall(FW, 4, before, 'nat');
    expect(cmds.map((c) => c.join(' '))).toEqual([
      '-I POSTROUTING 1 -o drover0-vm -m physdev --physdev-is-bridged -m comment --comment drover:drover0-vm no-nat -j ACCEPT',
      '-I POSTROUTING 1 -o drover0 -m physdev --physdev-is-bridged -m comment --comment drover:drover0 no-nat -j ACCEPT',
    ]);
    const after = apply(before, cmds);
    expect(chain(after, 'POSTROUTING')[2]).toBe('-s 172.16.0.0/24 ! -o br-6fe8f1813bfe -j MASQUERADE');
    expect(planFirewall(FW, 4, after, 'nat')).toEqual([]);
    expect(planFirewall(FW, 6, parseRules(EMPTY), 'nat')).toEqual([]); // no IPv6 nat rules
    expect(planRemoval(['drover0', 'drover0-vm'], after)).toHaveLength(2);
    expect(apply(after, planRemoval(['drover0', 'drover0-vm'], after)).rules).toEqual(before.rules);
  });
});
