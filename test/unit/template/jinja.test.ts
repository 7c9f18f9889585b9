/** Jinja2 rendering cases (cases/jinja.yaml): templates, playbook-string typing, positioned errors. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderString, renderText } from '../../../src/template/index.js';
import { loadYamlFile } from '../../../src/util/yaml.js';

interface Case {
  name: string;
  text?: string;
  string?: string;
  file?: string;
  vars?: Record<string, unknown>;
  expect?: unknown;
  error?: string;
}

const cases = loadYamlFile(join(import.meta.dirname, 'cases/jinja.yaml')).value as Case[];

describe('Jinja2', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const render = () =>
      c.text !== undefined ? renderText(c.text, c.vars ?? {}, c.file ?? 't.j2') : renderString(c.string!, c.vars ?? {}, { file: 'p.yaml', line: 1, col: 1 });
    if (c.error !== undefined) {
      expect(render).toThrow(new RegExp(c.error));
      return;
    }
    expect(render()).toEqual(c.expect);
  });
});
