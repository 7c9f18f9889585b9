import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { LocalProvider } from '../../src/providers/local/provider.js';
import { loadConfig } from '../../src/providers/local/config.js';
import { parseRules, planRemoval, ruleTag, type Ruleset } from '../../src/providers/local/firewall.js';
import type { LabNode } from '../../src/providers/types.js';
import { ROOT, assertSubnetFree, isRoot, seedBaseImage } from './lab-helpers.js';
import { printMeasured, secs, siteEnv } from '../helpers/e2e-site.js';

/**
 * Local nodes next to Docker (issue 13, items 5 and 6), on real nodes, with
 * dockerd running (scripts/docker-setup.sh starts it if it is not; skipped only when docker.io
 * cannot be installed). dockerd sets the iptables FORWARD policy to DROP and
 * turns on bridge-nf-call-iptables, so frames bridged between two nodes are
 * filtered: drover's ACCEPT rules must keep node-to-node and node-to-proxy
 * traffic flowing, stay on top when Docker re-inserts its jumps, come back at
 * the next `up` when deleted, never be added twice, and go with the last lab.
 * Also the unnumbered VM-network NIC (eth1) every node has on a second bridge:
 * DOWN and without address until a role brings it up, frames cross between
 * nodes (IPv6 link-local, and IPv4 through Docker's DROP policy and past the
 * MASQUERADE rule of a Docker network on the same subnet — as Vagrant's docker
 * provider makes for 172.16.0.0/24; this test makes its own on VM_SUBNET), and
 * it is back on the bridge after a node reboots.
 *
 * Own DROVER_HOME (/var/lib/drover-e2e-docker), subnet 10.86.0.0/24, bridge
 * drover-e2e-dk, machine prefix dk-. Leaves no node, bridge or rule behind
 * (dockerd is left running: others use it).
 */
const ENV = siteEnv('DOCKER', { home: '/var/lib/drover-e2e-docker', subnet: '10.86.0.0/24', bridge: 'drover-e2e-dk', machinePrefix: 'dk-' });
delete ENV.DROVER_VM_BRIDGE; // the derived name is part of what is tested
const LAB = 'e2e-docker';
const NODES: LabNode[] = [
  { name: 'node1', group: 'controller_nodes', hostOctet: 11 },
  { name: 'node2', group: 'compute_nodes', hostOctet: 21 },
];
/** Temporary IPv4 addresses on the VM network, and a Docker network of the same subnet (whose MASQUERADE rule must not apply). */
const VM_SUBNET = '172.31.254';
const DOCKER_NET = 'drover-e2e-dk-nat';
const cfg = loadConfig(ENV);
const BRIDGES = [cfg.bridge, cfg.vmBridge];
const measured: Record<string, string> = {};

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}
/**
 * A host command, asynchronously: a blocked event loop makes vitest's worker
 * RPC time out (see lab-helpers.ts), and this machine may be busy.
 */
function exec(argv: string[], timeoutMs = 120_000): Promise<Out> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: 127, stdout, stderr: stderr + e.message });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
const sh = (cmd: string) => exec(['sh', '-c', cmd]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** dockerd running: scripts/docker-setup.sh (the one set-up CI and the Vagrant test use) installs and starts it. */
async function ensureDockerd(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!isRoot) return { ok: false, reason: 'needs root' };
  const setup = await exec(['bash', join(ROOT, 'scripts/docker-setup.sh')], 600_000);
  if (setup.status !== 0) return { ok: false, reason: `scripts/docker-setup.sh failed: ${(setup.stdout + setup.stderr).trim().split('\n').slice(-3).join(' / ')}` };
  // dockerd puts its FORWARD jump in place shortly after it answers.
  for (let i = 0; i < 60; i++) {
    if ((await sh('iptables -S FORWARD 2>/dev/null | grep -q -- "-j DOCKER-USER"')).status === 0) break;
    await sleep(500);
  }
  return { ok: true }; // the preconditions below say what is missing
}

const docker = await ensureDockerd();
if (!docker.ok) console.warn(`local nodes next to Docker: skipped (${docker.reason})`);

const iptables = (family: 4 | 6, args: string[]) => exec([family === 4 ? 'iptables' : 'ip6tables', '-w', '5', ...args]);
async function rules(family: 4 | 6, table: 'filter' | 'nat' = 'filter'): Promise<Ruleset> {
  const r = await iptables(family, ['-t', table, '-S']);
  if (r.status !== 0) throw new Error(`iptables -S: ${r.stderr}`);
  return parseRules(r.stdout);
}
/** drover's rules for this test's bridges, as "CHAIN comment" in chain order. */
const ours = async (family: 4 | 6, table: 'filter' | 'nat' = 'filter') =>
  (await rules(family, table)).rules
    .filter((r) => BRIDGES.includes(ruleTag(r.spec) ?? ''))
    .map((r) => `${r.chain} ${r.spec[r.spec.indexOf('--comment') + 1]}`);
const forwardChain = async () => (await rules(4)).rules.filter((r) => r.chain === 'FORWARD');
/** Every drover rule of this test's bridges goes (what `destroy` does, done by hand here). */
async function deleteOurRules(): Promise<Out[]> {
  const outs: Out[] = [];
  for (const [family, table] of [[4, 'filter'], [6, 'filter'], [4, 'nat']] as const) {
    for (const c of planRemoval(BRIDGES, await rules(family, table))) outs.push(await iptables(family, ['-t', table, ...c]));
  }
  return outs;
}

describe.skipIf(!docker.ok)('local nodes next to Docker: firewall rules and the VM-network NIC', () => {
  const logs: string[] = [];
  const p = new LocalProvider({ env: ENV, log: (m) => (logs.push(m), process.stderr.write(`  [drover] ${m}\n`)) });
  const ip = (n: string) => p.place(NODES).find((x) => x.name === n)!.ip;
  const ssh = (node: string, cmd: string) =>
    exec(['ssh', '-i', p.paths.sshKey(LAB), '-o', `UserKnownHostsFile=${p.paths.knownHosts(LAB)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5', `root@${ip(node)}`, cmd]);
  const sshOk = async (node: string, cmd: string) => {
    const r = await ssh(node, cmd);
    if (r.status !== 0) throw new Error(`ssh ${node} ${cmd}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  // -w4: up to four probes, so an ARP answer slow under load does not read as "dropped".
  const canPing = async (from: string, to: string) => (await ssh(from, `ping -c1 -w4 ${ip(to)} >/dev/null`)).status === 0;
  const proxyAnswers = async (node: string) =>
    /^HTTP\/1\.[01] \d{3}/.test((await ssh(node, `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w3 ${cfg.bridgeIp} ${cfg.proxyPort} | head -1`)).stdout);
  let extraJump = false;
  let dockerNet = false;
  let t0 = Date.now();

  beforeAll(async () => {
    t0 = Date.now();
    assertSubnetFree(ENV.DROVER_SUBNET!, cfg.bridge);
    seedBaseImage(ENV.DROVER_HOME!);
    await p.destroy(LAB); // leftovers of an interrupted run
    // Docker's doing, which this test is about: FORWARD policy DROP, bridged frames through iptables.
    expect((await rules(4)).policies.get('FORWARD'), 'dockerd should have set the FORWARD policy to DROP').toBe('DROP');
    expect((await sh('cat /proc/sys/net/bridge/bridge-nf-call-iptables')).stdout.trim(), 'br_netfilter: bridge-nf-call-iptables').toBe('1');
    await sh(`docker network rm ${DOCKER_NET} 2>/dev/null`);
    const net = await sh(`docker network create --subnet ${VM_SUBNET}.0/24 ${DOCKER_NET} 2>&1`);
    expect(net.status, `docker network create: ${net.stdout}`).toBe(0);
    dockerNet = true;
    expect((await sh('iptables -t nat -S POSTROUTING')).stdout).toContain(`-s ${VM_SUBNET}.0/24 ! -o br-`);
  });

  afterAll(async () => {
    if (extraJump) await sh('iptables -w 5 -D FORWARD -j DOCKER-USER');
    if (dockerNet) await sh(`docker network rm ${DOCKER_NET}`);
    await p.destroy(LAB);
    await deleteOurRules();
    for (const b of BRIDGES) await sh(`ip link del ${b} 2>/dev/null`);
    measured['whole file'] = secs(Date.now() - t0);
    printMeasured('local nodes next to Docker', measured);
  });

  it("brings nodes up under Docker's DROP policy: node to node, node to proxy; drover's rules on top, no warning", async () => {
    const t = Date.now();
    const r = await p.up(LAB, NODES);
    measured['up (2 nodes)'] = `${secs(Date.now() - t)}; firewall step ${r.timings.firewall} ms`;
    expect(r.started).toEqual(['node1', 'node2']);
    expect(logs.filter((l) => l.startsWith('warning:'))).toEqual([]);
    expect(await ours(4)).toEqual([
      `INPUT drover:${cfg.bridge} apt-proxy`,
      `FORWARD drover:${cfg.bridge} node-to-node`,
      `FORWARD drover:${cfg.vmBridge} vm-network`,
      `DOCKER-USER drover:${cfg.bridge} node-to-node`,
      `DOCKER-USER drover:${cfg.vmBridge} vm-network`,
    ]);
    expect(await ours(6)).toEqual(expect.arrayContaining([`FORWARD drover:${cfg.bridge} node-to-node`, `FORWARD drover:${cfg.vmBridge} vm-network`]));
    // Above the MASQUERADE rules of Docker's networks.
    expect(await ours(4, 'nat')).toEqual([`POSTROUTING drover:${cfg.bridge} no-nat`, `POSTROUTING drover:${cfg.vmBridge} no-nat`]);
    expect(ruleTag((await rules(4, 'nat')).rules.find((r) => r.chain === 'POSTROUTING')!.spec)).toMatch(/^drover/);
    // Above Docker's jump in FORWARD.
    const fwd = (await forwardChain()).map((x) => x.spec.join(' '));
    expect(fwd.findIndex((s) => s.includes(`drover:${cfg.bridge} node-to-node`))).toBeLessThan(fwd.indexOf('-j DOCKER-USER'));
    expect(await canPing('node1', 'node2')).toBe(true);
    expect(await canPing('node2', 'node1')).toBe(true);
    expect(await proxyAnswers('node2')).toBe(true);
  });

  it('`up` again adds nothing (idempotent)', async () => {
    const before = [(await rules(4)).rules, (await rules(6)).rules].map((x) => JSON.stringify(x));
    logs.length = 0;
    const r = await p.up(LAB, NODES);
    expect(r.started).toEqual([]);
    expect([(await rules(4)).rules, (await rules(6)).rules].map((x) => JSON.stringify(x))).toEqual(before);
    expect(logs.filter((l) => l.startsWith('firewall:') || l.startsWith('warning:'))).toEqual([]);
  });

  it("Docker's jump re-inserted above drover's rules (dockerd restarted): traffic still flows; the next `up` puts drover's rules on top again", async () => {
    expect((await sh('iptables -w 5 -I FORWARD -j DOCKER-USER')).status).toBe(0);
    extraJump = true;
    expect((await forwardChain())[0]!.spec.join(' ')).toBe('-j DOCKER-USER');
    expect(await canPing('node1', 'node2')).toBe(true);
    expect(await proxyAnswers('node1')).toBe(true);
    logs.length = 0;
    await p.up(LAB, NODES);
    expect(logs.some((l) => l.startsWith('firewall:'))).toBe(true);
    const fwd = await forwardChain();
    const mine = fwd.findIndex((x) => ruleTag(x.spec) === cfg.bridge);
    expect(mine).toBeGreaterThanOrEqual(0);
    expect(mine).toBeLessThan(fwd.findIndex((x) => x.spec.join(' ') === '-j DOCKER-USER'));
    expect((await ours(4)).filter((x) => x.startsWith('FORWARD'))).toHaveLength(2); // moved, not added twice
    expect(await canPing('node1', 'node2')).toBe(true);
    expect((await sh('iptables -w 5 -D FORWARD -j DOCKER-USER')).status).toBe(0); // the copy this test added
    extraJump = false;
    expect((await forwardChain()).filter((x) => x.spec.join(' ') === '-j DOCKER-USER')).toHaveLength(1);
  });

  it("drover's rules deleted: Docker's policy drops node-to-node traffic; `up` restores it", async () => {
    expect((await deleteOurRules()).map((o) => o.status)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await ours(4)).toEqual([]);
    expect(await canPing('node1', 'node2')).toBe(false); // what issue 13 saw: lab4's compute nodes could not reach RabbitMQ
    await crossVmNetwork(false); // the VM network's frames are dropped as well
    await p.up(LAB, NODES);
    expect(await ours(4)).toHaveLength(5);
    expect(await ours(4, 'nat')).toHaveLength(2);
    expect(await canPing('node1', 'node2')).toBe(true);
    expect(await proxyAnswers('node1')).toBe(true);
  });

  it('every node has eth1 on the VM bridge: no address, DOWN until brought up; frames cross; it survives a reboot', async () => {
    expect(await readInventory()).toMatch(/^vm_network_device=eth1$/m);
    const attached = async () => (await sh(`ip -o link show master ${cfg.vmBridge}`)).stdout;
    expect(await attached()).toMatch(/vm-dk-node1/);
    expect(await attached()).toMatch(/vm-dk-node2/);
    expect((await sh(`ip -o addr show dev ${cfg.vmBridge}`)).stdout.trim()).toBe(''); // the host side is unnumbered too
    for (const n of ['node1', 'node2']) {
      expect(await sshOk(n, 'ip -o link show eth1')).toMatch(/state DOWN/);
      expect((await sshOk(n, 'ip -o addr show dev eth1')).trim()).toBe('');
    }
    await crossVmNetwork();

    // Reboot node2 from inside: the supervisor boots it again with a fresh veth, attached again.
    const before = await sshOk('node2', 'cat /proc/sys/kernel/random/boot_id');
    await ssh('node2', 'systemctl reboot');
    const deadline = Date.now() + 90_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      await sleep(1000);
      const r = await ssh('node2', 'systemctl is-system-running --wait >/dev/null; cat /proc/sys/kernel/random/boot_id');
      back = r.status === 0 && r.stdout !== before;
    }
    expect(back).toBe(true);
    expect(await attached()).toMatch(/vm-dk-node2/);
    expect(await sshOk('node2', 'ip -o link show eth1')).toMatch(/state DOWN/);
    await crossVmNetwork();
  });

  it("destroy of the last lab removes drover's rules (the bridges stay, as they always have)", async () => {
    await p.destroy(LAB);
    expect(await ours(4)).toEqual([]);
    expect(await ours(6)).toEqual([]);
    expect(await ours(4, 'nat')).toEqual([]);
    expect((await sh(`iptables-save | grep -c 'drover:'${cfg.bridge}`)).stdout.trim()).toBe('0');
    expect(await p.status(LAB)).toEqual([]);
  });

  async function readInventory(): Promise<string> {
    return (await sh(`cat ${p.inventoryPath(LAB)}`)).stdout;
  }

  /**
   * eth1 up in both nodes; IPv6 link-local and (temporary) IPv4 frames cross
   * the VM bridge (or, without drover's rules, IPv4 does not); eth1 down and bare again.
   */
  async function crossVmNetwork(expectFlow = true): Promise<void> {
    for (const n of ['node1', 'node2']) await sshOk(n, 'ip link set eth1 up');
    // Both ends' link-local addresses must finish duplicate address detection: a tentative
    // address is not used as a source, so pinging from (or to) one fails.
    const linkLocal = async (node: string): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const out = await sshOk(node, 'ip -6 -o addr show dev eth1 scope link');
        const ll = /tentative/.test(out) ? '' : (/inet6 (fe80::[0-9a-f:]+)\//.exec(out)?.[1] ?? '');
        if (ll) return ll;
        await sleep(200);
      }
      return '';
    };
    expect(await linkLocal('node1'), "node1's link-local address on eth1").toMatch(/^fe80::/);
    const ll = await linkLocal('node2');
    expect(ll, "node2's link-local address on eth1").toMatch(/^fe80::/);
    // Docker leaves ip6tables' FORWARD policy at ACCEPT: link-local frames cross either way.
    // -w: ping sends once a second until the first reply or the deadline (the first probe
    // may wait on neighbour discovery over a port the bridge has only just seen).
    await sshOk('node1', `ping -6 -c1 -w10 ${ll}%eth1 >/dev/null`);
    // IPv4 on the VM network goes through FORWARD (policy DROP) and nat POSTROUTING (Docker's
    // MASQUERADE of its network on the same subnet) too: drover's rules for the VM bridge let it pass as it is.
    await sshOk('node1', `ip addr add ${VM_SUBNET}.11/24 dev eth1`);
    await sshOk('node2', `ip addr add ${VM_SUBNET}.21/24 dev eth1`);
    try {
      if (expectFlow) await sshOk('node1', `ping -c1 -w10 ${VM_SUBNET}.21 >/dev/null`);
      else expect((await ssh('node1', `ping -c1 -W2 ${VM_SUBNET}.21 >/dev/null`)).status).not.toBe(0);
    } finally {
      for (const n of ['node1', 'node2']) await sshOk(n, 'ip addr flush dev eth1; ip link set eth1 down');
    }
  }
});
