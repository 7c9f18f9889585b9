/** `fail`: fail the host with a message (also in check mode, as Ansible does). */
import { z } from 'zod';
import { controllerModule } from './common/decided-in-plan.js';
import { registerModule } from './registry.js';

const schema = z.strictObject({
  msg: z.unknown().optional().describe('The failure message (default "Failed as requested from task").'),
});

export type FailArgs = z.infer<typeof schema>;

export const failModule = controllerModule<FailArgs>({
  name: 'fail',
  schema,
  freeForm: 'msg',
  async plan(_ctx, args) {
    const msg = args.msg === undefined ? 'Failed as requested from task' : typeof args.msg === 'string' ? args.msg : JSON.stringify(args.msg);
    // Decided in plan so check mode fails exactly where the real run would.
    return { changes: [], result: { changed: false, failed: true, msg } };
  },
});

registerModule(failModule);
