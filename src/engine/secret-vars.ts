import type { Vars } from '../playbook/types.js';
import { isSecretName, type Redactor } from '../util/redact.js';

/** Values of secret-named variables (passwords, tokens…) are masked from now on; templates are masked once rendered. */
export function markSecretVars(redactor: Redactor, vars: Vars): void {
  for (const [name, value] of Object.entries(vars)) {
    if (isSecretName(name)) {
      if (!(typeof value === 'string' && value.includes('{{'))) redactor.add(value);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) markSecretVars(redactor, value as Vars);
  }
}
