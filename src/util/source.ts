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
