import { expect } from 'vitest';
import { InputError } from '../../../src/util/errors.js';
import { formatPos } from '../../../src/util/source.js';

/** Run `fn`, expect an InputError at exactly `where` (file:line:col) whose message matches `msg`. */
export function expectInputError(fn: () => unknown, where: string, msg: RegExp): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  const err = checkInputError(caught, where, msg);
  expect(err.message.startsWith(where + ': ')).toBe(true);
  return err;
}

export async function expectInputErrorAsync(fn: () => Promise<unknown>, where: string, msg: RegExp): Promise<InputError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  return checkInputError(caught, where, msg);
}

function checkInputError(caught: unknown, where: string, msg: RegExp): InputError {
  expect(caught, 'expected an InputError').toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(formatPos(err.pos)).toBe(where);
  expect(err.message).toMatch(msg);
  return err;
}

/** The groups of the blog's three-machine inventory (INI and YAML alike). */
export const BLOG_GROUPS = {
  all: ['controller', 'compute1', 'compute2'],
  ungrouped: [],
  controller_nodes: ['controller'],
  compute_nodes: ['compute1', 'compute2'],
};
