import type { Command } from 'commander';
import { writeFileAtomic } from '../util/local-files.js';
import { onPath } from '../util/on-path.js';

const collect = (v: string, acc: string[]) => [...acc, v];

/**
 * `drover inventory list|graph|from-vagrant`: look at an inventory the way the
 * engine will see it (merged vars, secrets masked), or write one from
 * `vagrant ssh-config`.
 */
export function register(program: Command): void {
  const inventory = program.command('inventory').description('show inventories, or write one from Vagrant');

  inventory
    .command('list')
    .description('print hosts, groups and merged host variables (secrets masked)')
    .option('-i, --inventory <path>', 'inventory file, directory or host list (repeatable; else ansible.cfg inventory / ANSIBLE_INVENTORY)', collect, [])
    .option('--json', 'print JSON like ansible-inventory --list')
    .option('-l, --limit <pattern>', 'only hosts matching a pattern')
    .option('--playbook-dir <dir>', "also read that directory's group_vars/ and host_vars/")
    .action(async (o: { inventory: string[]; json?: boolean; limit?: string; playbookDir?: string }) => {
      const { loadInventory } = await import('../inventory/load.js');
      const { inventoryListJson, inventoryListText } = await import('../inventory/report.js');
      const inv = await loadInventory(await inventoryOf(o.inventory), { playbookDir: o.playbookDir });
      process.stdout.write(o.json ? JSON.stringify(inventoryListJson(inv, o.limit), null, 2) + '\n' : inventoryListText(inv, o.limit));
    });

  inventory
    .command('graph')
    .description('print the group tree like ansible-inventory --graph')
    .argument('[group]', 'start at this group', 'all')
    .option('-i, --inventory <path>', 'inventory file, directory or host list (repeatable; else ansible.cfg inventory / ANSIBLE_INVENTORY)', collect, [])
    .option('--vars', 'show variables too (secrets masked)')
    .option('--playbook-dir <dir>', "also read that directory's group_vars/ and host_vars/")
    .action(async (group: string, o: { inventory: string[]; vars?: boolean; playbookDir?: string }) => {
      const { loadInventory } = await import('../inventory/load.js');
      const { inventoryGraph } = await import('../inventory/report.js');
      const inv = await loadInventory(await inventoryOf(o.inventory), { playbookDir: o.playbookDir });
      process.stdout.write(inventoryGraph(inv, group, Boolean(o.vars)));
    });

  inventory
    .command('from-vagrant')
    .description('write an INI inventory from `vagrant ssh-config` (blog groups and management IPs)')
    .option('--dir <dir>', 'directory with the Vagrantfile', '.')
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--mgmt-ip <host=ip>', "management IP of a host (repeatable; default: the blog's 192.168.1.11/.21/.22)", collect, [])
    .action(async (o: { dir: string; output?: string; mgmtIp: string[] }) => {
      const { InputError } = await import('../util/errors.js');
      const { BLOG_MGMT_IPS, inventoryFromSshConfig, renderIni } = await import('../inventory/vagrant-ssh-config.js');
      const mgmt: Record<string, string> = { ...BLOG_MGMT_IPS };
      for (const m of o.mgmtIp) {
        const [host, ip] = m.split('=');
        if (!host || !ip) throw new InputError(`--mgmt-ip expects HOST=IP, got "${m}"`);
        mgmt[host] = ip;
      }
      const text = await vagrantSshConfig(o.dir);
      const rendered = renderIni(
        inventoryFromSshConfig(text, { mgmtIps: mgmt, file: '<vagrant ssh-config>' }),
        `Written by \`drover inventory from-vagrant\` from \`vagrant ssh-config\` in ${o.dir}.`,
      );
      if (o.output) writeFileAtomic(o.output, rendered);
      else process.stdout.write(rendered);
    });
}

/** Run `vagrant ssh-config` in `dir`; a missing vagrant or a failure says exactly what went wrong. */
async function vagrantSshConfig(dir: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  if (!onPath('vagrant')) {
    throw new Error('`vagrant` is not on PATH: install Vagrant (https://developer.hashicorp.com/vagrant) to read `vagrant ssh-config`, or use the local nodes (`drover lab up`) and their inventory');
  }
  return new Promise((resolve, reject) => {
    execFile('vagrant', ['ssh-config'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
        reject(new Error(`\`vagrant ssh-config\` in ${dir} failed (exit ${String(code)}): ${stderr.trim() || err.message}`));
      } else resolve(stdout);
    });
  });
}

/** Temp file in the same directory, fsync, rename. */

/** -i, else the configured inventory (ansible.cfg, ANSIBLE_INVENTORY), as ansible-inventory reads it. */
async function inventoryOf(flag: string[]): Promise<string[]> {
  const { runDefaults } = await import('./config-file.js');
  return runDefaults({ inventory: flag }, () => false).inventory;
}
