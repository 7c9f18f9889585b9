import type { Command } from 'commander';

const collect = (v: string, acc: string[]) => [...acc, v];

/**
 * `drover check PLAYBOOK -i INV`: load the playbook, roles, templates and
 * inventory and check module arguments and variable references, without
 * contacting any host. Prints every error (exit 4) or a one-line summary.
 */
export function register(program: Command): void {
  program
    .command('check')
    .description('validate a playbook against an inventory without contacting any host')
    .argument('<playbook>', 'playbook file (YAML)')
    .requiredOption('-i, --inventory <path>', 'inventory file, directory or host list (repeatable)', collect, [])
    .option('-e, --extra-vars <vars>', 'k=v pairs, @file.yaml or JSON (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'limit to hosts matching a pattern')
    .action(async (playbook: string, o: { inventory: string[]; extraVars: string[]; limit?: string }) => {
      const path = await import('node:path');
      const { fileURLToPath } = await import('node:url');
      const { InputErrors } = await import('../util/errors.js');
      await import('../modules/index.js');
      const { loadPlaybook, validatePlaybook, parseExtraVars, playHosts, countTasks } = await import('../playbook/index.js');
      const { loadInventory } = await import('../inventory/load.js');
      const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

      const extraVars = parseExtraVars(o.extraVars);
      const pb = loadPlaybook(path.resolve(playbook), { rolesPath: [path.join(projectRoot, 'roles')] });
      const inventory = await loadInventory(o.inventory, { playbookDir: pb.dir });
      const errors = validatePlaybook(pb, inventory, extraVars, { limit: o.limit });
      if (errors.length) throw new InputErrors(errors);
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
