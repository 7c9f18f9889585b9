/**
 * lineinfile's editing, as pure functions over the file's text, following
 * Ansible's algorithm (ansible.builtin.lineinfile present()/absent()):
 * - regexp/search_string: the LAST matching line is replaced; when nothing
 *   matches, an exact copy of `line` anywhere means "already there";
 *   otherwise the line is inserted (insertafter/insertbefore, default EOF).
 * - backrefs: replace only when regexp matches, never insert.
 * Regexps are JavaScript's; Python's (?P<name>…) groups and \g<1> references
 * are translated.
 */

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

/** Translate Python regexp syntax that JavaScript spells differently. */
export function pythonRegExp(source: string): RegExp {
  const js = source.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
  try {
    return new RegExp(js, 'u');
  } catch {
    // Some valid non-unicode patterns (e.g. "\-") are rejected by the u flag.
    return new RegExp(js);
  }
}

/** Python's match.expand(template): \1, \g<1>, \g<name>, and \n \t escapes. */
export function expandBackrefs(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([ntr\\]))/g, (_all, g: string | undefined, d: string | undefined, esc: string | undefined) => {
    if (esc) return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : '\\';
    const key = g ?? d!;
    const v = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    return v ?? '';
  });
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

function matcher(o: LineInFileOptions): ((l: string) => RegExpExecArray | boolean | null) | undefined {
  if (o.regexp !== undefined) {
    const re = pythonRegExp(o.regexp);
    return (l) => re.exec(strip(l));
  }
  if (o.search_string !== undefined) {
    const s = o.search_string;
    return (l) => l.includes(s);
  }
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
  let exact = false;

  if (match) {
    for (let i = 0; i < lines.length; i++) {
      const m = match(lines[i]!);
      if (m) {
        index0 = i;
        found = m;
      }
    }
  }
  const insRe = o.insertafter && o.insertafter !== 'EOF' && o.insertafter !== 'BOF'
    ? pythonRegExp(o.insertafter)
    : o.insertbefore && o.insertbefore !== 'BOF' && o.insertbefore !== 'EOF'
      ? pythonRegExp(o.insertbefore)
      : undefined;
  if (!found) {
    for (let i = 0; i < lines.length; i++) {
      const cur = lines[i]!;
      if (strip(cur) === line) {
        index0 = i;
        exact = true;
      } else if (insRe && insRe.test(strip(cur))) {
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
    let newLine = o.backrefs && found && typeof found !== 'boolean' ? expandBackrefs(line, found) : line;
    if (!newLine.endsWith(sep)) newLine += sep;
    if (lines[index0] !== newLine) {
      lines[index0] = newLine;
      return { text: lines.join(''), changed: true, msg: exact ? 'line replaced' : 'line replaced' };
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
    if (lines.length === index1) {
      // Inserting after the last line: make sure it is terminated first.
      if (!endsWithNewline()) lines[lines.length - 1] += sep;
      if (strip(lines[index1 - 1]!) !== line) {
        lines.push(line + sep);
        return { text: lines.join(''), changed: true, msg: 'line added' };
      }
      return { text: lines.join(''), changed: lines.join('') !== text, msg: '' };
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
