/** runPlaybook in-process, with every event it emits collected. */
import { runPlaybook } from '../../src/engine/run.js';
import type { RunOptions } from '../../src/engine/api.js';
import type { EngineEvent, TaskResultEvent } from '../../src/report/events.js';

/** The run's summary, its events in order, and the task results among them. */
export async function runPlaybookCollecting(o: RunOptions) {
  const events: EngineEvent[] = [];
  const summary = await runPlaybook({ ...o, sinks: [...(o.sinks ?? []), (e) => events.push(e)] });
  return { summary, events, results: events.filter((e): e is TaskResultEvent => e.type === 'task_result') };
}
