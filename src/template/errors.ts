import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';

/**
 * A template or expression read a variable that does not exist. `path` is the
 * full dotted path as written (`hostvars.controller.mgmt_ip`), so the user sees
 * which link of the chain is missing from the message alone.
 */
export class UndefinedVariableError extends InputError {
  constructor(
    readonly path: string,
    pos?: SourcePos,
    hint?: string,
  ) {
    super(`undefined variable '${path}'`, pos, hint);
    this.name = 'UndefinedVariableError';
  }
}

/** A template or `when` expression that cannot be parsed, or uses an unknown helper/filter/test. */
export class TemplateSyntaxError extends InputError {
  constructor(detail: string, pos?: SourcePos, hint?: string) {
    super(detail, pos, hint);
    this.name = 'TemplateSyntaxError';
  }
}

/**
 * Map a position inside a template/expression text (1-based line and column)
 * to the input file. `base` is the position of the text's first character; a
 * text on several lines is assumed to continue at column 1 of the next lines
 * (true for template files and YAML block scalars whose `base` is the first
 * content line).
 */
export function posAt(base: SourcePos | undefined, line: number, col: number): SourcePos | undefined {
  if (!base) return undefined;
  return {
    file: base.file,
    line: base.line + line - 1,
    col: line === 1 ? base.col + col - 1 : col,
  };
}

/** 1-based line and column of a 0-based offset in `text`. */
export function lineColOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}
