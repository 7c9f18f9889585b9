/**
 * Did check mode tell the truth? A check run's predictions against the real
 * run that followed it on the same hosts: what it predicted that the run did
 * not do, and what the run did that it neither predicted nor called unknown.
 * (`drover lab test` runs a check before its first converge.)
 */
import type { ChangedTask, RunSummary } from './api.js';

export interface PredictionMiss {
  /** Predicted to change; the run changed nothing there. */
  over: ChangedTask[];
  /** Changed in the run; check mode said it would not (it did not say "unknown"). */
  under: ChangedTask[];
}

const key = (t: ChangedTask) => `${t.host}\0${t.where}\0${t.task}`;

export function comparePrediction(check: Pick<RunSummary, 'changed' | 'unknown'>, run: Pick<RunSummary, 'changed'>): PredictionMiss {
  const predicted = new Set(check.changed.map(key));
  const unknown = new Set(check.unknown.map(key));
  const done = new Set(run.changed.map(key));
  return {
    over: check.changed.filter((t) => !done.has(key(t)) && !unknown.has(key(t))),
    under: run.changed.filter((t) => !predicted.has(key(t)) && !unknown.has(key(t))),
  };
}
