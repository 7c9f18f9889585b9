import { FactCache } from '../facts/cache.js';
import type { Vars } from '../playbook/types.js';
import type { HostTally } from '../report/events.js';
import { emptyTally } from '../report/tally.js';
import { ReadAhead } from './read-ahead.js';

/** Everything the engine knows about one host during a run. */
export class HostState {
  readonly factCache = new FactCache();
  /** File states read ahead for the next tasks (read-ahead.ts). */
  readonly readAhead = new ReadAhead();
  /** Gathered facts (ansible_* and ansible_facts). */
  facts: Vars = {};
  factsGathered = false;
  /** set_fact, include_vars and registered results: live for the whole run. */
  runtimeVars: Vars = {};
  /** Handler names (or listen topics) notified on this host and not yet run. */
  notified = new Set<string>();
  /** Check mode: those notified by a task predicted to change (not only by tasks check mode could not predict). */
  notifiedSurely = new Set<string>();
  /** Registered names whose value check mode could not know (their readers report unknown). */
  unknownVars = new Set<string>();
  /** Check mode: an earlier task on this host would change something, so later reads of the host may differ. */
  predictedChange = false;
  /**
   * Check mode: a task that defines variables (include_vars of a file not there yet,
   * set_fact) could not be predicted, so a variable undefined here may be defined
   * in the real run: a task that reads one is unknown, not failed.
   */
  varsIncomplete = false;
  failed = false;
  unreachable = false;
  /** Ended by meta: end_host (for the current play only). */
  ended = false;
  tally: HostTally = emptyTally();

  constructor(readonly name: string) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
