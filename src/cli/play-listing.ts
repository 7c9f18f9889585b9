/**
 * `drover play --syntax-check | --list-hosts | --list-tasks`: what
 * ansible-playbook prints for them — no host is contacted. drover's syntax
 * check is `drover check` (every error, exit 4), stricter than Ansible's
 * parse-only one; the lists need only the playbook and inventory to load, as
 * in Ansible (a variable given only at run time does not stop them).
 */
import { relative, resolve } from 'node:path';
import type { RunOptions } from '../engine/api.js';
import { loadAndValidate } from '../engine/run.js';
import { shardHosts } from '../engine/shard.js';
import { loadInventory } from '../inventory/load.js';
import { loadPlaybook, parseExtraVars, playHosts, walkNodes } from '../playbook/index.js';
import type { Node, Play } from '../playbook/types.js';

export type Listing = 'syntax' | 'hosts' | 'tasks';

const tags = (t: readonly string[]) => `TAGS: [${t.join(', ')}]`;

function taskLine(n: Node, play: Play): string | undefined {
  if (n.kind === 'block') return undefined;
  const base = n.name ?? (n.kind === 'task' ? n.module : n.kind);
  const name = n.role ? `${n.role.name} : ${base}` : base;
  return `${name}\t${tags([...new Set([...play.tags, ...n.tags])])}`;
}

export async function printListing(what: Listing, opts: RunOptions, out: NodeJS.WritableStream): Promise<void> {
  if (what === 'syntax') await loadAndValidate(opts);
  await import('../modules/index.js');
  const playbook = loadPlaybook(resolve(opts.playbook), { rolesPath: opts.rolesPath ?? [] });
  const inventory = await loadInventory(opts.inventory, { playbookDir: playbook.dir });
  const extraVars = parseExtraVars(opts.extraVars ?? []);
  // --shard: the hosts this shard would run on.
  const shard = opts.shard ? shardHosts(playbook.plays, inventory, opts.limit, extraVars, opts.shard) : undefined;
  const lines = ['', `playbook: ${relative(process.cwd(), playbook.path) || playbook.path}`];
  if (what !== 'syntax') {
    playbook.plays.forEach((play, i) => {
      lines.push('', `  play #${i + 1} (${play.hosts}): ${play.name}\t${tags(play.tags)}`);
      if (what === 'hosts') {
        const hosts = playHosts(play, inventory, opts.limit, extraVars).filter((h) => !shard || shard.has(h));
        lines.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
      } else {
        lines.push('    tasks:');
        for (const n of walkNodes([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks])) {
          const line = taskLine(n, play);
          if (line) lines.push(`      ${line}`);
        }
      }
    });
  }
  out.write(lines.join('\n') + '\n');
}
