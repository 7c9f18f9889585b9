/**
 * Differential: drover's to_yaml / to_nice_yaml (src/template/pyyaml-dump.ts)
 * against Ansible's own filters (PyYAML underneath), byte for byte — on the
 * cases in cases/to-yaml.yaml and on random values whose strings are made of
 * the characters YAML treats specially. Ansible is the oracle (installed by
 * scripts/test-setup.sh); in CI its absence is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILTERS } from '../../src/template/expression/filters.js';
import { renderText } from '../../src/template/render.js';
import { pythonFloatRepr } from '../../src/template/values.js';
import { loadYamlFile } from '../../src/util/yaml.js';
import { ansiblePython } from './modules/runner.js';

interface Case {
  value?: unknown;
  /** A Jinja template instead (values that share a list, which JSON cannot carry). */
  template?: string;
  filters?: string[];
  kwargs?: Record<string, unknown>;
}
type Call = { value?: unknown; filter?: string; kwargs?: Record<string, unknown>; template?: string };
type Outcome = { ok: true; text: string } | { ok: false; error: string };

function ansibleOutcomes(calls: Call[]): Outcome[] {
  const python = ansiblePython();
  if (!python) throw new Error('ansible-core is not installed (scripts/test-setup.sh installs it)');
  const r = spawnSync(python, [join(import.meta.dirname, 'ansible-to-yaml.py')], { input: JSON.stringify(calls), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`ansible-to-yaml.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

function droverOutcome(call: Call): Outcome {
  try {
    if (call.template !== undefined) return { ok: true, text: renderText(call.template, {}, 'case.j2') };
    return { ok: true, text: FILTERS[call.filter!]!(call.value, [], call.kwargs ?? {}, {}) as string };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

const cases = loadYamlFile(join(import.meta.dirname, 'cases', 'to-yaml.yaml')).value as Case[];
// Both sides get the value through JSON, as the oracle does.
const calls: Call[] = cases.flatMap((c): Call[] => (c.template !== undefined ? [{ template: c.template }] : (c.filters ?? ['to_yaml', 'to_nice_yaml']).map((filter) => ({ value: JSON.parse(JSON.stringify(c.value)), filter, kwargs: c.kwargs ?? {} }))));

const special = [' ', ' ', 'a', 'b', 'y', 'e', 's', '1', '0', '.', ':', '#', '-', '?', "'", '"', '\n', '\t', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '@', '~', '=', '<', 'é', '日', '😀', '\x01', '\u2028', '\xa0', '\\'];
const text = fc.string({ unit: fc.constantFrom(...special), maxLength: 24 });
const longText = fc.array(fc.constantFrom('word', 'x', 'a:b', 'é', 'long-word-here', '#', "it's"), { maxLength: 30 }).map((w) => w.join(' '));
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)));
const leaf = fc.oneof(text, longText, number, fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(text, fc.constantFrom('a', 'b', 'key')), tie('node'), { maxKeys: 4 }),
})).node;
const kwargs = fc.record({ indent: fc.integer({ min: 1, max: 10 }), width: fc.integer({ min: 10, max: 120 }) }, { requiredKeys: [] });

const canRun = ansiblePython() !== undefined || process.env.CI !== undefined;

describe.skipIf(!canRun)("to_yaml / to_nice_yaml: drover writes what Ansible's filters write", () => {
  const oracle = canRun ? ansibleOutcomes(calls) : [];
  calls.forEach((call, i) => {
    it(call.template ?? `${call.filter} ${JSON.stringify(call.value).slice(0, 70)} ${JSON.stringify(call.kwargs)}`, () => {
      const mine = droverOutcome(call);
      const theirs = oracle[i]!;
      if (theirs.ok) expect(mine).toEqual(theirs);
      else expect(mine.ok, `Ansible fails (${theirs.error}); drover must too`).toBe(false);
    });
  });

  it("numbers print as Python's repr() prints them (to_yaml and '{{ x }}' both use it)", () => {
    const xs = [...fc.sample(fc.double({ noNaN: true }), { numRuns: 3000, seed: 20261205 }), 0.1, 1e-5, 1e-4, 1e15, 2.5e15, 1e16, -777650602110866.2, 5e-324];
    const r = spawnSync(ansiblePython()!, ['-c', 'import json,sys; print(json.dumps([repr(float(x)) for x in json.load(sys.stdin)]))'], { input: JSON.stringify(xs.map(String)), encoding: 'utf8' });
    const python = JSON.parse(r.stdout) as string[];
    expect(xs.map((x) => pythonFloatRepr(x)).filter((text, i) => text !== python[i] && !Number.isSafeInteger(xs[i]))).toEqual([]);
  });

  it('random values: the same text, byte for byte', () => {
    const sample = fc.sample(fc.tuple(value, fc.constantFrom('to_yaml', 'to_nice_yaml'), kwargs), { numRuns: Number(process.env.DROVER_FUZZ_RUNS ?? 400), seed: Number(process.env.DROVER_FUZZ_SEED ?? 20261205) });
    const randomCalls: Call[] = sample.map(([v, filter, kw]) => ({ value: JSON.parse(JSON.stringify(v)), filter, kwargs: kw }));
    const theirs = ansibleOutcomes(randomCalls);
    const mismatches = randomCalls.filter((c, i) => JSON.stringify(droverOutcome(c)) !== JSON.stringify(theirs[i]));
    if (process.env.DROVER_FUZZ_DUMP) writeFileSync(process.env.DROVER_FUZZ_DUMP, JSON.stringify(mismatches));
    expect(mismatches.slice(0, 3).map((c) => ({ call: c, drover: droverOutcome(c), ansible: theirs[randomCalls.indexOf(c)] }))).toEqual([]);
  });
});
