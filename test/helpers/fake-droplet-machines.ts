import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalProvider } from '../../src/providers/local/provider.js';
import { removeNode, stopNode, waitForSsh } from '../../src/providers/local/node.js';
import { run } from '../../src/providers/local/exec.js';
import { BLOG_NODES } from '../../src/providers/select.js';
import type { LabNode } from '../../src/providers/types.js';
import type { CloudConfig } from './fake-cloud-init.js';
import type { DropletMachines } from './fake-digitalocean.js';

/**
 * The machines behind the fake DigitalOcean's droplets: local
 * systemd-nspawn nodes (src/providers/local: base image, bridge, apt proxy,
 * sshd), one per droplet, in a local "lab" of their own. After a node boots,
 * what cloud-init's cc_ssh would do is done to it: the image's host keys go
 * (ssh_deletekeys), the user_data's are installed, missing ssh_genkeytypes
 * are made, and root's authorized_keys becomes exactly the droplet's keys —
 * the local provider's own key is removed, so the only way in is the one a
 * droplet offers. The next connection gets all that (sshd re-executes itself
 * per connection); the droplet's address is handed back. Needs root.
 */
export class LocalDropletMachines implements DropletMachines {
  readonly provider: LocalProvider;
  readonly ipRange: string;
  private readonly wanted = new Map<string, LabNode>();
  private tail: Promise<unknown> = Promise.resolve();
  private batch: Promise<void> | undefined;
  private nextOctet = 100;

  constructor(
    env: NodeJS.ProcessEnv,
    readonly lab = 'droplets',
  ) {
    this.provider = new LocalProvider({ env, log: (m) => process.stderr.write(`fake droplet machines: ${m}\n`) });
    this.ipRange = `${this.provider.cfg.network}/${this.provider.cfg.prefix}`;
  }

  /** Run one thing at a time on the local provider. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.tail.then(f, f);
    this.tail = p.catch(() => {});
    return p;
  }

  /** Creates arriving together (a lab's three droplets) boot together: one `up` for all of them. */
  private upAll(): Promise<void> {
    this.batch ??= new Promise<void>((r) => setTimeout(r, 3000)).then(() => {
      this.batch = undefined;
      return this.serial(async () => void (await this.provider.up(this.lab, [...this.wanted.values()])));
    });
    return this.batch;
  }

  async boot(d: { id: number; name: string; config: CloudConfig; authorizedKeys: string[] }): Promise<{ ip: string }> {
    // The blog's nodes keep the blog's last octets (.11, .21, .22); other names get .100 upwards.
    const blog = BLOG_NODES.find((n) => n.name === d.name);
    this.wanted.set(d.name, blog ?? { name: d.name, group: 'compute_nodes', hostOctet: this.nextOctet++ });
    await this.upAll();
    const ip = this.provider.place([this.wanted.get(d.name)!])[0]!.ip;
    await this.serial(() => this.applySsh(d.name, d.config, d.authorizedKeys));
    await waitForSsh(ip, 60_000);
    return { ip };
  }

  /** cc_ssh's part, done to the running node's files. */
  private async applySsh(name: string, c: CloudConfig, authorizedKeys: readonly string[]): Promise<void> {
    const root = this.provider.paths.nodeRoot(this.lab, name);
    const sshDir = join(root, 'etc/ssh');
    if (c.deleteKeys) for (const f of readdirSync(sshDir)) if (/^ssh_host_.*key(\.pub)?$/.test(f)) rmSync(join(sshDir, f));
    for (const k of c.hostKeys) {
      const file = join(sshDir, `ssh_host_${k.type}_key`);
      writeFileSync(file, k.privateKey, { mode: 0o600 });
      chmodSync(file, 0o600);
      const pub = k.publicKey ?? (await run(['ssh-keygen', '-y', '-f', file])).stdout.trim();
      writeFileSync(`${file}.pub`, pub + '\n', { mode: 0o644 });
    }
    for (const type of c.genKeyTypes) {
      const file = join(sshDir, `ssh_host_${type}_key`);
      if (!existsSync(file)) await run(['ssh-keygen', '-q', '-t', type, '-N', '', '-f', file]);
    }
    // sshd offers exactly the keys now present (the local provider's drop-in named its own two).
    const present = readdirSync(sshDir).filter((f) => /^ssh_host_[a-z0-9]+_key$/.test(f)).sort();
    writeFileSync(join(sshDir, 'sshd_config.d/10-drover-hostkeys.conf'), ['# Written by the fake DigitalOcean (cloud-init ssh_keys).', ...present.map((f) => `HostKey /etc/ssh/${f}`), ''].join('\n'));
    // No restart: sshd re-executes itself for every connection, reading its config and host keys afresh.
    // The droplet's keys only: root's, and no login for the local provider's `drover` user either.
    writeFileSync(join(root, 'root/.ssh/authorized_keys'), authorizedKeys.map((k) => k.trim()).join('\n') + '\n', { mode: 0o600 });
    const drover = join(root, 'home/drover/.ssh/authorized_keys');
    if (existsSync(drover)) rmSync(drover);
  }

  async remove(d: { id: number; name: string }): Promise<void> {
    this.wanted.delete(d.name);
    await this.serial(async () => {
      const dir = this.provider.paths.nodeDir(this.lab, d.name);
      await stopNode(dir);
      let cgroups: string[] = [];
      try {
        cgroups = (JSON.parse(readFileSync(join(dir, 'cgroups.json'), 'utf8')) as { dirs?: string[] }).dirs ?? [];
      } catch {
        /* never started */
      }
      removeNode(dir, cgroups);
    });
  }

  /** Whether a droplet's machine still has files on this machine. */
  exists(name: string): boolean {
    return existsSync(this.provider.paths.nodeDir(this.lab, name));
  }

  /** Every machine and the local lab around them (bridge rules, proxy when idle). */
  async destroyAll(): Promise<void> {
    await this.serial(() => this.provider.destroy(this.lab));
    mkdirSync(this.provider.paths.labsDir, { recursive: true });
  }
}
