/**
 * Python's json.dumps, as Ansible's to_json / to_nice_json call it: `', '`
 * and `': '` separators unless told otherwise, non-ASCII escaped as \uXXXX
 * (ensure_ascii), keys sorted on request. JSON.stringify differs in all three.
 */
import { isMapping } from './values.js';

export interface PythonJsonOptions {
  indent?: number;
  sortKeys?: boolean;
  /** [item separator, key separator]; Python's default is [', ', ': '] without indent, [',', ': '] with it. */
  separators?: [string, string];
  ensureAscii?: boolean;
}

export function pythonJson(value: unknown, opts: PythonJsonOptions = {}): string {
  const indent = opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ascii = opts.ensureAscii ?? true;
  const str = (s: string) => {
    const json = JSON.stringify(s);
    return ascii ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
  };
  const walk = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
    if (typeof v === 'string') return str(v);
    const open = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
    const close = indent === undefined ? '' : '\n' + ' '.repeat(indent * depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[' + open + v.map((x) => walk(x, depth + 1)).join(itemSep + open) + close + ']';
    }
    if (isMapping(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) return '{}';
      if (opts.sortKeys) keys.sort();
      return '{' + open + keys.map((k) => str(k) + keySep + walk(v[k], depth + 1)).join(itemSep + open) + close + '}';
    }
    return str(String(v));
  };
  return walk(value, 0);
}
