import path from 'node:path';

/** A place in an input file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return '';
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** A file's name in messages: relative to the working directory when inside it; `<stdin>`-style names as they are. */
export function displayPath(file: string): string {
  if (file.startsWith('<')) return file;
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}
