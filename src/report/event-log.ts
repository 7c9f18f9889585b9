import { openSync, writeSync, closeSync } from 'node:fs';
import type { EngineEvent, EventSink } from './events.js';

/**
 * JSON-lines event log (`--events FILE`): one line per task result plus play
 * and recap lines. Written synchronously so a killed run keeps every line it
 * reported; events arrive already redacted.
 */
export function eventLogSink(path: string): { sink: EventSink; close: () => void } {
  const fd = openSync(path, 'a', 0o600);
  const sink: EventSink = (e: EngineEvent) => {
    if (e.type === 'host_task_start') return;
    writeSync(fd, JSON.stringify({ ts: new Date().toISOString(), ...e }) + '\n');
  };
  return { sink, close: () => closeSync(fd) };
}
