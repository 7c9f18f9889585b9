/**
 * What Ansible accepts as a variable name (vars:, set_fact, register,
 * loop_var, -e, include_vars name): a Python identifier that is not a Python
 * keyword. drover takes the ASCII identifiers; `app-port` or `class` is refused
 * where Ansible refuses it, not discovered later as an undefined variable.
 */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield',
]);

export const VAR_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const IDENT = new RegExp(VAR_NAME_PATTERN);

export function isVarName(name: string): boolean {
  return IDENT.test(name) && !PYTHON_KEYWORDS.has(name);
}
