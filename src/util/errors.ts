import { formatPos, type SourcePos } from './source.js';

/** Exit statuses, as the README documents them. */
export const EXIT = {
  ok: 0,
  usage: 1,
  taskFailed: 2,
  unreachable: 3,
  invalidInput: 4,
  interrupted: 130,
} as const;

/**
 * Bad input: a playbook, inventory, template or argument that cannot be run.
 * Raised before any host is contacted; the CLI exits 4.
 */
export class InputError extends Error {
  readonly exitCode = EXIT.invalidInput;
  constructor(
    readonly detail: string,
    readonly pos?: SourcePos,
    readonly hint?: string,
  ) {
    super(`${pos ? formatPos(pos) + ': ' : ''}${detail}${hint ? ` (${hint})` : ''}`);
    this.name = 'InputError';
  }
}

/** Several input errors found in one validation pass, reported together. */
export class InputErrors extends Error {
  readonly exitCode = EXIT.invalidInput;
  constructor(readonly errors: InputError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'InputErrors';
  }
}

/**
 * Everything a check found, as a compiler lists it: each problem once, in
 * file:line:col order, at most `cap` of them and a line saying how many more.
 */
export function sortedInputErrors(errors: readonly InputError[], cap = 50): InputErrors {
  const seen = new Set<string>();
  const unique = errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
  const key = (e: InputError) => [e.pos?.file ?? '\uffff', e.pos?.line ?? 0, e.pos?.col ?? 0] as const;
  unique.sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa < fb ? -1 : fa > fb ? 1 : la - lb || ca - cb;
  });
  const shown = unique.slice(0, cap);
  if (unique.length > cap) shown.push(new InputError(`… and ${unique.length - cap} more errors`));
  return new InputErrors(shown);
}

/** A host could not be reached (connect, auth, host key, lost connection). */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** A remote command did not finish within its time budget. */
export class CommandTimeoutError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`command timed out after ${Math.round(timeoutMs / 1000)}s`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * A module failed on a host. Carries what an operator needs: the command that
 * failed and its stderr (both already redacted by whoever raises it).
 */
export class ModuleError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    readonly stderr?: string,
    readonly rc?: number,
    readonly stdout?: string,
  ) {
    super(message);
    this.name = 'ModuleError';
  }
}

export function isInputError(e: unknown): e is InputError | InputErrors {
  return e instanceof InputError || e instanceof InputErrors;
}
