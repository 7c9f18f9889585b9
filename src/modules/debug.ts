/**
 * `debug`: show a message (`msg`, already rendered by the engine) or a
 * variable (`var: result.stdout_lines`). Runs on the controller, never changes.
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { num } from './command-common.js';
import { controllerModule } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';
import type { TaskContext } from './types.js';

const schema = z
  .strictObject({
    msg: z.unknown().optional().describe('The message (any value; default "Hello world!").'),
    var: z.string().optional().describe('A variable name or path to show, e.g. result.stdout_lines.'),
    verbosity: num.optional().describe('Show the message only at this -v level or above; below it the task is skipped (as in Ansible).'),
  })
  .refine((a) => !(a.msg !== undefined && a.var !== undefined), { message: 'msg and var are mutually exclusive' });

export type DebugArgs = z.infer<typeof schema>;

/** Ansible's text for a missing variable. */
export const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

/**
 * Look up `a.b[0]['c']` in vars. Returns `found: false` when any step is
 * missing; throws InputError for a path it cannot parse.
 */
export function lookupPath(vars: Readonly<Record<string, unknown>>, path: string): { found: boolean; value?: unknown } {
  const steps: Array<string | number> = [];
  const re = /^\s*([A-Za-z_][A-Za-z0-9_]*)|\.([A-Za-z_][A-Za-z0-9_]*|\d+)|\[\s*(\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]/y;
  let i = 0;
  while (i < path.trim().length) {
    re.lastIndex = i;
    const m = re.exec(path.trim());
    if (!m || (i === 0 && m[1] === undefined) || (i > 0 && m[1] !== undefined)) {
      throw new InputError(`debug: cannot read variable path ${JSON.stringify(path)} (use a.b, a[0] or a['key'])`);
    }
    const step = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]!;
    steps.push(m[3] !== undefined ? Number(m[3]) : step);
    i = re.lastIndex;
  }
  let cur: unknown = vars;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return { found: false };
    const key = Array.isArray(cur) && typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : s;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return { found: cur !== undefined, value: cur };
}

export function debugResult(ctx: Pick<TaskContext, 'vars'>, args: DebugArgs): Record<string, unknown> {
  if (args.var !== undefined) {
    const v = lookupPath(ctx.vars, args.var);
    return { changed: false, [args.var]: v.found ? v.value : NOT_DEFINED };
  }
  return { changed: false, msg: args.msg === undefined ? 'Hello world!' : args.msg };
}

export const debugModule = controllerModule<DebugArgs>({
  name: 'debug',
  doc: {
    short: "Print a message or a variable's value.",
    examples: `
- name: Print a message
  debug:
    msg: "This host is {{ inventory_hostname }}"

- name: Print a variable (its path, not a template)
  debug:
    var: ansible_play_hosts

- name: Print only at -vv
  debug:
    msg: a detail
    verbosity: 2
`,
  },
  schema,
  expressionArgs: ['var'],
  undefinedAllowedArgs: ['var'],
  // Ansible's default callback shows debug's msg (or the variable) alone, at every verbosity.
  display: ({ changed: _c, failed: _f, skipped: _s, ...shown }) => shown,
  async plan(ctx, args) {
    if (args.verbosity !== undefined && Number(ctx.vars.ansible_verbosity ?? 0) < args.verbosity) {
      return { changes: [], result: { changed: false, skipped: true, skipped_reason: 'Verbosity threshold not met.' } };
    }
    return { changes: [], result: debugResult(ctx, args) };
  },
});

registerModule(debugModule);
