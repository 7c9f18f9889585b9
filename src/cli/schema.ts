import type { Command } from 'commander';

/** `drover schema [-o FILE]`: JSON Schema of playbooks and task files, from the module schemas. */
export function register(program: Command): void {
  program
    .command('schema')
    .description('write a JSON Schema for playbooks and task files (for editor completion)')
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .action(async (o: { output?: string }) => {
      await import('../modules/index.js');
      const { playbookJsonSchema } = await import('../playbook/schema-export.js');
      const text = JSON.stringify(playbookJsonSchema(), null, 2) + '\n';
      if (o.output) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(o.output, text);
      } else process.stdout.write(text);
    });
}
