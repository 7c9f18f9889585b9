/**
 * Python regular expressions, as Ansible's modules and filters take them
 * (lineinfile's regexp/insertafter, regex_search, `is match` …), compiled to a
 * JavaScript RegExp with the same meaning. The pattern is walked token by
 * token, so escapes and character classes are never rewritten by mistake:
 *
 * - `(?P<name>…)` and `(?P=name)` are JavaScript's `(?<name>…)` and `\k<name>`;
 * - `\A` and `\Z` are the start and end of the text;
 * - `$` is Python's: the end, or just before a final newline (every newline with (?m));
 * - leading global flags `(?i)`, `(?m)`, `(?s)` (and `(?a)`/`(?u)`, no-ops here) become RegExp flags.
 *
 * What JavaScript cannot express — verbose `(?x)`, scoped `(?i:…)` flags,
 * conditionals `(?(1)…)`, atomic groups and possessive quantifiers — is
 * refused with a PythonRegexError saying so, never silently changed.
 */
export class PythonRegexError extends Error {
  constructor(
    readonly pattern: string,
    detail: string,
  ) {
    super(`regular expression ${JSON.stringify(pattern)}: ${detail}`);
    this.name = 'PythonRegexError';
  }
}

export interface PythonRegexOptions {
  /** All matches (re.sub, findall): JavaScript's g flag. */
  global?: boolean;
  ignoreCase?: boolean;
  multiline?: boolean;
}

export function pythonRegex(pattern: string, opts: PythonRegexOptions = {}): RegExp {
  let rest = pattern;
  const flags = new Set<string>();
  if (opts.ignoreCase) flags.add('i');
  if (opts.multiline) flags.add('m');
  // Global inline flags: Python 3.11 accepts them only at the start.
  for (let m = /^\(\?([aiLmsux]+)\)/.exec(rest); m; m = /^\(\?([aiLmsux]+)\)/.exec(rest)) {
    for (const f of m[1]!) {
      if (f === 'x') throw new PythonRegexError(pattern, 'verbose mode (?x) cannot be translated; write the pattern without it');
      if (f === 'L') throw new PythonRegexError(pattern, '(?L) applies to bytes patterns only');
      if (f === 'i' || f === 'm' || f === 's') flags.add(f);
    }
    rest = rest.slice(m[0].length);
  }
  const multiline = flags.has('m');
  let js = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const next = rest[i + 1];
      if (next === undefined) throw new PythonRegexError(pattern, 'a trailing backslash');
      i++;
      if (next === 'A') js += '(?<![\\s\\S])';
      else if (next === 'Z') js += '(?![\\s\\S])';
      else js += '\\' + next;
    } else if (c === '[') {
      // A character class is copied as it is: ']' first is literal, escapes are skipped over.
      let j = i + 1;
      if (rest[j] === '^') j++;
      if (rest[j] === ']') j++;
      while (j < rest.length && rest[j] !== ']') j += rest[j] === '\\' ? 2 : 1;
      if (j >= rest.length) throw new PythonRegexError(pattern, 'an unterminated character set');
      js += rest.slice(i, j + 1).replace(/^\[(\^?)\]/, '[$1\\]');
      i = j;
    } else if (c === '$') {
      js += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
    } else if (c === '(' && rest[i + 1] === '?') {
      const group = rest.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\(\?P<([A-Za-z_]\w*)>/.exec(group))) {
        js += `(?<${m[1]}>`;
        i += m[0].length - 1;
      } else if ((m = /^\(\?P=([A-Za-z_]\w*)\)/.exec(group))) {
        js += `\\k<${m[1]}>`;
        i += m[0].length - 1;
      } else if (/^\(\?(:|=|!|<=|<!|#)/.test(group)) {
        if (group.startsWith('(?#')) {
          // A comment: dropped.
          const end = rest.indexOf(')', i);
          if (end < 0) throw new PythonRegexError(pattern, 'an unterminated comment');
          i = end;
        } else {
          js += '(?';
          i += 1;
        }
      } else if (/^\(\?[aiLmsux-]+:/.test(group)) {
        throw new PythonRegexError(pattern, 'scoped inline flags like (?i:…) cannot be translated; put the flag at the start: (?i)');
      } else if (/^\(\?[aiLmsux]+\)/.test(group)) {
        throw new PythonRegexError(pattern, 'inline flags are allowed only at the start of the expression');
      } else if (group.startsWith('(?(')) {
        throw new PythonRegexError(pattern, 'conditional groups (?(…)…) cannot be translated');
      } else if (group.startsWith('(?>')) {
        throw new PythonRegexError(pattern, 'atomic groups (?>…) cannot be translated');
      } else {
        throw new PythonRegexError(pattern, `unknown extension ${group.slice(0, 4)}`);
      }
    } else if ((c === '+' || c === '*' || c === '?' || c === '}') && rest[i + 1] === '+') {
      throw new PythonRegexError(pattern, 'possessive quantifiers (x++, x*+) cannot be translated');
    } else {
      js += c;
    }
  }
  const jsFlags = [...(opts.global ? ['g'] : []), ...['i', 'm', 's'].filter((f) => flags.has(f))].join('');
  try {
    return new RegExp(js, jsFlags);
  } catch (e) {
    throw new PythonRegexError(pattern, (e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** Python's match.expand(template): \1, \g<1>, \g<name>, and the \n \t \r \\ escapes. */
export function expandMatch(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([ntr\\]))/g, (_all, g: string | undefined, d: string | undefined, esc: string | undefined) => {
    if (esc) return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : '\\';
    const key = g ?? d!;
    const v = /^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key];
    return v ?? '';
  });
}
