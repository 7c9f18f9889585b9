/**
 * The run's selection flags checked against the playbook before any host is
 * contacted, so a typo is loud instead of a run that quietly does nothing:
 *
 * - `--start-at-task NAME` naming no task: an input error with a did-you-mean
 *   (Ansible prints an error after running nothing, and exits 0).
 * - `--limit` leaving every play without hosts: an input error in Ansible's
 *   words (Ansible errors when the limit matches no inventory host; drover
 *   also when it matches hosts no play targets).
 * - `--tags` / `--skip-tags` naming a tag no task carries: a warning naming it
 *   (Ansible says nothing); the run goes on, as the tag may be meant for
 *   another playbook.
 *
 * Tasks in dynamic includes (`include_tasks` with a templated file) are known
 * only at run time; as in Ansible, `--start-at-task` cannot start inside them.
 */
import type { Play, Vars } from '../playbook/types.js';
import type { Inventory } from '../inventory/types.js';
import { playHosts, walkNodes } from '../playbook/index.js';
import { taskTitle } from '../report/task-event.js';
import { didYouMean } from '../util/did-you-mean.js';
import { InputError } from '../util/errors.js';

/** Tag names with a meaning of their own: never "unknown". */
const SPECIAL_TAGS = new Set(['all', 'tagged', 'untagged', 'always', 'never']);

export interface SelectionFlags {
  limit?: string | undefined;
  tags?: string[] | undefined;
  skipTags?: string[] | undefined;
  startAtTask?: string | undefined;
}

/** Throws an InputError for a selection that can only be a mistake; returns warnings for the doubtful ones. */
export function checkSelection(plays: Play[], inventory: Inventory, extraVars: Vars, flags: SelectionFlags): string[] {
  const warnings: string[] = [];
  const nodes = plays.flatMap((p) => [...walkNodes([...p.preTasks, ...p.roleTasks, ...p.tasks, ...p.postTasks, ...p.handlers])]);
  const dynamic = nodes.some((n) => (n.kind === 'include_tasks' || n.kind === 'include_role') && !n.resolved);
  const note = dynamic ? ' (tasks in dynamic includes are known only at run time and were not searched)' : '';

  if (flags.limit !== undefined && flags.limit !== '') {
    const hosts = new Set(plays.flatMap((p) => playHosts(p, inventory, flags.limit, extraVars)));
    if (hosts.size === 0) {
      throw new InputError(`Specified hosts and/or --limit does not match any hosts: --limit ${JSON.stringify(flags.limit)} selects no host that a play of this playbook targets`);
    }
  }

  if (flags.startAtTask !== undefined) {
    const start = flags.startAtTask;
    const titles = new Set<string>();
    for (const p of plays) {
      for (const n of walkNodes([...p.preTasks, ...p.roleTasks, ...p.tasks, ...p.postTasks])) {
        if (n.kind !== 'task') continue;
        if (n.name !== undefined) titles.add(n.name);
        titles.add(taskTitle(n));
      }
    }
    if (!titles.has(start)) {
      const hint = didYouMean(start, titles, { fragments: true });
      throw new InputError(
        `--start-at-task ${JSON.stringify(start)}: no task has this name${note}`,
        undefined,
        hint ? `did you mean "${hint}"?` : 'name a task as the TASK [...] line shows it (a role\'s task as "role : name")',
      );
    }
  }

  const known = new Set<string>();
  for (const p of plays) for (const t of p.tags) known.add(t);
  for (const n of nodes) for (const t of n.tags) known.add(t);
  for (const [flag, given] of [
    ['--tags', flags.tags],
    ['--skip-tags', flags.skipTags],
  ] as const) {
    for (const tag of given ?? []) {
      if (SPECIAL_TAGS.has(tag) || known.has(tag)) continue;
      const hint = didYouMean(tag, known);
      warnings.push(
        `${flag} ${JSON.stringify(tag)}: no task in the playbook has this tag${hint ? ` (did you mean "${hint}"?)` : known.size ? ` (tags: ${[...known].sort().join(', ')})` : ' (no task has a tag)'}${note}`,
      );
    }
  }
  return warnings;
}
