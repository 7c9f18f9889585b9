/**
 * A playbook string (`dest: "{{ dir }}/x.conf"`, `loop: "{{ groups.web }}"`)
 * rendered as Ansible 2.14 renders it (Templar.template, jinja2_native off):
 *
 *  - `"{{ name }}"` naming a variable that holds a number or boolean yields
 *    that value (None yields None), untouched;
 *  - otherwise the pieces are concatenated as text, and a result that looks
 *    like a list, a mapping, True or False is read back with Python's
 *    literal_eval (so `"{{ a + 1 }}"` is the string "2", `"{{ xs }}"` a list);
 *  - backslashes in string literals inside `{{ }}` are literal;
 *  - trailing newlines Jinja dropped are put back on a string result.
 */
import type { SourcePos } from '../../util/source.js';
import { pythonLiteral } from '../../util/py-literal.js';
import { hasOwnVar, isMapping, pythonStr } from '../values.js';
import { jinjaSource } from './lexer.js';
import { parseTemplate, type Template } from './parser.js';
import { renderPieces, restoreTrailingNewlines } from './render.js';

/** Ansible's is_possibly_template: any Jinja opening delimiter. */
export function isJinjaTemplated(s: string): boolean {
  return typeof s === 'string' && (s.includes('{{') || s.includes('{%') || s.includes('{#'));
}

/**
 * Ansible's STRING_TYPE_FILTERS: their text is the value (NativeJinjaText),
 * never read back as a literal, when it is the whole result.
 */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

function isStringTypeOutput(t: Template): boolean {
  const outs = t.body.filter((n) => n.t !== 'text' || n.value !== '');
  const only = outs.length === 1 ? outs[0] : undefined;
  return only?.t === 'out' && only.expr.k === 'filter' && STRING_TYPE_FILTERS.has(only.expr.name);
}

// Python's `$` also matches before a final newline.
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}\n?$/;

export function renderPlaybookString(text: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  if (!isJinjaTemplated(text)) return text;
  const single = SINGLE_VAR.exec(text);
  if (single && hasOwnVar(vars, single[1]!)) {
    const v = vars[single[1]!];
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  }
  const t = parseTemplate(jinjaSource(text), pos, { escapeBackslashes: true });
  const pieces = renderPieces(t, vars, pos);
  if (pieces.length === 0) return restoreTrailingNewlines(text, '');
  // One list or mapping: what str() and literal_eval would give back, without the round trip.
  if (pieces.length === 1 && (Array.isArray(pieces[0]) || isMapping(pieces[0]))) return pieces[0];
  const out = pieces.map((p) => pythonStr(p)).join('');
  if (isStringTypeOutput(t)) return restoreTrailingNewlines(text, out);
  if (out.startsWith('{') || out.startsWith('[') || out === 'True' || out === 'False') {
    const value = pythonLiteral(out, { jsonNames: true });
    if (value !== out) return value;
  }
  return restoreTrailingNewlines(text, out);
}
