import type { Vars } from '../playbook/types.js';
import { secretValues, type Redactor } from '../util/redact.js';

/** Values of secret-named variables (passwords, tokens…) are masked from now on (see secretValues). */
export function markSecretVars(redactor: Redactor, vars: Vars): void {
  for (const value of secretValues(vars)) redactor.add(value);
}
