/**
 * `setup`: gather the host's facts (one round trip) as a task, so a play with
 * `gather_facts: false` can still ask for them. `filter` keeps only facts whose
 * name matches one of the globs (Ansible's `ansible_eth*` style).
 */
import { z } from 'zod';
import { gatherFacts } from '../facts/gather.js';
import { num } from './command-common.js';
import { nothingToApply } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const strList = z.union([z.string(), z.array(z.string())]);

const schema = z.strictObject({
  filter: strList.optional().describe('Only facts whose name matches one of these globs (e.g. ansible_eth*).'),
  gather_subset: strList.optional().describe('Accepted for compatibility: drover always gathers its one fact set.'),
  gather_timeout: num.optional().describe('Accepted for compatibility: the task timeout applies.'),
  fact_path: z.string().optional().describe('Accepted for compatibility: local facts are not read.'),
});

export type SetupArgs = z.infer<typeof schema>;

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** Pure: keep the facts matching the filter globs (flat names and their ansible_facts twins). */
export function filterFacts(facts: Record<string, unknown>, filter: string | string[] | undefined): Record<string, unknown> {
  const globs = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
  if (globs.length === 0 || globs.includes('*')) return facts;
  const res = globs.map(globToRegExp);
  const flat: Record<string, unknown> = {};
  const nested: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) {
    if (k === 'ansible_facts' || !res.some((r) => r.test(k))) continue;
    flat[k] = v;
    nested[k.replace(/^ansible_/, '')] = v;
  }
  return { ...flat, ansible_facts: nested };
}

export const setupModule: Module<SetupArgs> = {
  name: 'setup',
  doc: {
    short: "Gather the host's facts (ansible_* variables) as a task.",
    examples: `
- name: Gather only the network facts
  setup:
    gather_subset: [network]

- name: Keep only some facts
  setup:
    filter: "ansible_distribution*"
`,
  },
  aliases: ['gather_facts', 'ansible.builtin.gather_facts'],
  schema,
  gathersFacts: true,
  async plan(ctx, args) {
    const facts = filterFacts(await gatherFacts((cmd) => ctx.exec(cmd)), args.filter);
    return { changes: [], result: { changed: false, facts, ansible_facts: facts.ansible_facts } };
  },
  apply: nothingToApply,
};

registerModule(setupModule);
