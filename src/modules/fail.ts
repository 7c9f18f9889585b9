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
  doc: {
    short: 'Fail the host with a message.',
    examples: `
- name: Stop when a required variable is missing
  fail:
    msg: "set db_password (e.g. -e db_password=...)"
  when: db_password is not defined
`,
  },
  schema,
  freeForm: 'msg',
  async plan(_ctx, args) {
    const msg = args.msg === undefined ? 'Failed as requested from task' : typeof args.msg === 'string' ? args.msg : JSON.stringify(args.msg);
    // Decided in plan so check mode fails exactly where the real run would.
    return { changes: [], result: { changed: false, failed: true, msg } };
  },
});

registerModule(failModule);
