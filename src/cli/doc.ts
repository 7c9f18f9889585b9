import type { Command } from 'commander';
import { didYouMean } from '../util/did-you-mean.js';
import { InputError } from '../util/errors.js';
import type { Module } from '../modules/types.js';
import type { ArgDoc } from '../playbook/module-doc.js';

/**
 * `drover doc MODULE`, `drover doc --list`, `drover doc -s MODULE`: module
 * documentation on the command line, laid out like `ansible-doc`, generated
 * from the module's schema (arguments) and its `doc` (summary, examples).
 */
export function register(program: Command): void {
  program
    .command('doc')
    .description('show a module\'s documentation (arguments, defaults, choices, examples), like ansible-doc')
    .argument('[module...]', 'module name(s), e.g. lineinfile or ansible.builtin.copy')
    .option('-l, --list', 'list the modules with their summaries')
    .option('-s, --snippet', 'print a task snippet to paste into a playbook')
    .option('--json', 'the documentation as JSON')
    .action(async (names: string[], o: { list?: boolean; snippet?: boolean; json?: boolean }) => {
      await import('../modules/index.js');
      const { allModules, getModule, moduleNames } = await import('../modules/registry.js');
      const { moduleArgDocs } = await import('../playbook/module-doc.js');
      if (o.list || names.length === 0) {
        if (!o.list) throw new InputError('which module? give a name (drover doc lineinfile), or --list');
        const mods = allModules().sort((a, b) => a.name.localeCompare(b.name));
        if (o.json) {
          process.stdout.write(JSON.stringify(Object.fromEntries(mods.map((m) => [m.name, m.doc.short])), null, 2) + '\n');
          return;
        }
        const w = Math.max(...mods.map((m) => m.name.length));
        process.stdout.write(mods.map((m) => `${m.name.padEnd(w)}  ${m.doc.short}`).join('\n') + '\n');
        return;
      }
      const mods: Module[] = names.map((n) => {
        const m = getModule(n);
        if (m) return m;
        const dym = didYouMean(n, moduleNames(), { fragments: true });
        throw new InputError(`no module named '${n}'${dym ? ` (did you mean '${dym}'?)` : ''}`, undefined, "'drover doc --list' lists the modules");
      });
      const out: string[] = [];
      for (const m of mods) {
        const args = moduleArgDocs(m);
        if (o.json) out.push(JSON.stringify({ name: m.name, aliases: m.aliases ?? [], short: m.doc.short, freeForm: m.freeForm, runsOn: m.runsOn ?? 'target', options: args, examples: m.doc.examples.trim() + '\n' }, null, 2));
        else out.push(o.snippet ? snippet(m, args) : fullDoc(m, args));
      }
      process.stdout.write(out.join(o.json ? '\n' : '\n\n') + '\n');
    });
}

const INDENT = '        ';

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && indent.length + line.length + 1 + word.length > width) {
        lines.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(indent + line);
  }
  return lines;
}

/** A value as YAML shows it (Ansible's doc prints defaults that way). */
function shown(v: unknown): string {
  if (typeof v === 'string') return v === '' ? "''" : /^[\w./@:-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** The full page: like `ansible-doc MODULE`. */
export function fullDoc(m: Module, args: ArgDoc[]): string {
  const out: string[] = [];
  const also = [`ansible.builtin.${m.name}`, ...(m.aliases ?? [])];
  out.push(`> ${m.name.toUpperCase()}    (also: ${also.join(', ')})`, '');
  out.push(...wrap(m.doc.short, 80, INDENT));
  const notes: string[] = [];
  if (m.freeForm) notes.push(`Free form: a plain string after the module name is its \`${m.freeForm}\` (${m.name}: ls -l /tmp).`);
  else notes.push(`Arguments may also be written as one string of key=value pairs (${m.name}: key=value …).`);
  if (m.runsOn === 'controller') notes.push('Runs on the controller: needs no connection to the host.');
  out.push('', ...notes.flatMap((n) => wrap(n, 80, INDENT)));
  out.push('', 'OPTIONS (= is mandatory):', '');
  for (const a of args) {
    out.push(`${a.required ? '=' : '-'} ${a.name}`);
    if (a.description) out.push(...wrap(a.description, 80, INDENT));
    if (a.aliases.length) out.push(`${INDENT}aliases: [${a.aliases.join(', ')}]`);
    if (a.choices) out.push(`${INDENT}choices: [${a.choices.map(shown).join(', ')}]`);
    if (a.default !== undefined) out.push(`${INDENT}default: ${shown(a.default)}`);
    if (a.elements) out.push(`${INDENT}elements: ${a.elements}`);
    out.push(`${INDENT}type: ${a.type}`, '');
  }
  if (args.length === 0) out.push(...(m.schema.description ? [`- <any variable name>`, ...wrap(m.schema.description, 80, INDENT), `${INDENT}type: raw`] : [`${INDENT}(none)`]), '');
  out.push('EXAMPLES:', '', m.doc.examples.trim());
  return out.join('\n');
}

/** A task to paste: like `ansible-doc -s MODULE`. */
export function snippet(m: Module, args: ArgDoc[]): string {
  const out = [`- name: ${m.doc.short}`, `  ${m.name}:`];
  const col = 29;
  if (args.length === 0 && m.schema.description) out.push(`${'      VARIABLE: VALUE'.padEnd(col - 1)} # ${m.schema.description}`);
  for (const a of args) {
    const key = `      ${a.name}:`;
    const facts = [a.required ? '(required)' : '', a.description ?? '', a.choices ? `(Choices: ${a.choices.map(shown).join(', ')})` : '', a.default !== undefined ? `(default: ${shown(a.default)})` : '']
      .filter(Boolean)
      .join(' ');
    if (!facts) {
      out.push(key);
      continue;
    }
    const lines = wrap(facts, 80 - col - 2, '');
    out.push(`${key.padEnd(col - 1)} # ${lines[0]}`, ...lines.slice(1).map((l) => `${' '.repeat(col - 1)} # ${l}`));
  }
  return out.join('\n');
}
