/** Quote a string for POSIX sh: single quotes, with embedded ones closed and escaped. */
export function shq(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Join argv words into one shell command line. */
export function shjoin(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}
