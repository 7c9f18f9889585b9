import { InputError } from '../util/errors.js';
import { limit, overLimit } from '../util/limits.js';
import type { SourcePos } from '../util/source.js';

/**
 * A host entry as written in an inventory: a name, possibly with ranges
 * (`web[01:03]`, `db-[a:c]`, `n[0:10:5]`) and a port (`host:2222`,
 * `[::1]:2222`). Returns the expanded names and the port, if any.
 * `pos` is where the entry starts; errors point at the offending character.
 */
export function expandHostEntry(entry: string, pos: SourcePos): { names: string[]; port?: number } {
  const at = (offset: number): SourcePos => ({ ...pos, col: pos.col + offset });
  // [IPv6]:port and bare IPv6 addresses (more than one colon, no ranges).
  const v6port = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(entry);
  if (v6port) return { names: [v6port[1]!], port: Number(v6port[2]) };
  if (/^[0-9a-fA-F:.]+$/.test(entry) && (entry.match(/:/g) ?? []).length >= 2) return { names: [entry] };

  let name = entry;
  let port: number | undefined;
  // host:port — the colon outside any [range].
  const colon = lastColonOutsideBrackets(entry);
  if (colon >= 0) {
    const p = entry.slice(colon + 1);
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) {
      throw new InputError(`bad port "${p}" in host "${entry}"`, at(colon + 1), 'write host:PORT with PORT a number from 1 to 65535');
    }
    port = Number(p);
    name = entry.slice(0, colon);
  }
  if (!name) throw new InputError(`host "${entry}" has no name`, pos);
  const count = rangeCount(name);
  if (count > limit('hostRange')) throw overLimit('hostRange', `host entry "${entry}" names ${count} hosts`, pos);
  return { names: expandRanges(name, 0, at), ...(port !== undefined ? { port } : {}) };
}

function lastColonOutsideBrackets(s: string): number {
  let depth = 0;
  let found = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']') depth--;
    else if (s[i] === ':' && depth === 0) found = i;
  }
  return found;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** How many names the ranges in `name` expand to, counted before expanding (a bad range counts 1: expanding reports it). */
function rangeCount(name: string): number {
  let n = 1;
  for (const m of name.matchAll(/\[([^\]:]*):([^\]:]*)(?::(\d+))?\]/g)) {
    const step = Math.max(1, Number(m[3] ?? 1));
    const [b, e] = [m[1] || '0', m[2]!];
    const span = /^\d+$/.test(b) && /^\d+$/.test(e) ? Number(e) - Number(b) : LETTERS.indexOf(e) - LETTERS.indexOf(b);
    if (span >= 0) n *= Math.floor(span / step) + 1;
  }
  return n;
}

function expandRanges(name: string, offset: number, at: (o: number) => SourcePos): string[] {
  const open = name.indexOf('[');
  if (open < 0) {
    if (name.includes(']')) throw new InputError(`unbalanced "]" in host "${name}"`, at(offset + name.indexOf(']')));
    return [name];
  }
  const close = name.indexOf(']', open);
  if (close < 0) throw new InputError(`unclosed "[" in host range "${name}"`, at(offset + open));
  const head = name.slice(0, open);
  const body = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const bodyAt = at(offset + open + 1);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new InputError(`host range "[${body}]" must be [BEGIN:END] or [BEGIN:END:STEP]`, bodyAt);
  }
  const beg = parts[0] || '0';
  const end = parts[1]!;
  const stepText = parts[2] ?? '1';
  if (!end) throw new InputError(`host range "[${body}]" has no end value`, bodyAt);
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new InputError(`host range "[${body}]" has a bad step "${stepText}"`, bodyAt);
  const step = Number(stepText);
  let seq: string[];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    // Leading zeros set the width: web[01:10] -> web01 … web10.
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && width !== end.length) throw new InputError(`host range "[${body}]": zero-padded BEGIN and END must have the same length`, bodyAt);
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new InputError(`host range "[${body}]" begins after it ends`, bodyAt);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(String(i).padStart(width, '0'));
  } else if (beg.length === 1 && end.length === 1 && LETTERS.includes(beg) && LETTERS.includes(end)) {
    const b = LETTERS.indexOf(beg);
    const e = LETTERS.indexOf(end);
    if (b > e) throw new InputError(`host range "[${body}]" begins after it ends`, bodyAt);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(LETTERS[i]!);
  } else {
    throw new InputError(`host range "[${body}]" must be numbers ([1:3], [01:10]) or single letters ([a:f])`, bodyAt);
  }
  const tails = expandRanges(tail, offset + close + 1, at);
  const out: string[] = [];
  for (const s of seq) for (const t of tails) out.push(head + s + t);
  return out;
}
