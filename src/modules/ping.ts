/**
 * `ping`: one round trip proving the target's shell answers. Never changes,
 * so it also runs in check mode.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { nothingToApply } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  data: z.string().default('pong').describe('What `ping` returns; "crash" makes the task fail (as in Ansible).'),
});

export type PingArgs = z.infer<typeof schema>;

export const pingModule: Module<PingArgs> = {
  name: 'ping',
  doc: {
    short: 'Check that the host answers: one round trip to its shell.',
    examples: `
- name: Is the host there?
  ping:
`,
  },
  schema,
  async plan(ctx, args) {
    const r = await ctx.exec('echo pong');
    if (r.rc !== 0 || r.stdout.trim() !== 'pong') {
      throw new ModuleError(`ping: the shell did not answer "pong" (rc ${r.rc})`, 'echo pong', r.stderr, r.rc);
    }
    if (args.data === 'crash') throw new ModuleError('boom (ping data=crash)');
    return { changes: [], result: { changed: false, ping: args.data } };
  },
  apply: nothingToApply,
};

registerModule(pingModule);
