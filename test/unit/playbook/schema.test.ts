import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { moduleNames } from '../../../src/modules/registry.js';

describe('drover schema', () => {
  it('writes a JSON Schema whose task variants come from every registered module', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'drover-schema-')), 'drover.schema.json');
    expect(await main(['node', 'drover', 'schema', '-o', out])).toBe(0);
    const schema = JSON.parse(readFileSync(out, 'utf8'));
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.items.anyOf.map((x: { $ref: string }) => x.$ref)).toEqual(['#/$defs/play', '#/$defs/import_playbook', '#/$defs/task']);
    const names = moduleNames();
    expect(names).toContain('file');
    for (const m of names) expect(schema.$defs[`args_${m}`], m).toBeDefined();
    // The file module's arguments, straight from its zod schema: state is an enum.
    const fileArgs = schema.$defs.args_file.anyOf[0];
    expect(fileArgs.properties.state.enum).toContain('directory');
    expect(fileArgs.properties.path.type).toBe('string');
    expect(fileArgs.additionalProperties).toBe(false); // strictObject: unknown arguments flagged by editors too
    const variants = schema.$defs.task.anyOf as Array<{ required: string[]; additionalProperties: boolean }>;
    expect(variants.some((v) => v.required[0] === 'ansible.builtin.copy')).toBe(true);
    expect(variants.some((v) => v.required[0] === 'block')).toBe(true);
    expect(schema.$defs.play.required).toEqual(['hosts']);
  });
});
