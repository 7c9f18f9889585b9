import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabNode, LabProvider, NodeStatus, UpResult } from '../types.js';
import { defaultHome } from '../local/config.js';
import { run, sleep } from '../local/exec.js';
import { stepTimer } from '../step-timer.js';
import { writeFileAtomic } from '../../util/local-files.js';
import { InputError } from '../../util/errors.js';
import { Redactor } from '../../util/redact.js';
import { DoApiError, DoClient } from './api.js';
import { generateHostKey, hostKeyUserData, knownHostsLine } from './cloud-init.js';
import { costOf, formatCost, planDown, planUp } from './plan.js';
import { dropletsDown, dropletsUp, type Reporter } from './provision.js';
import { ownershipTagFor, type DesiredDroplet, type DropletSpec } from './spec.js';
import { resolveApiUrl, resolveToken } from './token.js';
import { privateIpv4, publicIpv4, type DoDroplet, type DoVpc } from './types.js';

/**
 * A lab's nodes as DigitalOcean droplets: one VPC per lab (named
 * drover-LAB, created or reused through /v2/vpcs), the blog's nodes as
 * droplets in it, tagged drover:lab-LAB. Services bind to the droplets'
 * private addresses in the VPC (mgmt_ip); drover connects to the public ones
 * with strict host keys from the first contact: it makes each droplet's host
 * key and hands it over in cloud-init user_data (cloud-init.ts).
 *
 * State: $DROVER_HOME/digitalocean/labs/LAB/ holds lab.json (settings, VPC,
 * each node's host public key), id_ed25519 (the lab's login key; its public
 * half goes to the account's SSH keys), known_hosts and inventory.ini. The
 * token comes from DIGITALOCEAN_TOKEN or DIGITALOCEAN_TOKEN_FILE, never argv.
 *
 * There is no "stopped" on DigitalOcean that stops billing: `down` destroys.
 */

export interface DoLabSettings {
  region?: string;
  /** One size for every node; unset: per node (DEFAULT_SIZES). */
  size?: string;
  image?: string;
}

/** The blog's controller runs MariaDB, RabbitMQ and the API services; computes need less. */
export const DEFAULT_SIZES: Readonly<Record<LabNode['group'], string>> = { controller_nodes: 's-4vcpu-8gb', compute_nodes: 's-2vcpu-4gb' };
export const DEFAULT_REGION = 'fra1';
/** The labs' roles know Debian 12 (bookworm) and Ubuntu LTS; local nodes are Debian 12 too. */
export const DEFAULT_IMAGE = 'debian-12-x64';

/** What lab.json remembers. */
interface DoLabRecord {
  lab: string;
  region: string;
  image: string;
  /** Per node. */
  sizes: Record<string, string>;
  vpc?: { id: string; name: string; ip_range?: string };
  nodes: Array<{ name: string; group: LabNode['group']; hostKey?: string; dropletId?: number; publicIp?: string; privateIp?: string }>;
}

export interface DoLabProviderOptions {
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
  /** `lab up --region/--size/--image`: win over DROVER_DO_REGION/_SIZE/_IMAGE and what the lab was created with. */
  settings?: DoLabSettings;
  /** Asked before droplets are deleted (down and destroy); `yes` skips it. */
  confirm?: (question: string) => Promise<boolean>;
  yes?: boolean;
  /** First poll interval (ms) while droplets start or go. */
  pollMs?: number;
}

/** VPC names: letters, digits, dashes and dots (vpc.yml), unique in the account. */
export function vpcNameFor(lab: string): string {
  return `drover-${lab}`.replace(/[^A-Za-z0-9.-]/g, '-');
}

/** The spec drover builds for a lab: its ownership tag is drover:lab-LAB. */
export function labSpecName(lab: string): string {
  return `lab-${lab}`;
}

/** Whether an IPv4 address lies in a CIDR range. */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const b = Number(bits);
  if (!net || !(b >= 0 && b <= 32)) return false;
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(net) & mask) >>> 0);
}

/**
 * The lab's INI inventory, shaped like the blog's hosts.ini (controller_nodes,
 * compute_nodes, mgmt_ip per host) with what drover needs to connect with
 * strict host keys. Pure: unit-tested.
 */
export function doLabInventory(o: {
  lab: string;
  nodes: ReadonlyArray<{ name: string; group: LabNode['group']; publicIp: string; privateIp: string }>;
  privateKeyFile: string;
  knownHostsFile: string;
  nodeKindVars: Record<string, string>;
}): string {
  const path = (p: string) => (/[\s"'#\\=]/.test(p) ? JSON.stringify(p) : p);
  const out = [`# Written by drover's digitalocean provider for lab ${o.lab}; rewritten by \`drover lab up ${o.lab} --provider digitalocean\`.`];
  for (const group of ['controller_nodes', 'compute_nodes'] as const) {
    out.push('', `[${group}]`);
    for (const n of o.nodes.filter((x) => x.group === group)) {
      out.push([n.name, `mgmt_ip=${n.privateIp}`, `ansible_host=${n.publicIp}`, 'ansible_user=root', `ansible_ssh_private_key_file=${path(o.privateKeyFile)}`, `drover_known_hosts_file=${path(o.knownHostsFile)}`].join(' '));
    }
  }
  out.push('', '[all:vars]', 'host_key_checking=true', ...Object.entries(o.nodeKindVars).map(([k, v]) => `${k}=${v}`), '');
  return out.join('\n');
}

/**
 * Settings for the roles by what the droplets are: VMs (real droplets), or
 * containers (DROVER_DO_NODE_KIND=container: the end-to-end test's fake
 * droplets are local containers, which cannot boot instances).
 */
export function doNodeKindVars(env: NodeJS.ProcessEnv): Record<string, string> {
  const kind = env.DROVER_DO_NODE_KIND ?? 'vm';
  if (kind === 'container') return { lab_node_kind: 'container', compute_driver: 'fake.FakeDriver' };
  if (kind === 'vm') return { lab_node_kind: 'vm', compute_driver: 'libvirt.LibvirtDriver' };
  throw new InputError(`DROVER_DO_NODE_KIND=${kind}: expected vm or container`);
}

export class DigitalOceanLabProvider implements LabProvider {
  readonly name = 'digitalocean' as const;
  private readonly env: NodeJS.ProcessEnv;
  private readonly home: string;
  private readonly log: (msg: string) => void;
  private readonly redactor = new Redactor();
  private clientInstance: DoClient | undefined;

  constructor(private readonly opts: DoLabProviderOptions = {}) {
    this.env = opts.env ?? process.env;
    this.home = join(defaultHome(this.env, process.getuid?.()), 'digitalocean');
    const log = opts.log ?? ((m: string) => process.stderr.write(`drover: ${m}\n`));
    this.log = (m) => log(this.redactor.redact(m));
  }

  private labDir(lab: string): string {
    return join(this.home, 'labs', lab);
  }
  private keyFile(lab: string): string {
    return join(this.labDir(lab), 'id_ed25519');
  }
  private knownHostsFile(lab: string): string {
    return join(this.labDir(lab), 'known_hosts');
  }
  inventoryPath(lab: string): string {
    return join(this.labDir(lab), 'inventory.ini');
  }

  /** The API client, made when first needed (status of no lab needs no token). */
  private get client(): DoClient {
    if (!this.clientInstance) {
      const token = resolveToken({}, this.env);
      this.redactor.add(token);
      this.clientInstance = new DoClient({ baseUrl: resolveApiUrl(undefined, this.env), token });
    }
    return this.clientInstance;
  }

  private reporter(): Reporter {
    return { info: (l) => this.log(l), warn: (l) => this.log(`warning: ${l}`), event: () => {} };
  }

  private readRecord(lab: string): DoLabRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.labDir(lab), 'lab.json'), 'utf8')) as DoLabRecord;
    } catch {
      return undefined;
    }
  }

  private writeRecord(rec: DoLabRecord): void {
    mkdirSync(this.labDir(rec.lab), { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.labDir(rec.lab), 'lab.json'), JSON.stringify(rec, null, 2) + '\n', 0o600);
  }

  labs(): string[] {
    try {
      return readdirSync(join(this.home, 'labs')).filter((l) => this.readRecord(l) !== undefined).sort();
    } catch {
      return [];
    }
  }

  /** Settings: flags, else DROVER_DO_*, else what the lab was made with, else the defaults. */
  private record(lab: string, nodes: readonly LabNode[]): DoLabRecord {
    const old = this.readRecord(lab);
    const s = this.opts.settings ?? {};
    const region = s.region ?? this.env.DROVER_DO_REGION ?? old?.region ?? DEFAULT_REGION;
    // A VPC lives in one datacenter: a prefix (`fra`) would leave the choice to DigitalOcean.
    if (!/^[a-z]+[0-9]+$/.test(region)) throw new InputError(`region ${region}: a lab needs a datacenter slug such as fra1 or nyc3 (its VPC is in one)`);
    const size = s.size ?? this.env.DROVER_DO_SIZE;
    const sizes = Object.fromEntries(nodes.map((n) => [n.name, size ?? old?.sizes[n.name] ?? DEFAULT_SIZES[n.group]]));
    const image = s.image ?? this.env.DROVER_DO_IMAGE ?? old?.image ?? DEFAULT_IMAGE;
    const byName = new Map((old?.nodes ?? []).map((n) => [n.name, n]));
    return { lab, region, image, sizes, vpc: old?.vpc, nodes: nodes.map((n) => ({ ...byName.get(n.name), name: n.name, group: n.group })) };
  }

  /** The droplet spec for a lab (the same planning and API code as `drover droplet up`). */
  private spec(rec: DoLabRecord, vpcId: string | undefined): DropletSpec {
    const file = join(this.labDir(rec.lab), 'lab.json');
    return {
      file,
      name: labSpecName(rec.lab),
      ownershipTag: ownershipTagFor(labSpecName(rec.lab)),
      sshUser: 'root',
      sshPrivateKeyFile: this.keyFile(rec.lab),
      // Never written (writeInventory: false) and so never removed by `droplets down`: the lab's own is inventory.ini.
      inventoryFile: join(this.labDir(rec.lab), 'droplets.ini'),
      droplets: rec.nodes.map(
        (n): DesiredDroplet => ({
          name: n.name,
          region: rec.region,
          size: rec.sizes[n.name]!,
          image: rec.image,
          sshKeys: [{ public_key_file: `${this.keyFile(rec.lab)}.pub`, name: `drover lab ${rec.lab}` }],
          tags: [ownershipTagFor(labSpecName(rec.lab)), n.group],
          vpcUuid: vpcId,
          monitoring: false,
          ipv6: false,
          vars: {},
          pos: { file, line: 1, col: 1 },
        }),
      ),
    };
  }

  private async ensureUserKey(lab: string): Promise<void> {
    const key = this.keyFile(lab);
    if (existsSync(key)) return;
    mkdirSync(dirname(key), { recursive: true, mode: 0o700 });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `drover-${lab}`, '-f', key]);
  }

  /** The lab's VPC: found by name (in the lab's region), else created; dry run: only found. */
  private async findOrCreateVpc(rec: DoLabRecord, create: boolean): Promise<DoVpc | undefined> {
    const name = vpcNameFor(rec.lab);
    const find = async () => (await this.client.listVpcs()).find((v) => v.name === name);
    let vpc = await find();
    if (!vpc && create) {
      try {
        vpc = await this.client.createVpc({ name, region: rec.region, description: `drover lab ${rec.lab}` });
        this.log(`created VPC ${name} (${vpc.id}, ${vpc.ip_range ?? 'range chosen by DigitalOcean'}) in ${rec.region}`);
      } catch (e) {
        // Names are unique: a refused create may mean it exists now (a retried request, another drover).
        if (!(e instanceof DoApiError && e.status === 422)) throw e;
        vpc = await find();
        if (!vpc) throw e;
      }
    }
    if (vpc && vpc.region !== rec.region) {
      throw new InputError(`VPC ${name} exists in ${vpc.region}, not in ${rec.region}`, undefined, `bring the lab up in ${vpc.region} (--region ${vpc.region}) or destroy it first`);
    }
    return vpc;
  }

  /** `lab up --dry-run`: what the lab costs (first), then what would be created. Changes nothing at DigitalOcean. */
  async dryRun(lab: string, nodes: readonly LabNode[]): Promise<string[]> {
    const rec = this.record(lab, nodes);
    await this.ensureUserKey(lab);
    const sizes = await this.client.listSizes();
    const cost = costOf(sizes, rec.nodes.map((n) => rec.sizes[n.name]!));
    const lines = [`lab ${lab} on DigitalOcean: ${rec.nodes.length} droplet(s) in ${rec.region}, ${formatCost(cost)} while they exist (billed until destroyed; \`lab down\` destroys)`];
    const vpc = await this.findOrCreateVpc(rec, false);
    lines.push(vpc ? `VPC ${vpc.name} exists (${vpc.id}, ${vpc.ip_range ?? '?'})` : `would create VPC ${vpcNameFor(lab)} in ${rec.region}`);
    const collect: Reporter = { info: (l) => lines.push(l), warn: (l) => lines.push(`warning: ${l}`), event: () => {} };
    await dropletsUp(this.spec(rec, vpc?.id), this.client, collect, { dryRun: true, writeInventory: false });
    return lines.map((l) => this.redactor.redact(l));
  }

  async up(lab: string, nodes: readonly LabNode[]): Promise<UpResult> {
    const { timings, timed } = stepTimer();
    const rec = this.record(lab, nodes);
    await this.ensureUserKey(lab);
    const vpc = (await timed('vpc', () => this.findOrCreateVpc(rec, true)))!;
    rec.vpc = { id: vpc.id, name: vpc.name, ip_range: vpc.ip_range };
    const spec = this.spec(rec, vpc.id);

    // Host keys for the droplets about to be created, recorded BEFORE the create:
    // whatever happens next, known_hosts can only ever hold the key drover sent.
    const plan = planUp(spec, await this.client.listDroplets(spec.ownershipTag));
    for (const k of plan.keep) {
      const n = rec.nodes.find((x) => x.name === k.droplet.name)!;
      if (!n.hostKey) {
        throw new Error(`droplet ${k.droplet.name} (id ${k.droplet.id}) of lab ${lab} exists, but drover has no host key on record for it, so it cannot be reached with strict host keys; \`drover lab destroy ${lab} --provider digitalocean\` and up again`);
      }
      if (k.droplet.vpc_uuid && k.droplet.vpc_uuid !== vpc.id) this.log(`warning: ${k.droplet.name} is in VPC ${k.droplet.vpc_uuid}, not the lab's ${vpc.name} (${vpc.id})`);
    }
    for (const d of plan.create) {
      const key = await generateHostKey(d.name);
      d.userData = hostKeyUserData(d.name, lab, [key]);
      rec.nodes.find((x) => x.name === d.name)!.hostKey = key.publicKey;
    }
    this.writeRecord(rec);

    const r = await timed('droplets', () => dropletsUp(spec, this.client, this.reporter(), { writeInventory: false, pollMs: this.opts.pollMs }));
    if (r.failed.length) throw new Error(`lab ${lab}: ${r.failed.length} droplet(s) not ready:\n${r.failed.map((f) => `  ${f.name}: ${f.error}`).join('\n')}\nRun \`drover lab up ${lab} --provider digitalocean\` again to create what is missing.`);

    const placed = rec.nodes.map((n) => {
      const d = r.droplets.find((x) => x.name === n.name);
      const publicIp = d && publicIpv4(d);
      const privateIp = d && privateIpv4(d);
      if (!d || !publicIp) throw new Error(`lab ${lab}: droplet ${n.name} has no public IPv4`);
      if (!n.hostKey) throw new Error(`lab ${lab}: droplet ${n.name} (id ${d.id}) was created without a host key drover made (by another drover at the same time?); destroy the lab and up again`);
      // The blog's services bind to mgmt_ip: it must be the droplet's address in the lab's VPC.
      if (!privateIp) throw new Error(`lab ${lab}: droplet ${n.name} (id ${d.id}) has no private IPv4 (mgmt_ip)`);
      if (vpc.ip_range && !inCidr(privateIp, vpc.ip_range)) throw new Error(`lab ${lab}: ${n.name}'s private address ${privateIp} is not in VPC ${vpc.name} (${vpc.ip_range})`);
      Object.assign(n, { dropletId: d.id, publicIp, privateIp });
      return { name: n.name, group: n.group, publicIp, privateIp, hostKey: n.hostKey! };
    });
    this.writeRecord(rec);
    writeFileAtomic(this.knownHostsFile(lab), placed.map((n) => knownHostsLine([n.name, n.publicIp, n.privateIp], n.hostKey)).join('\n') + '\n');
    writeFileAtomic(
      this.inventoryPath(lab),
      doLabInventory({ lab, nodes: placed, privateKeyFile: this.keyFile(lab), knownHostsFile: this.knownHostsFile(lab), nodeKindVars: doNodeKindVars(this.env) }),
    );
    // Active is not reachable: wait until each sshd answers with the key drover made (cloud-init may still be running).
    await timed('ssh', () => Promise.all(placed.map((n) => this.waitForHostKey(n.name, n.publicIp, n.hostKey))));
    return { inventory: this.inventoryPath(lab), started: r.created, timings };
  }

  /** ssh-keyscan until the node offers exactly the host key on record (another key is waited out, then an error). */
  private async waitForHostKey(node: string, ip: string, hostKey: string): Promise<void> {
    const timeoutSec = Number(this.env.DROVER_SSH_TIMEOUT ?? 300);
    const deadline = Date.now() + (Number.isFinite(timeoutSec) && timeoutSec > 0 ? timeoutSec : 300) * 1000;
    const want = hostKey.split(/\s+/).slice(0, 2).join(' ');
    let last = 'no answer';
    for (;;) {
      const r = await run(['ssh-keyscan', '-T', '3', '-t', 'ed25519', ip], { allowFail: true });
      const offered = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/).slice(1, 3).join(' '));
      if (offered.includes(want)) return;
      if (offered.length) last = `it offers ${offered.join(', ')}, not the key drover made`;
      if (Date.now() > deadline) throw new Error(`node ${node} (${ip}): sshd did not offer its host key within ${Math.round(timeoutSec)}s (${last})`);
      await sleep(2000);
    }
  }

  /** On DigitalOcean a stopped droplet is still billed: `down` destroys (and says so). */
  async down(lab: string): Promise<void> {
    this.log(`on DigitalOcean, \`lab down\` destroys the lab's droplets and VPC (a powered-off droplet is billed as a running one)`);
    await this.destroy(lab);
  }

  async destroy(lab: string): Promise<void> {
    const rec = this.readRecord(lab);
    const spec = this.spec(rec ?? { lab, region: DEFAULT_REGION, image: DEFAULT_IMAGE, sizes: {}, nodes: [] }, undefined);
    const r = await dropletsDown(spec, this.client, this.reporter(), {
      pollMs: this.opts.pollMs,
      confirm: async (targets) => {
        const what = `${targets.length} droplet(s) of lab ${lab} (${targets.map((d) => `${d.name} id ${d.id}`).join(', ')})`;
        this.log(`will delete ${what} and VPC ${vpcNameFor(lab)}`);
        if (this.opts.yes) return true;
        if (!this.opts.confirm) throw new InputError(`refusing to delete ${what} without confirmation`, undefined, 'pass --yes');
        return this.opts.confirm(`Delete ${what}? Type "yes": `);
      },
    });
    if (r.aborted) throw new InputError('aborted; nothing deleted');
    if (r.failed.length) throw new Error(`lab ${lab}: ${r.failed.length} droplet(s) not deleted: ${r.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
    await this.deleteVpc(lab, r.deleted);
    rmSync(this.labDir(lab), { recursive: true, force: true });
  }

  /** The lab's VPC goes with its droplets; DigitalOcean refuses (403) while members remain, so that is waited out a while. */
  private async deleteVpc(lab: string, deleted: readonly DoDroplet[]): Promise<void> {
    const vpc = (await this.client.listVpcs()).find((v) => v.name === vpcNameFor(lab));
    if (!vpc) return;
    const deadline = Date.now() + 5 * 60_000;
    let wait = this.opts.pollMs ?? 2000;
    for (;;) {
      try {
        await this.client.deleteVpc(vpc.id);
        this.log(`deleted VPC ${vpc.name} (${vpc.id})`);
        return;
      } catch (e) {
        if (e instanceof DoApiError && e.status === 404) return;
        if (!(e instanceof DoApiError && e.status === 403) || Date.now() + wait > deadline) {
          throw new Error(`could not delete VPC ${vpc.name} (${vpc.id})${deleted.length ? ' after deleting the droplets' : ''}: ${(e as Error).message}`);
        }
      }
      await sleep(wait);
      wait = Math.min(15_000, Math.round(wait * 1.5));
    }
  }

  async status(lab?: string): Promise<NodeStatus[]> {
    const labs = lab ? (this.readRecord(lab) ? [lab] : []) : this.labs();
    const out: NodeStatus[] = [];
    for (const l of labs) {
      const rec = this.readRecord(l)!;
      const listed = planDown({ ownershipTag: ownershipTagFor(labSpecName(l)) }, await this.client.listDroplets(ownershipTagFor(labSpecName(l))));
      for (const n of rec.nodes) {
        const d = listed.find((x) => x.name === n.name);
        // new (still starting), off and archive: not running.
        const state = !d ? 'absent' : d.status === 'active' ? 'running' : 'stopped';
        const st: NodeStatus = { lab: l, name: n.name, state };
        const ip = d && publicIpv4(d);
        if (ip) st.ip = ip;
        out.push(st);
      }
    }
    return out;
  }

  async sshCommand(lab: string, node: string): Promise<string[]> {
    const rec = this.readRecord(lab);
    const n = rec?.nodes.find((x) => x.name === node);
    if (!n?.publicIp) throw new InputError(`lab ${lab} has no droplet ${node} with an address${rec ? ` (nodes: ${rec.nodes.map((x) => x.name).join(', ')})` : ''}`, undefined, `drover lab up ${lab} --provider digitalocean`);
    return ['ssh', '-i', this.keyFile(lab), '-o', `UserKnownHostsFile=${this.knownHostsFile(lab)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', `root@${n.publicIp}`];
  }
}
