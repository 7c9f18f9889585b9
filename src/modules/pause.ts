/**
 * `pause`: wait a number of seconds/minutes. No prompts: drover runs
 * unattended. Check mode does not wait (nothing on the host changes either way).
 */
import { z } from 'zod';
import { ansibleDelta, ansibleTime, num } from './command-common.js';
import { controllerModule } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';

const schema = z
  .strictObject({
    seconds: num.min(0).optional().describe('Seconds to wait.'),
    minutes: num.min(0).optional().describe('Minutes to wait.'),
    prompt: z.string().optional().describe('Not supported: drover does not read from the terminal.'),
    echo: z.boolean().optional().describe('Accepted for compatibility; ignored (no prompts).'),
  })
  .superRefine((a, ctx) => {
    if (a.prompt !== undefined) ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'pause: prompts are not supported (drover runs unattended); give seconds or minutes' });
    else if (a.seconds === undefined && a.minutes === undefined) ctx.addIssue({ code: 'custom', message: 'pause needs seconds or minutes (waiting for a key press is not supported)' });
  });

export type PauseArgs = z.infer<typeof schema>;

export function pauseMs(args: PauseArgs): number {
  return ((args.seconds ?? 0) + (args.minutes ?? 0) * 60) * 1000;
}

export const pauseModule = controllerModule<PauseArgs>({
  name: 'pause',
  doc: {
    short: 'Wait a number of seconds or minutes (no prompts: drover runs unattended).',
    examples: `
- name: Give a restarted service time to settle
  pause:
    seconds: 10
`,
  },
  schema,
  async plan(ctx, args) {
    const start = new Date();
    if (!ctx.check) await new Promise((r) => setTimeout(r, pauseMs(args)));
    const stop = new Date();
    return {
      changes: [],
      result: { changed: false, start: ansibleTime(start), stop: ansibleTime(stop), delta: ansibleDelta(stop.getTime() - start.getTime()), user_input: '', echo: true },
    };
  },
});

registerModule(pauseModule);
