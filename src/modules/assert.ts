/**
 * `assert`: every `that` expression must hold (evaluated with the same safe
 * expression language as `when`). Decided while planning, so check mode
 * fails exactly where the real run would (the engine honours plan.result.failed).
 */
import { z } from 'zod';
import { bool } from './common/args.js';
import { controllerModule } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';
import type { Plan, TaskContext } from './types.js';

const expr = z.union([z.string(), z.boolean()]);

const schema = z.strictObject({
  that: z.union([expr, z.array(expr).min(1)]).describe('Expressions that must all be true.'),
  fail_msg: z.unknown().optional().describe('Message when an assertion fails.'),
  msg: z.unknown().optional().describe('Alias of fail_msg.'),
  success_msg: z.unknown().optional().describe('Message when all assertions pass.'),
  quiet: bool.default(false).describe('Do not show the success message.'),
});

export type AssertArgs = z.infer<typeof schema>;

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Pure apart from ctx.evaluate: the first false expression fails the task. */
export function evaluateAssert(ctx: Pick<TaskContext, 'evaluate'>, args: AssertArgs): Plan {
  const that = Array.isArray(args.that) ? args.that : [args.that];
  for (const e of that) {
    // A YAML `true`/`false` is a literal, not an expression.
    const ok = typeof e === 'boolean' ? e : ctx.evaluate(e);
    if (!ok) {
      const failMsg = args.fail_msg ?? args.msg;
      const msg = failMsg === undefined ? `Assertion failed: ${String(e)}` : text(failMsg);
      // A failed result (not a throw): registered, and failed_when/ignore_errors still apply.
      return { changes: [], result: { changed: false, failed: true, msg, assertion: e, evaluated_to: false } };
    }
  }
  const msg = args.success_msg === undefined ? 'All assertions passed' : text(args.success_msg);
  return { changes: [], result: { changed: false, msg: args.quiet ? '' : msg, evaluated_to: true } };
}

export const assertModule = controllerModule<AssertArgs>({
  name: 'assert',
  doc: {
    short: 'Fail unless every given expression holds.',
    examples: `
- name: Check a value before using it
  assert:
    that:
      - http_port | int > 0
      - http_port | int < 65536
    fail_msg: "http_port must be a port number"
  vars:
    http_port: 8080
`,
  },
  schema,
  expressionArgs: ['that'],
  async plan(ctx, args) {
    return evaluateAssert(ctx, args);
  },
});

registerModule(assertModule);
