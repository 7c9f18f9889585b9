import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drover as run, assertSubnetFree, recapSeconds, seedBaseImage } from './lab-helpers.js';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../helpers/fake-digitalocean.js';
import { LocalDropletMachines } from '../helpers/fake-droplet-machines.js';
import { interpretCloudConfig } from '../helpers/fake-cloud-init.js';

/**
 * `drover lab test lab1 --provider digitalocean` end to end against the fake
 * DigitalOcean API (test/helpers/fake-digitalocean.ts: every request drover
 * sends and every response it serves is checked against the contract
 * schemas; stop() fails on any violation), with each fake droplet backed by
 * a real local systemd-nspawn node (fake-droplet-machines.ts) to which the
 * fake applies the user_data's host keys and the droplet's SSH keys. SSH,
 * strict host keys and the lab's convergence are real; the API is a fake,
 * the machines are containers, cloud-init is interpreted by the fake. Never
 * the real API. Needs root.
 *
 * Placement of the backing nodes: DROVER_HOME /var/lib/drover-do, subnet
 * 10.82.0.0/24, bridge drdo0, machine prefix do- (DROVER_E2E_DO_* override).
 */
const HOME = process.env.DROVER_E2E_DO_HOME ?? '/var/lib/drover-do';
const LOCAL = {
  DROVER_HOME: HOME,
  DROVER_SUBNET: process.env.DROVER_E2E_DO_SUBNET ?? '10.82.0.0/24',
  DROVER_BRIDGE: process.env.DROVER_E2E_DO_BRIDGE ?? 'drdo0',
  DROVER_MACHINE_PREFIX: process.env.DROVER_E2E_DO_MACHINE_PREFIX ?? 'do-',
};
const TOKEN = 'dop_v1_e2e_fake_token_0123456789abcdef';
const isRoot = process.getuid?.() === 0;
const measured: Record<string, string> = {};

describe.skipIf(!isRoot)('lab1 on (fake) DigitalOcean droplets: drover lab test lab1 --provider digitalocean', () => {
  let fake: FakeDigitalOcean;
  let machines: LocalDropletMachines;
  const creds = mkdtempSync(join(tmpdir(), 'drover-do-lab1-creds-'));
  // drover's side: the token in the environment (never argv), the API at the fake, its lab state in HOME/digitalocean.
  const env = () => ({ ...process.env, ...LOCAL, DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: fake.url, DROVER_DO_NODE_KIND: 'container' });
  const drover = (args: string[], timeoutMs = 3_600_000) => run(args, timeoutMs, env()).then((r) => ({ code: r.status ?? 1, out: r.out, ms: r.ms }));
  const labDir = join(HOME, 'digitalocean', 'labs', 'lab1');

  beforeAll(async () => {
    assertSubnetFree(LOCAL.DROVER_SUBNET, LOCAL.DROVER_BRIDGE);
    seedBaseImage(HOME);
    machines = new LocalDropletMachines({ ...process.env, ...LOCAL });
    await machines.destroyAll();
    rmSync(labDir, { recursive: true, force: true });
    fake = await startFakeDigitalOcean({ token: TOKEN, machines, activeAfterPolls: 1 });
  });

  afterAll(async () => {
    await machines?.destroyAll();
    rmSync(creds, { recursive: true, force: true });
    console.log('\nlab1 on fake droplets, measured:\n' + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
    // Last: fails the file if any request or response broke the contract.
    await fake?.stop();
  });

  it('--dry-run prices the lab first and changes nothing at DigitalOcean', async () => {
    const r = await drover(['lab', 'up', 'lab1', '--provider', 'digitalocean', '--dry-run']);
    expect(r.code, r.out).toBe(0);
    const first = r.out.split('\n').find((l) => l.startsWith('lab lab1 on DigitalOcean'));
    // controller s-4vcpu-8gb + 2 × s-2vcpu-4gb from the fake's /v2/sizes.
    expect(first).toMatch(/3 droplet\(s\) in fra1, \$0\.14285\/hour, \$96\.00\/month/);
    expect(r.out).toMatch(/would create VPC drover-lab1 in fra1/);
    expect(r.out).toMatch(/would create: controller \(s-4vcpu-8gb in fra1/);
    expect(fake.writes()).toEqual([]);
    expect(r.out).not.toContain(TOKEN);
  });

  it('converges as check mode predicted, converges again with changed=0, check mode predicts nothing, verify passes', async () => {
    const r = await drover(['lab', 'test', 'lab1', '--provider', 'digitalocean', '-e', `credentials_dir=${creds}`]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/lab lab1: converged as check mode predicted, idempotent, check mode clean, verified/);
    const secs = recapSeconds(r.out);
    expect(secs).toHaveLength(5);
    measured['lab test (up on fake droplets + check, converge, again, check, verify)'] = `${(r.ms / 1000).toFixed(0)} s`;
    measured['check / converge / again / check / verify'] = secs.map((s) => `${s.toFixed(1)} s`).join(' / ');
    const recaps = r.out.split(/^== /m).slice(1);
    expect(recaps[2]).toMatch(/converge again/);
    for (const block of [recaps[2]!, recaps[3]!]) {
      for (const line of block.split('\n').filter((l) => /^(controller|compute1|compute2|localhost)\s+\d/.test(l))) {
        expect(line.trim().split(/\s+/)[2], line).toBe('0');
      }
    }
    expect(r.out).not.toContain(TOKEN);
  });

  it('made a VPC for the lab and put every droplet in it; mgmt_ip is the private address there', () => {
    const vpcs = [...fake.vpcs.values()].filter((v) => v.name === 'drover-lab1');
    expect(vpcs).toHaveLength(1);
    const droplets = [...fake.droplets.values()];
    expect(droplets.map((d) => d.name).sort()).toEqual(['compute1', 'compute2', 'controller']);
    for (const d of droplets) expect(d.vpc_uuid).toBe(vpcs[0]!.id);
    const inv = readFileSync(join(labDir, 'inventory.ini'), 'utf8');
    for (const d of droplets) expect(inv).toMatch(new RegExp(`^${d.name} mgmt_ip=${d.privateIp!.replace(/\./g, '\\.')} ansible_host=${d.publicIp!.replace(/\./g, '\\.')} `, 'm'));
    expect(inv).toMatch(/^host_key_checking=true$/m);
  });

  it('handed each droplet its host key in user_data (under 64 KiB, no user key in it); known_hosts held it before the first contact', () => {
    const userKey = readFileSync(join(labDir, 'id_ed25519'), 'utf8');
    const known = readFileSync(join(labDir, 'known_hosts'), 'utf8');
    const creates = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v2/droplets');
    expect(creates).toHaveLength(3);
    for (const q of creates) {
      const body = q.body as { name: string; user_data: string; ssh_keys: unknown[] };
      expect(Buffer.byteLength(body.user_data)).toBeLessThan(64 * 1024);
      expect(body.user_data).not.toContain(userKey.trim());
      expect(body.ssh_keys).toHaveLength(1);
      const c = interpretCloudConfig(body.user_data);
      expect(c.hostKeys.map((k) => k.type)).toEqual(['ed25519']);
      const [type, blob] = c.hostKeys[0]!.publicKey!.split(' ');
      expect(known).toMatch(new RegExp(`^${body.name},[0-9.,]+ ${type} ${blob!.replace(/[+/]/g, '\\$&')}$`, 'm'));
    }
    // The only login is the droplet's key: the machines' own local key no longer works.
    expect(readFileSync(join(HOME, 'labs', 'droplets', 'nodes', 'controller', 'rootfs', 'root', '.ssh', 'authorized_keys'), 'utf8')).toBe(readFileSync(join(labDir, 'id_ed25519.pub'), 'utf8'));
  });

  it('lab status and lab ssh work as on local nodes (strict host keys)', async () => {
    const s = await drover(['lab', 'status', 'lab1', '--provider', 'digitalocean', '--json'], 120_000);
    const rows = JSON.parse(s.out.slice(s.out.indexOf('['))) as Array<{ name: string; state: string; ip: string }>;
    expect(rows.map((x) => `${x.name}:${x.state}`)).toEqual(['controller:running', 'compute1:running', 'compute2:running']);
    const h = await drover(['lab', 'ssh', '--lab', 'lab1', '--provider', 'digitalocean', 'compute2', '--', 'hostname; systemctl is-active chrony'], 120_000);
    expect(h.code, h.out).toBe(0);
    expect(h.out).toMatch(/^compute2\nactive$/m);
  });

  it('lab down says it destroys, refuses without a terminal or --yes, then destroys droplets, VPC and machines', async () => {
    const refused = await drover(['lab', 'down', 'lab1', '--provider', 'digitalocean'], 120_000);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/`lab down` destroys/);
    expect(refused.out).toMatch(/pass --yes/);
    expect(fake.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
    const down = await drover(['lab', 'down', 'lab1', '--provider', 'digitalocean', '--yes'], 600_000);
    expect(down.code, down.out).toBe(0);
    expect(down.out).toMatch(/deleted VPC drover-lab1/);
    expect([...fake.droplets.values()]).toEqual([]);
    expect([...fake.vpcs.values()].filter((v) => v.name === 'drover-lab1')).toEqual([]);
    for (const n of ['controller', 'compute1', 'compute2']) expect(machines.exists(n)).toBe(false);
    expect(existsSync(labDir)).toBe(false);
  });
});
