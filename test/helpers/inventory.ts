import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Sshd } from './sshd.js';

export interface TestHosts {
  dir: string;
  inventory: string;
  /** host name -> its working directory on the target */
  workdirs: Record<string, string>;
}

/**
 * An INI inventory of N hosts that all point at one loopback sshd, each with
 * its own working directory (so hosts never collide), strict host keys.
 */
export function writeTestInventory(
  sshd: Sshd,
  names: string[],
  opts: { group?: string; user?: string; extra?: string; extraHosts?: string[] } = {},
): TestHosts {
  const dir = mkdtempSync(join(tmpdir(), 'drover-it-'));
  chmodSync(dir, 0o755);
  const user = opts.user ?? sshd.user;
  const workdirs: Record<string, string> = {};
  const lines = [`[${opts.group ?? 'web'}]`];
  for (const n of names) {
    const wd = join(dir, 'targets', n);
    mkdirSync(wd, { recursive: true });
    execFileSync('chown', ['-R', `${user}:${user}`, join(dir, 'targets')]);
    workdirs[n] = wd;
    lines.push(
      `${n} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${user} ansible_ssh_private_key_file=${sshd.keyFile} drover_known_hosts_file=${sshd.knownHostsFile} workdir=${wd}`,
    );
  }
  lines.push(...(opts.extraHosts ?? []));
  if (opts.extra) lines.push(opts.extra);
  const inventory = join(dir, 'hosts.ini');
  writeFileSync(inventory, lines.join('\n') + '\n');
  return { dir, inventory, workdirs };
}
