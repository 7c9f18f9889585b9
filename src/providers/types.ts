/**
 * The provider contract: what `drover lab` asks of a node provider and what
 * a provider reports back. The selector (select.ts) and every provider import
 * it from here.
 */

export type NodeGroup = 'controller_nodes' | 'compute_nodes';

/** One machine of a lab, provider-neutral. */
export interface LabNode {
  name: string;
  group: NodeGroup;
  /** Last part of the node's address: controller .11, compute1 .21, compute2 .22 (as the blog). */
  hostOctet: number;
}

export type NodeState = 'running' | 'stopped' | 'absent';

export interface NodeStatus {
  lab: string;
  name: string;
  state: NodeState;
  ip?: string;
  /**
   * Memory of the node in bytes, when running: its memory cgroup's usage less
   * inactive file cache, or else the summed PSS of its processes.
   */
  memoryBytes?: number;
  /** How the memory figure was obtained. */
  memorySource?: 'cgroup' | 'pss';
  uptimeSec?: number;
}

export interface UpResult {
  /** Path of the INI inventory describing the lab's nodes. */
  inventory: string;
  /** Nodes that were started by this call (empty when all were already running). */
  started: string[];
  /** Per-step timings in ms, for reports and the e2e test. */
  timings: Record<string, number>;
}

/** What `drover lab` asks of a provider. */
export interface LabProvider {
  readonly name: 'local' | 'vagrant' | 'digitalocean';
  /** Bring the lab's nodes up (create them when missing); nodes already running are left alone. */
  up(lab: string, nodes: readonly LabNode[]): Promise<UpResult>;
  /** Stop the lab's nodes cleanly; their disks are kept. */
  down(lab: string): Promise<void>;
  /** Remove the lab's nodes (caches such as the base image are kept). */
  destroy(lab: string): Promise<void>;
  /** Node states; every known lab when lab is omitted. */
  status(lab?: string): Promise<NodeStatus[]>;
  /** The inventory path `up` writes for this lab (it may not exist yet). */
  inventoryPath(lab: string): string;
  /** argv that opens an interactive SSH session on a node of a lab. */
  sshCommand(lab: string, node: string): Promise<string[]>;
  /** `lab up --dry-run`: what up would do and cost, changing nothing (providers that bill: digitalocean). */
  dryRun?(lab: string, nodes: readonly LabNode[]): Promise<string[]>;
}

export type ProviderName = LabProvider['name'];
