/**
 * Differential: drover's YAML reader against ansible-core's own loader, on the
 * cases in cases/yaml-scalars.yaml. Ansible is the oracle (installed by
 * scripts/test-setup.sh); in CI its absence is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, InputErrors } from '../../src/util/errors.js';
import { loadYamlFile, parseYaml } from '../../src/util/yaml.js';

interface Case {
  doc: string;
  differs?: string;
}
type Tagged = { t: string; v?: unknown };
type Outcome = { ok: true; value: Tagged } | { ok: false; error: string };

const cases = loadYamlFile(join(import.meta.dirname, 'cases', 'yaml-scalars.yaml')).value as Case[];

/** The Python that runs ansible-playbook (its shebang), so the loader is importable whatever python3 is first on PATH. */
function ansiblePython(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const first = readFileSync(which.stdout.trim(), 'utf8').split('\n')[0]!;
  return /^#!\s*(\S+)/.exec(first)?.[1];
}

function ansibleOutcomes(texts: string[]): Outcome[] {
  const python = ansiblePython();
  if (!python) throw new Error('ansible-core is not installed (scripts/test-setup.sh installs it)');
  const r = spawnSync(python, [join(import.meta.dirname, 'ansible-yaml.py')], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ansible-yaml.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

/** drover's value in the oracle's tagged form (numbers as floats, non-finite ones as Python prints them). */
function tag(v: unknown): Tagged {
  if (v === null) return { t: 'null' };
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (typeof v === 'number') return { t: 'number', v: Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
  if (typeof v === 'string') return { t: 'str', v };
  if (Array.isArray(v)) return { t: 'list', v: v.map(tag) };
  return { t: 'map', v: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, tag(x)]) };
}

function droverOutcome(text: string): Outcome {
  try {
    return { ok: true, value: tag(parseYaml(text, '<case>').value) };
  } catch (e) {
    if (!(e instanceof InputError || e instanceof InputErrors)) throw e;
    return { ok: false, error: e.message };
  }
}

/** Dates: Python makes a date, which prints as the same text drover keeps. */
function sameAs(drover: Outcome, ansible: Outcome): boolean {
  const norm = (o: Outcome): unknown => (o.ok ? JSON.parse(JSON.stringify(o.value).replaceAll('"t":"timestamp"', '"t":"str"')) : 'error');
  return JSON.stringify(norm(drover)) === JSON.stringify(norm(ansible));
}

const canRun = ansiblePython() !== undefined || process.env.CI !== undefined;

describe.skipIf(!canRun)('YAML: drover reads what ansible-core reads', () => {
  const oracle = canRun ? ansibleOutcomes(cases.map((c) => c.doc)) : [];
  cases.forEach((c, i) => {
    it(`${JSON.stringify(c.doc)}${c.differs ? ' (known difference)' : ''}`, () => {
      const drover = droverOutcome(c.doc);
      const ansible = oracle[i]!;
      if (c.differs) expect(sameAs(drover, ansible), `marked as differing (${c.differs}) but now the same: remove the mark`).toBe(false);
      else expect(drover.ok ? drover.value : 'error', JSON.stringify(ansible)).toEqual(ansible.ok ? JSON.parse(JSON.stringify(ansible.value).replaceAll('"t":"timestamp"', '"t":"str"')) : 'error');
    });
  });
});
