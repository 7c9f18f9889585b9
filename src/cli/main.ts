import { Command, CommanderError } from 'commander';
import { EXIT, isInputError } from '../util/errors.js';
import { register as registerPlay } from './play.js';
import { register as registerCheck } from './check.js';
import { register as registerInventory } from './inventory.js';
import { register as registerSchema } from './schema.js';
import { register as registerLab } from './lab.js';
import { register as registerPki } from './pki.js';
import { register as registerDroplet } from './droplet.js';
import { register as registerVault } from './vault.js';
import { register as registerAdhoc } from './adhoc.js';
import { register as registerDoc } from './doc.js';
import { register as registerCompletion } from './completion.js';
import { register as registerConfig } from './config.js';
import { register as registerEvents } from './events.js';

/**
 * drover's command line. Each sub-command lives in its own file and registers
 * itself on the program; heavy modules are imported lazily inside actions so
 * `drover --help` starts fast.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('drover')
    .description('Provision hosts over SSH: plan, then apply. Ansible-shaped playbooks, honest check mode.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError("(see 'drover --help', or 'drover COMMAND --help')");
  // Ad-hoc is the default command: `drover all -i hosts -m ping`, a first word that is no sub-command.
  for (const register of [registerPlay, registerCheck, registerInventory, registerSchema, registerLab, registerPki, registerDroplet, registerVault, registerDoc, registerCompletion, registerConfig, registerEvents, registerAdhoc]) {
    register(program);
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    // A usage mistake (unknown option, missing argument) is invalid input: nothing was contacted.
    // Help shown for a bare command group (`drover inventory`) stays a plain usage exit.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : e.code === 'commander.help' ? EXIT.usage : EXIT.invalidInput;
    if (isInputError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      return EXIT.invalidInput;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.usage;
  }
}
