/**
 * Shell words as Ansible splits them: Python's `shlex.split(text, comments)`
 * in POSIX mode, the rule behind a `command` line, `ansible_ssh_*_args` and
 * an INI inventory host line. Whitespace is space, tab, CR and LF; '…' is
 * literal; in "…" a backslash escapes only `"` and `\` (and is kept before
 * anything else); outside quotes a backslash makes the next character
 * literal; quoted parts join the word they touch; `''` is an empty word;
 * with `comments`, `#` ends the line, even inside a word. No expansion of
 * any kind. An unclosed quote or a trailing backslash is an error, as in
 * Python.
 *
 * Ansible's `k=v` splitting is a different rule (quotes kept, `{{ }}` held
 * together): kvWords, below.
 */

export interface ShellWord {
  text: string;
  /** 0-based index in the input where the word starts (its first quote or character). */
  col: number;
}

/** Why a text cannot be split; `col` is the 0-based index of the unclosed quote or the trailing backslash. */
export class ShellWordsError extends Error {
  constructor(
    message: string,
    readonly col: number,
  ) {
    super(message);
    this.name = 'ShellWordsError';
  }
}

const WHITESPACE = ' \t\r\n';

/** The words of `text`, with where each starts. Throws ShellWordsError. */
export function shellWordsAt(text: string, opts: { comments?: boolean } = {}): ShellWord[] {
  const out: ShellWord[] = [];
  let cur: ShellWord | null = null;
  let i = 0;
  const skipComment = () => {
    const nl = text.indexOf('\n', i);
    i = nl < 0 ? text.length : nl + 1;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.includes(c)) {
      if (cur) out.push(cur);
      cur = null;
      i++;
    } else if (opts.comments && c === '#') {
      if (cur) out.push(cur);
      cur = null;
      skipComment();
    } else if (c === "'") {
      cur ??= { text: '', col: i };
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError(`no closing quotation (')`, i);
      cur.text += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      cur ??= { text: '', col: i };
      const open = i;
      i++;
      for (;;) {
        if (i >= text.length) throw new ShellWordsError(`no closing quotation (")`, open);
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\') {
          if (i + 1 >= text.length) throw new ShellWordsError('no escaped character after a trailing backslash', i);
          const e = text[i + 1]!;
          cur.text += e === '"' || e === '\\' ? e : d + e;
          i += 2;
        } else {
          cur.text += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShellWordsError('no escaped character after a trailing backslash', i);
      cur ??= { text: '', col: i };
      cur.text += text[i + 1];
      i += 2;
    } else {
      cur ??= { text: '', col: i };
      cur.text += c;
      i++;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** The words of `text` (Python's shlex.split). Throws ShellWordsError. */
export function shellWords(text: string, opts: { comments?: boolean } = {}): string[] {
  return shellWordsAt(text, opts).map((w) => w.text);
}

export interface RawWord {
  /** The word as written, quotes and backslashes included. */
  raw: string;
  start: number;
  end: number;
}

const JINJA_OPEN = ['{{', '{%', '{#'];
const JINJA_CLOSE = ['}}', '%}', '#}'];

/**
 * Words of a `k=v` argument line as Ansible's split_args (under parse_kv)
 * cuts them — a different rule from shellWords: quotes stay in the word (the
 * caller unquotes a value after its `=`), a quote right after a backslash
 * does not count, a backslash does not escape whitespace, and whitespace
 * inside quotes or a `{{ }}` / `{% %}` / `{# #}` block does not split.
 * Lenient where Ansible raises: an unclosed quote or block runs to the end.
 */
export function kvWords(text: string): RawWord[] {
  const out: RawWord[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let quote: string | null = null;
    let depth = 0;
    while (i < text.length && (quote || depth > 0 || !/\s/.test(text[i]!))) {
      const c = text[i]!;
      const two = text.slice(i, i + 2);
      if ((c === '"' || c === "'") && text[i - 1] !== '\\') {
        if (!quote) quote = c;
        else if (quote === c) quote = null;
      } else if (JINJA_OPEN.includes(two)) {
        depth++;
        i++;
      } else if (JINJA_CLOSE.includes(two) && depth > 0) {
        depth--;
        i++;
      }
      i++;
    }
    out.push({ raw: text.slice(start, i), start, end: i });
  }
  return out;
}
