/**
 * `drover doc` shows each module's `doc.examples`: they must stay valid
 * playbook text. Every module's examples are loaded and validated here with
 * the real loader and validator (module arguments against the schema,
 * variables, controller-side files), so an example cannot rot.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { allModules } from '../../../src/modules/registry.js';
import type { Module } from '../../../src/modules/types.js';
import { loadInventory } from '../../../src/inventory/load.js';
import { loadPlaybook, validatePlaybook, walkNodes } from '../../../src/playbook/index.js';
import { moduleArgDocs } from '../../../src/playbook/module-doc.js';
import { isTemplated } from '../../../src/template/index.js';

const modules = allModules().sort((a, b) => a.name.localeCompare(b.name));

/** The examples as the tasks of a one-play playbook, with the controller files they name made (empty). */
function examplePlaybook(m: Module): string {
  const dir = mkdtempSync(join(tmpdir(), `drover-doc-${m.name}-`));
  const tasks = m.doc.examples.replace(/^\n+/, '').replace(/^/gm, '    ');
  const file = join(dir, 'site.yaml');
  writeFileSync(file, `- hosts: all\n  tasks:\n${tasks}\n`);
  // copy src, template src, include_vars file: looked up in files/, templates/, vars/ by the validator.
  for (const n of walkNodes(loadPlaybook(file).plays.flatMap((p) => p.tasks))) {
    if (n.kind !== 'task') continue;
    for (const lf of m.localFiles ?? []) {
      const v = (n.args as Record<string, unknown>)[lf.arg];
      if (typeof v !== 'string' || isTemplated(v)) continue;
      const p = join(dir, lf.kind, v);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, lf.content === 'vars' ? 'answer: 42\n' : '');
    }
  }
  return file;
}

describe('module documentation (drover doc)', () => {
  it.each(modules.map((m) => [m.name, m] as const))('%s: a summary, and examples that load and validate', async (_name, m) => {
    expect(m.doc.short).toMatch(/^[A-Z].{10,100}\.$/);
    const file = examplePlaybook(m);
    const pb = loadPlaybook(file);
    const tasks = [...walkNodes(pb.plays.flatMap((p) => p.tasks))].filter((n) => n.kind === 'task');
    expect(tasks.length).toBeGreaterThan(0);
    // Every example uses the module it documents (a follow-up debug is allowed).
    expect(tasks.some((t) => t.kind === 'task' && t.module === m.name)).toBe(true);
    const inventory = await loadInventory(['web1,']);
    expect(validatePlaybook(pb, inventory, {}).map((e) => e.message)).toEqual([]);
  });

  it('every argument is documented from the schema: type, and aliases folded into their argument', () => {
    const lineinfile = moduleArgDocs(modules.find((m) => m.name === 'lineinfile')!);
    const path = lineinfile.find((a) => a.name === 'path')!;
    expect(path).toMatchObject({ type: 'str', required: false, aliases: ['dest', 'destfile', 'name'] });
    expect(lineinfile.find((a) => a.name === 'dest')).toBeUndefined();
    expect(lineinfile.find((a) => a.name === 'state')).toMatchObject({ type: 'str', choices: ['present', 'absent'], default: 'present' });
    expect(lineinfile.find((a) => a.name === 'backrefs')).toMatchObject({ type: 'bool', default: false });
    const copy = moduleArgDocs(modules.find((m) => m.name === 'copy')!);
    expect(copy.find((a) => a.name === 'dest')).toMatchObject({ required: true, type: 'str' });
    // Behind a preprocess step (openssl_csr renames Ansible's aliases first) the arguments are still found.
    expect(moduleArgDocs(modules.find((m) => m.name === 'openssl_csr')!).map((a) => a.name)).toContain('privatekey_path');
    for (const m of modules) for (const a of moduleArgDocs(m)) expect(a.type, `${m.name}.${a.name}`).not.toBe('');
    // "(alias: x)" folds too (ini_file's dest).
    expect(moduleArgDocs(modules.find((m) => m.name === 'ini_file')!).find((a) => a.name === 'path')?.aliases).toEqual(['dest']);
  });

  it('every argument of every module has a description', () => {
    const missing = modules.flatMap((m) => moduleArgDocs(m).filter((a) => !a.description).map((a) => `${m.name}.${a.name}`));
    expect(missing).toEqual([]);
  });
});
