import type { Command } from 'commander';
import { InputError } from '../util/errors.js';

/** `drover schema [-o FILE] [--module NAME]`: JSON Schema of playbooks and task files, or of one module's arguments, from the module schemas. */
export function register(program: Command): void {
  program
    .command('schema')
    .description('write a JSON Schema for playbooks and task files (for editor completion)')
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .option('-m, --module <name>', "only this module's arguments (small: what an editor needs for one task)")
    .action(async (o: { output?: string; module?: string }) => {
      await import('../modules/index.js');
      let schema: unknown;
      if (o.module !== undefined) {
        const { getModule, moduleNames } = await import('../modules/registry.js');
        const m = getModule(o.module);
        if (!m) {
          const { didYouMean } = await import('../util/did-you-mean.js');
          const dym = didYouMean(o.module, moduleNames());
          throw new InputError(`--module ${o.module}: no such module${dym ? ` (did you mean '${dym}'?)` : ''}`, undefined, "'drover doc --list' lists the modules");
        }
        const { moduleArgsJsonSchema } = await import('../playbook/module-doc.js');
        schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://drover.invalid/schema/module/${m.name}.json`, title: `arguments of the ${m.name} module`, ...moduleArgsJsonSchema(m) };
      } else {
        const { playbookJsonSchema } = await import('../playbook/schema-export.js');
        schema = playbookJsonSchema();
      }
      const text = JSON.stringify(schema, null, 2) + '\n';
      if (o.output) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(o.output, text);
      } else process.stdout.write(text);
    });
}
