/**
 * A running local lab's nodes as the benchmarks see them: the lab's directory
 * (inventory.ini, lab.json) and, for counting processes, the host PID of a
 * node's sshd listener (nodes are systemd-nspawn containers on this machine).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, paths } from '../src/providers/local/config.js';

export function labHome(lab: string): string {
  return paths(loadConfig()).labDir(lab);
}

/** ppid and comm of every process on this machine. */
function processTable(): Map<number, { ppid: number; comm: string; cmdline: string }> {
  const out = new Map<number, { ppid: number; comm: string; cmdline: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.set(Number(d), { ppid, comm, cmdline });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The host PID of the sshd listener inside a node (the sshd whose parent is the node's init). */
export function sshdHostPid(lab: string, node: string): number {
  const dir = paths(loadConfig()).nodeDir(lab, node);
  const nspawn = Number(readFileSync(join(dir, 'nspawn.pid'), 'utf8').trim());
  const procs = processTable();
  const init = [...procs].find(([, p]) => p.ppid === nspawn)?.[0];
  if (init === undefined) throw new Error(`node ${node}: no init under systemd-nspawn ${nspawn}`);
  const sshd = [...procs].find(([, p]) => p.ppid === init && p.comm === 'sshd' && /listener|-D/.test(p.cmdline))?.[0];
  if (sshd === undefined) throw new Error(`node ${node}: no sshd listener under its init (${init})`);
  return sshd;
}
