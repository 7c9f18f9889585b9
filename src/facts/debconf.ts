/**
 * A debconf question's stored answer, read from debconf's own database files
 * in one command (passwords.dat too, so a password answer is compared, not
 * re-set every run). Read on every use: installing a package changes it.
 */
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';

/** Prints the question's stanza from config.dat and passwords.dat (pure). */
export function debconfReadCommand(question: string): string {
  return `for f in /var/cache/debconf/config.dat /var/cache/debconf/passwords.dat; do [ -r "$f" ] && awk -v q=${shq(question)} 'BEGIN{RS=""} index($0, "Name: " q "\\n") == 1 {print; print ""}' "$f"; done; true`;
}

/** The Value of the question (undefined: never set). The passwords.dat stanza wins. */
export function parseDebconfValue(stdout: string): string | undefined {
  let value: string | undefined;
  for (const stanza of stdout.split(/\n\s*\n/)) {
    const m = /^Value: ?(.*)$/m.exec(stanza);
    if (m) value = m[1];
  }
  return value;
}

/** `debconf.question` (key: the question): its stored value, null when never set. */
export const debconfValueFact: Fact<{ question: string }, string | null> = {
  name: 'debconf.question',
  key: (p) => p.question,
  command: (p) => debconfReadCommand(p.question),
  cached: false,
  parse(r, p) {
    if (r.rc !== 0) throw new ModuleError(`reading debconf failed: ${r.stderr.trim()}`, debconfReadCommand(p.question), r.stderr, r.rc);
    return parseDebconfValue(r.stdout) ?? null;
  },
};
