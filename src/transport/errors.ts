import { ModuleError } from '../util/errors.js';

/**
 * Becoming another user failed (wrong sudo password, user not in sudoers,
 * sudo needs a password none was given). Not retryable: retrying a wrong
 * password only locks the account. The engine reports it as a task failure.
 */
export class BecomeError extends ModuleError {
  constructor(
    readonly host: string,
    readonly becomeUser: string,
    message: string,
    stderr?: string,
  ) {
    super(message, undefined, stderr);
    this.name = 'BecomeError';
  }
}
