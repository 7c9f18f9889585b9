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
          const escaped = source[i + 1]!;
          if (literalBackslashes) text += '\\' + escaped;
          else text += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped === 'r' ? '\r' : escaped === '0' ? '\0' : escaped;
          i += 2;
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
