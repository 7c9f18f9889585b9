import path from 'node:path';
import { InputError, InputErrors } from '../util/errors.js';
import { newPlayBuild, type LoadContext, type TaskScope } from './context.js';
import { expandRoleRef } from './roles.js';
import { includeOrigin, loadTaskFile, resolveTaskFile } from './tasks.js';
import type { IncludeNode, Node } from './types.js';
import { existsSync } from 'node:fs';
import { limit, overLimit } from '../util/limits.js';
import { displayPath } from '../util/source.js';

/**
 * Run-time side of `include_tasks` / `include_role` whose target is a
 * template: the engine renders the target per host and asks for the nodes.
 * Resolved exactly as a literal target would have been at load time.
 * Synchronous; throws InputError(s) for a missing or invalid file/role.
 * (Handlers of a role included this way are not added to the play.)
 */
export function loadIncludedTasks(node: IncludeNode, target: string): Node[] {
  const origin = includeOrigin(node);
  const scope: TaskScope = origin?.scope ?? { file: path.resolve(node.pos.file), baseDir: node.baseDir, importStack: [], ...(node.role ? { role: node.role } : {}) };
  const ctx: LoadContext = { rolesPath: origin?.rolesPath ?? [], errors: [] };
  const build = newPlayBuild(scope.baseDir);
  let nodes: Node[] = [];
  if (node.kind === 'include_tasks') {
    const candidates = resolveTaskFile(target, scope);
    const file = candidates.find((c) => existsSync(c));
    if (!file) throw new InputError(`include_tasks: file not found: ${target}`, node.pos, `looked in ${candidates.map(displayPath).join(', ')}`);
    // A file that is already being included would include itself again, without end.
    const chain = [...scope.importStack, file];
    if (scope.importStack.includes(file)) throw new InputError(`include_tasks: an include cycle: ${chain.map(displayPath).join(' -> ')}`, node.pos);
    if (chain.length > limit('includeDepth')) throw overLimit('includeDepth', `include_tasks: ${chain.length} files deep`, node.pos);
    nodes = loadTaskFile(file, node.pos, ctx, { ...scope, importStack: [...scope.importStack, file] }, build);
  } else {
    nodes = expandRoleRef({ name: target, pos: node.pos, params: {}, when: [], tags: [], tasksFrom: node.tasksFrom }, ctx, build, [], { dedupe: false });
  }
  if (ctx.errors.length === 1) throw ctx.errors[0]!;
  if (ctx.errors.length) throw new InputErrors(ctx.errors);
  return nodes;
}
