/**
 * `set_fact`: every key becomes a host variable (result.facts; the engine
 * merges them at registered/set_fact precedence). `cacheable` is accepted and
 * ignored: drover keeps no fact cache between runs.
 */
import { z } from 'zod';
import { controllerModule } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';
import { isVarName } from '../util/var-names.js';

const schema = z
  .record(z.string(), z.unknown())
  .superRefine((a, ctx) => {
    const keys = Object.keys(a).filter((k) => k !== 'cacheable');
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'set_fact needs at least one variable' });
    for (const k of keys) {
      if (!isVarName(k)) ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" is not a valid variable name` });
    }
  })
  .describe('Variables to set on the host.');

export type SetFactArgs = Record<string, unknown>;

export function factsOf(args: SetFactArgs): Record<string, unknown> {
  const { cacheable: _ignored, ...facts } = args;
  return facts;
}

export const setFactModule = controllerModule<SetFactArgs>({
  name: 'set_fact',
  doc: {
    short: 'Set host variables for the tasks that follow.',
    examples: `
- name: Compute a value once
  set_fact:
    app_url: "http://{{ inventory_hostname }}:8080"
    app_workers: 4
`,
  },
  schema,
  // Every argument but `cacheable` is a variable it sets.
  definesVars: (args) => Object.keys(args).filter((k) => k !== 'cacheable'),
  async plan(_ctx, args) {
    const facts = factsOf(args);
    return { changes: [], result: { changed: false, facts, ansible_facts: facts } };
  },
});

registerModule(setFactModule);
