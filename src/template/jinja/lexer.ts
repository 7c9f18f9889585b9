/**
 * Jinja2 templates, step one: text into data and tags, as Jinja's lexer does
 * with Ansible's settings: `{{ }}` `{% %}` `{# #}`, whitespace control (`-`
 * strips, `+` keeps), trim_blocks on (the first newline after a block or
 * comment tag is dropped), lstrip_blocks off unless asked, newlines
 * normalized to \n, one trailing newline dropped (keep_trailing_newline off),
 * `{% raw %}` kept verbatim. A tag ends at the first `}}`/`%}` outside
 * strings and brackets, as in Jinja.
 */
import { ParseFail } from '../expression/lexer.js';

export type Segment =
  | { type: 'text'; value: string; start: number }
  /** An expression or statement: the text between the delimiters is source[from, to). */
  | { type: 'var' | 'block'; from: number; to: number; start: number };

export interface LexOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  /** Playbook strings: backslashes in string literals inside `{{ }}` are literal (Ansible's _escape_backslashes). */
  escapeBackslashes?: boolean;
}

const OPEN = /\{([{%#])/g;

/** Source with \r\n and \r as \n, one trailing newline dropped: what Jinja reads. */
export function jinjaSource(text: string): string {
  const normalized = text.replace(/\r\n?/g, '\n');
  return normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
}

export function lexTemplate(source: string, opts: LexOptions = {}): Segment[] {
  const trimBlocks = opts.trimBlocks ?? true;
  const lstripBlocks = opts.lstripBlocks ?? false;
  const out: Segment[] = [];
  let pos = 0;
  /** How the text after the last tag starts: '-' strips whitespace, 'nl' drops one newline. */
  let lead: 'none' | 'strip' | 'nl' = 'none';

  const pushText = (from: number, to: number, trail: 'none' | 'strip' | 'lstrip') => {
    let text = source.slice(from, to);
    let start = from;
    if (lead === 'strip') {
      const kept = text.replace(/^\s+/, '');
      start += text.length - kept.length;
      text = kept;
    } else if (lead === 'nl' && text.startsWith('\n')) {
      text = text.slice(1);
      start += 1;
    }
    if (trail === 'strip') text = text.replace(/\s+$/, '');
    else if (trail === 'lstrip') text = text.replace(/(^|\n)[ \t]+$/, '$1');
    if (text) out.push({ type: 'text', value: text, start });
  };

  for (;;) {
    OPEN.lastIndex = pos;
    const m = OPEN.exec(source);
    if (!m) break;
    const at = m.index;
    const kind = m[1]!;
    const after = at + 2;
    const control = source[after];
    const stripBefore = control === '-';
    const keepBefore = control === '+';
    const bodyFrom = stripBefore || keepBefore ? after + 1 : after;
    const lstrip = lstripBlocks && kind !== '{' && !keepBefore;
    if (kind === '#') {
      const end = source.indexOf('#}', bodyFrom);
      if (end < 0) throw new ParseFail('unclosed comment: expected #}', at);
      pushText(pos, at, stripBefore ? 'strip' : lstrip ? 'lstrip' : 'none');
      const stripAfter = source[end - 1] === '-';
      lead = stripAfter ? 'strip' : trimBlocks ? 'nl' : 'none';
      pos = end + 2;
      continue;
    }
    const closer = kind === '{' ? '}}' : '%}';
    const end = findClose(source, bodyFrom, closer, at);
    pushText(pos, at, stripBefore ? 'strip' : lstrip ? 'lstrip' : 'none');
    const mark = source[end - 1];
    const bodyTo = mark === '-' || (mark === '+' && kind === '%') ? end - 1 : end;
    pos = end + 2;
    if (kind === '{') {
      out.push({ type: 'var', from: bodyFrom, to: bodyTo, start: at });
      lead = mark === '-' ? 'strip' : 'none';
      continue;
    }
    lead = mark === '-' ? 'strip' : mark === '+' || !trimBlocks ? 'none' : 'nl';
    if (/^\s*raw\s*$/.test(source.slice(bodyFrom, bodyTo))) {
      const endRaw = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
      endRaw.lastIndex = pos;
      const r = endRaw.exec(source);
      if (!r) throw new ParseFail("unclosed 'raw': expected {% endraw %}", at);
      // The raw text is data: no tags inside it are read.
      pushText(pos, r.index, r[1] === '-' ? 'strip' : 'none');
      lead = r[2] === '-' ? 'strip' : r[2] === '+' || !trimBlocks ? 'none' : 'nl';
      pos = r.index + r[0].length;
      continue;
    }
    out.push({ type: 'block', from: bodyFrom, to: bodyTo, start: at });
  }
  pushText(pos, source.length, 'none');
  return out;
}

/** The offset of the closing delimiter of a tag opened at `open`, skipping strings and brackets. */
function findClose(source: string, from: number, closer: string, open: number): number {
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      if (j >= source.length) break; // an unterminated string: reported as an unclosed tag
      i = j;
      continue;
    }
    if (depth === 0) {
      if (source.startsWith(closer, i)) return i;
      if ((c === '-' || c === '+') && source.startsWith(closer, i + 1)) return i + 1;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
  }
  throw new ParseFail(`unclosed tag: expected ${closer}`, open);
}
