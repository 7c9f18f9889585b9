/**
 * Ansible evaluates INI inventory values with Python's `ast.literal_eval` and
 * keeps the raw text when that fails. So `8222` is the number 8222, `True` is
 * a boolean, `'a b'` and `"a b"` are strings, `[1, 2]` a list, while `true`,
 * `192.168.1.11` or `/usr/bin/python3` stay the strings they are. This is the
 * subset of Python literals that can appear there, evaluated the same way.
 */
export function pythonLiteral(text: string, opts: { jsonNames?: boolean } = {}): unknown {
  try {
    const p = new LiteralParser(text.replace(/^[ \t]+/, ''), opts.jsonNames ?? false);
    const v = p.parseTop();
    return v;
  } catch (e) {
    if (e instanceof NotALiteral) return text;
    throw e;
  }
}

class NotALiteral extends Error {}

const JSON_NAMES: Record<string, unknown> = { true: true, false: false, null: null };

const fail = (): never => {
  throw new NotALiteral();
};

class LiteralParser {
  private i = 0;
  constructor(
    private readonly s: string,
    /** Also read JSON's true/false/null (Ansible's Json2Python, for rendered templates). */
    private readonly jsonNames: boolean,
  ) {}

  parseTop(): unknown {
    this.skip();
    if (this.i >= this.s.length) fail(); // literal_eval('') is a SyntaxError
    const first = this.expr();
    this.skip();
    // A bare tuple: `1, 2` evaluates to (1, 2).
    if (this.peek() === ',') {
      const items = [first];
      while (this.peek() === ',') {
        this.i++;
        this.skip();
        if (this.i >= this.s.length) break;
        items.push(this.expr());
        this.skip();
      }
      if (this.i < this.s.length) fail();
      return items;
    }
    if (this.i < this.s.length) fail();
    return first;
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }

  /** Whitespace and comments, as the Python tokenizer skips them. */
  private skip(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private expr(): unknown {
    this.skip();
    const c = this.peek();
    if (c === undefined) fail();
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') {
      const items = this.sequence('(', ')', true);
      return items;
    }
    if (c === '{') return this.dict();
    if (c === '-' || c === '+') {
      this.i++;
      this.skip();
      const n = this.number();
      return c === '-' ? -n : n;
    }
    if (c === '.' || (c! >= '0' && c! <= '9')) return this.number();
    const m = /^([rRuUbB]{0,2})(['"])/.exec(this.s.slice(this.i));
    if (m) return this.strings();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (word) {
      this.i += word[0].length;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      if (word[0] === 'None') return null;
      if (this.jsonNames && Object.hasOwn(JSON_NAMES, word[0])) return JSON_NAMES[word[0]];
    }
    return fail();
  }

  private sequence(open: string, close: string, tuple = false): unknown[] {
    this.i++; // open
    const out: unknown[] = [];
    this.skip();
    let sawComma = false;
    while (this.peek() !== close) {
      out.push(this.expr());
      this.skip();
      if (this.peek() === ',') {
        sawComma = true;
        this.i++;
        this.skip();
      } else if (this.peek() !== close) fail();
    }
    this.i++;
    // `(x)` is just x in Python, `(x,)` a tuple.
    if (tuple && out.length === 1 && !sawComma) return out[0] as unknown[];
    void open;
    return out;
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.skip();
    while (this.peek() !== '}') {
      const k = this.expr();
      this.skip();
      if (this.peek() !== ':') fail();
      this.i++;
      const v = this.expr();
      out[typeof k === 'string' ? k : JSON.stringify(k)] = v;
      this.skip();
      if (this.peek() === ',') {
        this.i++;
        this.skip();
      } else if (this.peek() !== '}') fail();
    }
    this.i++;
    return out;
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    const patterns = [
      /^0[xX](?:_?[0-9a-fA-F])+/,
      /^0[oO](?:_?[0-7])+/,
      /^0[bB](?:_?[01])+/,
      /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][-+]?\d(?:_?\d)*)?/,
    ];
    for (const re of patterns) {
      const m = re.exec(rest);
      if (!m) continue;
      const text = m[0].replace(/_/g, '');
      // Python 3 rejects leading zeros in decimal integers (`0755` is a SyntaxError).
      if (re === patterns[3] && /^0\d/.test(text) && !/[.eE]/.test(text)) fail();
      const next = rest[m[0].length];
      if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) fail(); // 192.168.1.11, 1.2.3, 8a …
      this.i += m[0].length;
      if (/^0[xX]/.test(text)) return parseInt(text.slice(2), 16);
      if (/^0[oO]/.test(text)) return parseInt(text.slice(2), 8);
      if (/^0[bB]/.test(text)) return parseInt(text.slice(2), 2);
      const n = Number(text);
      // Integers beyond double precision would silently change: keep the text.
      if (!/[.eE]/.test(text) && !Number.isSafeInteger(n)) fail();
      return n;
    }
    return fail();
  }

  /** One or more adjacent string literals ('a' "b" concatenate in Python). */
  private strings(): string {
    let out = '';
    for (;;) {
      const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(this.s.slice(this.i));
      if (!m) break;
      const prefix = m[1]!.toLowerCase();
      if (prefix.includes('b')) fail(); // bytes are not text
      const raw = prefix.includes('r');
      const quote = m[2]!;
      this.i += m[0].length;
      let closed = false;
      while (this.i < this.s.length) {
        if (this.s.startsWith(quote, this.i)) {
          this.i += quote.length;
          closed = true;
          break;
        }
        const c = this.s[this.i]!;
        if (c === '\n' && quote.length === 1) fail();
        if (c === '\\') {
          const n = this.s[this.i + 1];
          if (n === undefined) fail();
          if (raw) {
            out += c + n;
            this.i += 2;
            continue;
          }
          this.i += 2;
          out += this.escape(n!);
          continue;
        }
        out += c;
        this.i++;
      }
      if (!closed) fail();
      this.skip();
    }
    return out;
  }

  private escape(n: string): string {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };
    if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const hex = this.s.slice(this.i, this.i + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail();
      this.i += len;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{0,2}/.exec(this.s.slice(this.i))![0];
      this.i += oct.length;
      return String.fromCharCode(parseInt(n + oct, 8));
    }
    if (n in simple) return simple[n]!;
    return '\\' + n; // Python keeps unknown escapes as written
  }
}
