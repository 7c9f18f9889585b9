import type { Command } from 'commander';
import { setVaultFromFlags, vaultOptions, type VaultFlags } from './vault-options.js';

const collect = (v: string, acc: string[]) => [...acc, v];

/**
 * `drover check PLAYBOOK -i INV`: load the playbook, roles, templates and
 * inventory and check module arguments and variable references, without
 * contacting any host. Prints every error (exit 4) or a one-line summary.
 */
export function register(program: Command): void {
  vaultOptions(program.command('check'))
    .description('validate a playbook against an inventory without contacting any host')
    .argument('<playbook>', 'playbook file (YAML)')
    .option('-i, --inventory <path>', 'inventory file, directory or host list (repeatable; else ansible.cfg inventory / ANSIBLE_INVENTORY)', collect, [])
    .option('-e, --extra-vars <vars>', 'k=v pairs, @file.yaml or JSON (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'limit to hosts matching a pattern')
    .option('-F, --ssh-config <file>', 'OpenSSH client config to read instead of ~/.ssh/config')
    .action(async (playbook: string, o: VaultFlags & { inventory: string[]; extraVars: string[]; limit?: string; sshConfig?: string }, c: Command) => {
      const cfg = (await import('./config-file.js')).runDefaults(o, (k) => c.getOptionValueSource(k) === 'cli');
      await setVaultFromFlags(o);
      const { loadAndValidate } = await import('../engine/run.js');
      const { playHosts, countTasks } = await import('../playbook/index.js');
      // The same loading and validation `drover play` does before it contacts a host.
      const { playbook: pb, inventory, extraVars } = await loadAndValidate({ playbook, inventory: cfg.inventory, rolesPath: cfg.rolesPath, connection: cfg.connection, ...(cfg.remoteUser !== undefined ? { remoteUser: cfg.remoteUser } : {}), extraVars: o.extraVars, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
      const hosts = new Set<string>();
      let tasks = 0;
      for (const play of pb.plays) {
        for (const h of playHosts(play, inventory, o.limit, extraVars)) hosts.add(h);
        tasks += countTasks(play);
      }
      const n = pb.plays.length;
      process.stdout.write(`ok: ${n} play${n === 1 ? '' : 's'}, ${tasks} task${tasks === 1 ? '' : 's'}, ${hosts.size} host${hosts.size === 1 ? '' : 's'}\n`);
    });
}
