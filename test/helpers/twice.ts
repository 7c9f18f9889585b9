import { expect } from 'vitest';

/** Apply a text edit twice: the second application must change nothing. Returns the first. */
export function applyTwice<O, R extends { text: string; changed: boolean }>(edit: (text: string, o: O) => R, text: string, o: O): R {
  const first = edit(text, o);
  const second = edit(first.text, o);
  expect(second.changed, `second application changed:\n${second.text}`).toBe(false);
  expect(second.text).toBe(first.text);
  return first;
}
