import { InputError } from '../util/errors.js';
import { onPath } from '../util/on-path.js';
import type { LabNode, LabProvider, ProviderName } from './types.js';

/**
 * Node providers bring a lab's machines up and describe them as an inventory;
 * the engine never learns where a host came from. This file holds the labs'
 * node table and the choice between Vagrant (the blog's way) and local
 * containers (the default); the contract every provider implements is in
 * types.ts, so the providers never import their selector.
 */

/** The blog's three machines: upstream Lab1–Lab4 share one Vagrantfile and hosts.ini. */
export const BLOG_NODES: readonly LabNode[] = [
  { name: 'controller', group: 'controller_nodes', hostOctet: 11 },
  { name: 'compute1', group: 'compute_nodes', hostOctet: 21 },
  { name: 'compute2', group: 'compute_nodes', hostOctet: 22 },
];

/** Labs drover ships; the tls labs run on the controller machine itself and need no nodes. */
export const LAB_NODES: Readonly<Record<string, readonly LabNode[]>> = {
  lab1: BLOG_NODES,
  lab2: BLOG_NODES,
  lab3: BLOG_NODES,
  lab4: BLOG_NODES,
  // Lab5: Lab4 + Neutron proper (upstream Lab5–Lab9 keep Lab1's Vagrantfile).
  lab5: BLOG_NODES,
  // Lab6: Lab5 + Horizon (the dashboard on the controller).
  lab6: BLOG_NODES,
  tls1: [],
  tls2: [],
  tls3: [],
  // The TLS CA chain on the blog's nodes (roles/tls_ca): its own nodes, like every lab.
  'tls-nodes': BLOG_NODES,
};

/** The nodes a lab needs; undefined for a name drover does not know. */
export function labNodes(lab: string): readonly LabNode[] | undefined {
  return Object.hasOwn(LAB_NODES, lab) ? LAB_NODES[lab] : undefined;
}

/** A provider as named by `--provider` / DROVER_PROVIDER: `local`, `vagrant`, `vagrant:NAME` or `digitalocean` (never chosen by default: it bills). */
export interface ProviderChoice {
  name: ProviderName;
  /** Vagrant's own provider (virtualbox, libvirt, docker); unset: Vagrant's rules choose. */
  vagrantProvider?: 'virtualbox' | 'libvirt' | 'docker';
}

const VAGRANT_PROVIDER_NAMES = ['virtualbox', 'libvirt', 'docker'] as const;

/** Parse `local`, `vagrant` or `vagrant:NAME`; `source` names where the text came from, for the error. */
export function parseProviderSpec(spec: string, source: string): ProviderChoice {
  const [name, sub, ...rest] = spec.split(':');
  if (name === 'local' && sub === undefined) return { name: 'local' };
  if (name === 'digitalocean' && sub === undefined) return { name: 'digitalocean' };
  if (name === 'vagrant' && rest.length === 0) {
    if (sub === undefined) return { name: 'vagrant' };
    const known = VAGRANT_PROVIDER_NAMES.find((p) => p === sub);
    if (known) return { name: 'vagrant', vagrantProvider: known };
    throw new InputError(`${source}=${spec}: the Vagrantfile configures ${VAGRANT_PROVIDER_NAMES.join(', ')}, not "${sub}"`);
  }
  throw new InputError(`${source}=${spec} is not a provider (expected local, vagrant, vagrant:${VAGRANT_PROVIDER_NAMES.join('|')} or digitalocean)`);
}

/**
 * Pure part of the choice: `--provider` wins, then DROVER_PROVIDER; else
 * Vagrant when it is installed and either VirtualBox (the blog's) is or the
 * user named Vagrant's default provider; else local nodes.
 */
export function chooseProvider(env: NodeJS.ProcessEnv, has: (cmd: string) => boolean, flag?: string): ProviderChoice {
  if (flag) return parseProviderSpec(flag, '--provider');
  if (env.DROVER_PROVIDER) return parseProviderSpec(env.DROVER_PROVIDER, 'DROVER_PROVIDER');
  return has('vagrant') && (has('VBoxManage') || Boolean(env.VAGRANT_DEFAULT_PROVIDER)) ? { name: 'vagrant' } : { name: 'local' };
}

export interface SelectOptions {
  /**
   * Turns `vagrant ssh-config` output into INI inventory text. Supplied by the
   * CLI from the inventory layer (providers sit below it and cannot import it).
   */
  renderVagrantInventory?: import('./vagrant/provider.js').SshConfigToIni;
  log?: (msg: string) => void;
  /** `--provider` as given on the command line. */
  provider?: string;
  /** For DigitalOcean: `lab up --region/--size/--image`, and how deleting droplets is confirmed (`--yes`, a terminal prompt). */
  digitalocean?: Pick<import('./digitalocean/lab-provider.js').DoLabProviderOptions, 'settings' | 'yes' | 'confirm'>;
}

/** The provider for this machine: see chooseProvider. */
export async function selectProvider(env: NodeJS.ProcessEnv = process.env, opts: SelectOptions = {}): Promise<LabProvider> {
  const choice = chooseProvider(env, (cmd) => onPath(cmd), opts.provider);
  if (choice.name === 'vagrant') {
    const { VagrantProvider } = await import('./vagrant/provider.js');
    return new VagrantProvider({ env, renderInventory: opts.renderVagrantInventory, vagrantProvider: choice.vagrantProvider, log: opts.log });
  }
  if (choice.name === 'digitalocean') {
    const { DigitalOceanLabProvider } = await import('./digitalocean/lab-provider.js');
    return new DigitalOceanLabProvider({ env, log: opts.log, ...opts.digitalocean });
  }
  const { LocalProvider } = await import('./local/provider.js');
  return new LocalProvider({ env, log: opts.log });
}
