import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { processAlive, run, sleep } from './exec.js';
import { TAR_FLAGS } from './base-image.js';
import { killCgroupTree, removeCgroupTree } from './cgroups.js';
import {
  CHRONY_DROP_IN,
  CHRONY_DROP_IN_PATH,
  SSHD_HOSTKEYS,
  RESOLV_CONF,
  aptProxyFile,
  hostsFile,
  networkFile,
  type PlacedNode,
} from './node-files.js';

/**
 * One local node: a directory holding the node's root file system (rootfs/),
 * its supervisor's pid file and boot log. Creating writes its identity;
 * starting detaches a supervisor that outlives drover.
 */
export interface NodeContext {
  dir: string;
  node: PlacedNode;
  /** Every node of the lab, for /etc/hosts. */
  all: readonly PlacedNode[];
  prefix: number;
  bridge: string;
  bridgeIp: string;
  proxyPort: number;
  /** The lab's SSH public key (one line). */
  publicKey: string;
  supervisorScript: string;
  /** systemd-nspawn's machine name (default: the node's name); see LocalConfig.machinePrefix. */
  machineName?: string;
  /** Cgroup directories the node's supervisor joins (see cgroups.ts). */
  cgroupDirs?: string[];
  /**
   * The VM network: the node gets a second veth, named vmNetworkDevice inside
   * and vmVeth on the host, attached to vmBridge at every boot. None when unset.
   */
  vm?: { bridge: string; veth: string; device: string };
}

const rootfs = (dir: string) => join(dir, 'rootfs');

/** Write a file inside the node (parents created), with a mode. */
function put(root: string, rel: string, text: string, mode = 0o644): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text, { mode });
  chmodSync(p, mode);
}

/** uid/gid of a user in the node's /etc/passwd. */
function nodeUser(root: string, user: string): { uid: number; gid: number; home: string } | undefined {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

function authorize(root: string, user: string, publicKey: string): void {
  const u = nodeUser(root, user);
  if (!u) return;
  const sshDir = join(root, u.home.replace(/^\//, ''), '.ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(sshDir, 0o700);
  const keys = join(sshDir, 'authorized_keys');
  writeFileSync(keys, publicKey.trim() + '\n', { mode: 0o600 });
  chmodSync(keys, 0o600);
  chownSync(sshDir, u.uid, u.gid);
  chownSync(keys, u.uid, u.gid);
}

export function nodeExists(dir: string): boolean {
  return existsSync(join(rootfs(dir), 'etc/os-release'));
}

/** Unpack the base and give the node its own identity. */
export async function createNode(ctx: NodeContext, baseTarball: string): Promise<void> {
  mkdirSync(ctx.dir, { recursive: true });
  const tmp = join(ctx.dir, 'rootfs.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await run(['tar', ...TAR_FLAGS, '-I', 'zstd', '-xpf', baseTarball, '-C', tmp]);
  const root = tmp;
  put(root, 'etc/hostname', `${ctx.node.name}\n`);
  put(root, 'etc/machine-id', randomBytes(16).toString('hex') + '\n', 0o444);
  // Fresh host keys per node; their public halves become the lab's known_hosts.
  // No RSA key: generating one costs seconds per node, and ed25519/ECDSA serve every client drover uses.
  for (const [type, bits] of [['ed25519', []], ['ecdsa', ['-b', '256']]] as const) {
    await run(['ssh-keygen', '-q', '-t', type, ...bits, '-N', '', '-C', `root@${ctx.node.name}`, '-f', join(root, `etc/ssh/ssh_host_${type}_key`)]);
  }
  put(root, 'etc/ssh/sshd_config.d/10-drover-hostkeys.conf', SSHD_HOSTKEYS);
  authorize(root, 'root', ctx.publicKey);
  authorize(root, 'drover', ctx.publicKey);
  put(root, CHRONY_DROP_IN_PATH, CHRONY_DROP_IN);
  writeNodeConfig(ctx, root);
  renameSync(tmp, rootfs(ctx.dir));
}

/** Settings that follow the lab (addresses, node list, proxy): rewritten before every boot. */
export function writeNodeConfig(ctx: NodeContext, root = rootfs(ctx.dir)): void {
  put(root, 'etc/hosts', hostsFile(ctx.all));
  rmSync(join(root, 'etc/resolv.conf'), { force: true }); // may be a symlink
  put(root, 'etc/resolv.conf', RESOLV_CONF);
  put(root, 'etc/systemd/network/10-host0.network', networkFile(ctx.node.ip, ctx.prefix, ctx.bridgeIp));
  put(root, 'etc/apt/apt.conf.d/01drover-proxy', aptProxyFile(ctx.bridgeIp, ctx.proxyPort));
}

/** The node's public host keys (for known_hosts). */
export function hostPublicKeys(dir: string): string[] {
  const sshDir = join(rootfs(dir), 'etc/ssh');
  return readdirSync(sshDir)
    .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
    .sort()
    .map((f) => readFileSync(join(sshDir, f), 'utf8'));
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The node's supervisor pid if it is running. */
export function supervisorPid(dir: string): number | undefined {
  const pid = readPid(join(dir, 'supervisor.pid'));
  return pid !== undefined && processAlive(pid, 'node-supervisor') ? pid : undefined;
}

/** Boot the node under a detached supervisor; returns its pid. */
export function startNode(ctx: NodeContext): number {
  writeNodeConfig(ctx);
  const logFd = openSync(join(ctx.dir, 'console.log'), 'a');
  const args = [ctx.supervisorScript, ctx.dir, ctx.machineName ?? ctx.node.name, ctx.bridge];
  args.push(ctx.vm?.bridge ?? '', ctx.vm ? `${ctx.vm.veth}:${ctx.vm.device}` : '');
  args.push(...(ctx.cgroupDirs ?? []));
  // detached: its own session, so it outlives `drover lab up` and ignores our terminal's signals.
  const child = spawn('/bin/bash', args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start the supervisor for node ${ctx.node.name}`);
  writeFileSync(join(ctx.dir, 'supervisor.pid'), `${child.pid}\n`);
  return child.pid;
}

function readNodeCgroupDirs(dir: string): string[] {
  try {
    return (JSON.parse(readFileSync(join(dir, 'cgroups.json'), 'utf8')) as { dirs?: string[] }).dirs ?? [];
  } catch {
    return [];
  }
}

/** Stop a node cleanly (SIGTERM = poweroff), waiting up to timeoutMs, then kill. Returns whether it was running. */
export async function stopNode(dir: string, timeoutMs = 90_000): Promise<boolean> {
  const pid = supervisorPid(dir);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && processAlive(pid, 'node-supervisor')) await sleep(200);
  if (processAlive(pid, 'node-supervisor')) {
    const nspawn = readPid(join(dir, 'nspawn.pid'));
    if (nspawn !== undefined && processAlive(nspawn, 'systemd-nspawn')) process.kill(nspawn, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    // The container's own systemd and services outlive nspawn: kill everything in the node's cgroups.
    for (const cg of readNodeCgroupDirs(dir)) killCgroupTree(cg);
    await sleep(500);
    rmSync(join(dir, 'supervisor.pid'), { force: true });
    rmSync(join(dir, 'nspawn.pid'), { force: true });
  }
  return true;
}

/** Wait until the node's sshd answers with its banner. */
export async function waitForSsh(ip: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const banner = await readBanner(ip, 22, 2000);
    if (banner.startsWith('SSH-')) return;
    last = banner || 'no answer';
    await sleep(150);
  }
  throw new Error(`sshd on ${ip}:22 did not answer within ${Math.round(timeoutMs / 1000)}s (${last})`);
}

function readBanner(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let got = '';
    const done = (v: string) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(got));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\n')) done(got);
    });
    s.once('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
    s.once('end', () => done(got));
  });
}

export function bootedAt(dir: string): number | undefined {
  return readPid(join(dir, 'booted_at'));
}

/** Proportional set size of one process (shared pages split among sharers), falling back to RSS. */
function processMemory(pid: number, rssPages: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* no smaps_rollup (old kernel) or process gone */
  }
  return rssPages * 4096;
}

/** Fallback without a memory cgroup: the summed PSS (else RSS) of a process and all its descendants. */
export function treeMemory(rootPid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(e);
      rss.set(pid, Number(after[21]));
      const ppid = Number(after[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      /* process gone */
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop()!;
    total += processMemory(p, rss.get(p) ?? 0);
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/** Remove a node's files and its cgroups (the node must be stopped). */
export function removeNode(dir: string, cgroupDirs: readonly string[] = []): void {
  rmSync(dir, { recursive: true, force: true });
  for (const cg of cgroupDirs) removeCgroupTree(cg);
}
