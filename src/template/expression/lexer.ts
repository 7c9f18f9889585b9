/** The `when:` expression language, step one: text into tokens. */

export type TokenType = 'num' | 'str' | 'name' | 'op' | 'eof';

export interface Token {
  type: TokenType;
  value: string | number;
  /** Offset of the token's first character in the expression text. */
  start: number;
}

const OPERATORS = ['//', '**', '==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', '|', '+', '-', '*', '/', '%', '~', ':', '='];

/** A syntax error at an offset of the expression text; parseExpression turns it into a positioned TemplateSyntaxError. */
export class ParseFail extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Tokens of `source`, or of its slice [from, to) (a `{{ … }}` inside a
 * template): offsets stay those of the whole text, so positions need no
 * arithmetic. `literalBackslashes`: a backslash in a string literal is
 * itself (Ansible doubles them inside `{{ }}` of playbook strings, so that
 * `regex_replace('(\\d+)', '\\1')` needs no second escaping).
 */
export function tokenize(whole: string, from = 0, to = whole.length, literalBackslashes = false): Token[] {
  const source = whole.slice(0, to);
  const out: Token[] = [];
  let i = from;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(\d+(\.\d+)?([eE][-+]?\d+)?)/.exec(source.slice(i))!;
      out.push({ type: 'num', value: Number(m[1]), start });
      i += m[1]!.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      out.push({ type: 'name', value: m[0], start });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let text = '';
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\' && i + 1 < source.length) {
          if (literalBackslashes) {
            text += source.slice(i, i + 2);
            i += 2;
          } else {
            const [decoded, length] = pythonEscape(source, i);
            text += decoded;
            i += length;
          }
        } else {
          text += source[i++];
        }
      }
      if (i >= source.length) throw new ParseFail(`unterminated string`, start);
      i++;
      out.push({ type: 'str', value: text, start });
      continue;
    }
    if (source.startsWith('&&', i)) throw new ParseFail(`unexpected '&&'`, start, "write 'and'");
    if (source.startsWith('||', i)) throw new ParseFail(`unexpected '||'`, start, "write 'or'");
    if (source.startsWith('===', i) || source.startsWith('!==', i)) throw new ParseFail(`unexpected '${source.slice(i, i + 3)}'`, start, "write '==' or '!='");
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op) {
      out.push({ type: 'op', value: op, start });
      i += op.length;
      continue;
    }
    if (c === '!') throw new ParseFail(`unexpected '!'`, start, "write 'not' (or '!=')");
    throw new ParseFail(`unexpected character '${c}'`, start);
  }
  out.push({ type: 'eof', value: '', start: source.length });
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * A Python string-literal escape at `i` (the backslash): its text and length.
 * Unknown escapes keep their backslash, as Python does (`'\d'` is backslash-d).
 */
function pythonEscape(source: string, i: number): [string, number] {
  const c = source[i + 1]!;
  if (Object.hasOwn(SIMPLE_ESCAPES, c)) return [SIMPLE_ESCAPES[c]!, 2];
  const octal = /^[0-7]{1,3}/.exec(source.slice(i + 1, i + 4));
  if (octal) return [String.fromCharCode(parseInt(octal[0], 8)), 1 + octal[0].length];
  const hex = c === 'x' ? /^[0-9a-fA-F]{2}/.exec(source.slice(i + 2, i + 4)) : c === 'u' ? /^[0-9a-fA-F]{4}/.exec(source.slice(i + 2, i + 6)) : c === 'U' ? /^[0-9a-fA-F]{8}/.exec(source.slice(i + 2, i + 10)) : null;
  if (hex) return [String.fromCodePoint(parseInt(hex[0], 16)), 2 + hex[0].length];
  return ['\\' + c, 2];
}
