import { limitHosts } from '../inventory/patterns.js';
import type { Inventory } from '../inventory/types.js';
import { isTemplated, renderString } from '../template/index.js';
import { keywordPos } from './context.js';
import type { Play, Vars } from './types.js';

/**
 * The hosts a play targets, for `drover check` and the run alike: `hosts:`
 * rendered with the extra vars (all Ansible has at that point), selected from
 * the inventory, then `--limit` (a pattern or `@file`) applied. A bad pattern
 * is an InputError at `hosts:`.
 */
export function playHosts(play: Play, inventory: Inventory, limit?: string, extraVars: Vars = {}): string[] {
  const pos = keywordPos(play, 'hosts');
  const pattern = isTemplated(play.hosts) ? String(renderString(play.hosts, extraVars, pos)) : play.hosts;
  return limitHosts(inventory, inventory.select(pattern, pos), limit);
}
