/**
 * lineinfile's editing, as pure functions over the file's text, following
 * Ansible's algorithm (ansible.builtin.lineinfile present()/absent()):
 * - regexp/search_string: the LAST matching line is replaced; when nothing
 *   matches, an exact copy of `line` anywhere means "already there";
 *   otherwise the line is inserted (insertafter/insertbefore, default EOF).
 * - backrefs: replace only when regexp matches, never insert.
 * Regexps are Python's (util/python-regex.ts), searched in each line with
 * its terminator, as Ansible does (so `$` sees a CRLF line's `\r`).
 */
import { expandMatch, pythonRegex } from '../../util/python-regex.js';


export interface LineInFileOptions {
  line?: string;
  regexp?: string;
  search_string?: string;
  state: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

export interface LineEditResult {
  text: string;
  changed: boolean;
  msg: string;
  /** Lines removed (state absent). */
  found?: number;
}

/** Split keeping each line's terminator (Python's readlines()). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const out = text.split(/(?<=\n)/);
  return out;
}

const strip = (l: string) => l.replace(/[\r\n]+$/, '');

export function editLines(text: string, o: LineInFileOptions): LineEditResult {
  return o.state === 'absent' ? absent(text, o) : present(text, o);
}

/** regexp (searched) or search_string (contained), against the raw line. */
function matcher(o: LineInFileOptions): ((l: string) => RegExpExecArray | boolean | null) | undefined {
  if (o.regexp !== undefined) {
    const re = pythonRegex(o.regexp);
    return (l) => re.exec(l);
  }
  if (o.search_string !== undefined) {
    const s = o.search_string;
    return (l) => l.includes(s);
  }
  return undefined;
}

/** Where to insert: insertafter (a regexp unless EOF/BOF) or insertbefore (a regexp unless BOF — `EOF` is a regexp there, as in Ansible). */
function insertionRegex(o: LineInFileOptions): RegExp | undefined {
  if (o.insertafter !== undefined && o.insertafter !== 'EOF' && o.insertafter !== 'BOF') return pythonRegex(o.insertafter);
  if (o.insertbefore !== undefined && o.insertbefore !== 'BOF') return pythonRegex(o.insertbefore);
  return undefined;
}

function present(text: string, o: LineInFileOptions): LineEditResult {
  if (o.line === undefined) throw new Error('line is required with state=present');
  const line = o.line;
  const lines = splitLines(text);
  const match = matcher(o);
  const sep = '\n';
  let index0 = -1;
  let index1 = -1;
  let found: RegExpExecArray | boolean | null = null;

  // 1. The regexp / search_string: the last matching line, or the first with firstmatch.
  if (match) {
    for (let i = 0; i < lines.length; i++) {
      const m = match(lines[i]!);
      if (m) {
        index0 = i;
        found = m;
        if (o.firstmatch) break;
      }
    }
  }
  // 2. Nothing matched: the line itself anywhere, else where to insert.
  const insRe = insertionRegex(o);
  if (!found) {
    for (let i = 0; i < lines.length; i++) {
      const cur = lines[i]!;
      if (strip(cur) === line) {
        index0 = i;
      } else if (insRe && insRe.test(cur)) {
        if (o.insertafter) {
          index1 = i + 1;
          if (o.firstmatch) break;
        }
        if (o.insertbefore) {
          index1 = i;
          if (o.firstmatch) break;
        }
      }
    }
  }

  const endsWithNewline = () => lines.length > 0 && /[\r\n]$/.test(lines[lines.length - 1]!);

  if (index0 !== -1) {
    let newLine = o.backrefs && found && typeof found !== 'boolean' ? expandMatch(line, found) : line;
    if (!newLine.endsWith(sep)) newLine += sep;
    if (lines[index0] !== newLine) {
      lines[index0] = newLine;
      return { text: lines.join(''), changed: true, msg: 'line replaced' };
    }
    return { text, changed: false, msg: '' };
  }
  if (o.backrefs) {
    // Without a match there is nothing to fill the backreferences from.
    return { text, changed: false, msg: '' };
  }
  if (o.insertbefore === 'BOF' || o.insertafter === 'BOF') {
    lines.unshift(line + sep);
    return { text: lines.join(''), changed: true, msg: 'line added' };
  }
  if (o.insertafter === 'EOF' || index1 === -1) {
    if (lines.length && !endsWithNewline()) lines.push(sep);
    lines.push(line + sep);
    return { text: lines.join(''), changed: true, msg: 'line added' };
  }
  if (o.insertafter) {
    // Not when the line is already right there.
    if (lines.length === index1) {
      if (strip(lines[index1 - 1]!) !== line) {
        // Ansible appends without terminating an unterminated last line, gluing the two; drover terminates it first.
        if (!endsWithNewline()) lines[lines.length - 1] += sep;
        lines.push(line + sep);
        return { text: lines.join(''), changed: true, msg: 'line added' };
      }
      return { text, changed: false, msg: '' };
    }
    if (strip(lines[index1]!) !== line) {
      lines.splice(index1, 0, line + sep);
      return { text: lines.join(''), changed: true, msg: 'line added' };
    }
    return { text, changed: false, msg: '' };
  }
  // insertbefore matched
  lines.splice(index1, 0, line + sep);
  return { text: lines.join(''), changed: true, msg: 'line added' };
}

function absent(text: string, o: LineInFileOptions): LineEditResult {
  const lines = splitLines(text);
  const match = matcher(o);
  if (!match && o.line === undefined) throw new Error('one of line, regexp or search_string is required with state=absent');
  const keep = lines.filter((l) => !(match ? match(l) : strip(l) === o.line));
  const found = lines.length - keep.length;
  return found
    ? { text: keep.join(''), changed: true, msg: `${found} line(s) removed`, found }
    : { text, changed: false, msg: '', found: 0 };
}
