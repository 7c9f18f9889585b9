/**
 * Static analysis of a Jinja2 template for `drover check`: the variables it
 * reads. Names the template binds itself (loop targets, `set`, macros and
 * their parameters, `with`, `loop`) are not variables of the play; reads
 * inside `{% if x is defined %}` are optional, as in `when:`.
 */
import type { SourcePos } from '../../util/source.js';
import type { VarRef } from '../types.js';
import { collectRefs, guards, isGuarded } from '../expression/refs.js';
import type { Expr } from '../expression/parser.js';
import type { Node, Template } from './parser.js';

export function jinjaRefs(t: Template, base: SourcePos | undefined): VarRef[] {
  const refs: VarRef[] = [];
  const read = (e: Expr, bound: ReadonlySet<string>, guarded: readonly string[]) => {
    for (const r of collectRefs(e, t.source, base)) {
      if (bound.has(r.root)) continue;
      refs.push(isGuarded(r.path, guarded) ? { ...r, optional: true } : r);
    }
  };
  const walk = (nodes: Node[], bound: Set<string>, guarded: readonly string[]) => {
    for (const n of nodes) {
      switch (n.t) {
        case 'out':
          read(n.expr, bound, guarded);
          break;
        case 'if': {
          let negatives: string[] = [];
          for (const b of n.branches) {
            read(b.cond, bound, [...guarded, ...negatives]);
            walk(b.body, bound, [...guarded, ...negatives, ...guards(b.cond, true)]);
            negatives = [...negatives, ...guards(b.cond, false)];
          }
          if (n.otherwise) walk(n.otherwise, bound, [...guarded, ...negatives]);
          break;
        }
        case 'for': {
          read(n.iter, bound, guarded);
          const inner = new Set([...bound, ...n.targets, 'loop']);
          if (n.filter) read(n.filter, inner, guarded);
          walk(n.body, inner, guarded);
          if (n.otherwise) walk(n.otherwise, bound, guarded);
          break;
        }
        case 'set':
          read(n.expr, bound, guarded);
          if ('names' in n.target) n.target.names.forEach((x) => bound.add(x));
          break;
        case 'setblock':
          walk(n.body, bound, guarded);
          if ('names' in n.target) n.target.names.forEach((x) => bound.add(x));
          break;
        case 'macro': {
          bound.add(n.name);
          const inner = new Set([...bound, ...n.params.map((p) => p.name)]);
          n.params.forEach((p) => p.dflt && read(p.dflt, inner, guarded));
          walk(n.body, inner, guarded);
          break;
        }
        case 'with': {
          n.assigns.forEach((a) => read(a.expr, bound, guarded));
          walk(n.body, new Set([...bound, ...n.assigns.map((a) => a.name)]), guarded);
          break;
        }
        case 'include':
          read(n.expr, bound, guarded);
          break;
        case 'text':
          break;
      }
    }
  };
  // Names set anywhere at the top level may be read before they are set in a macro body: bind them first.
  const top = new Set<string>();
  for (const n of t.body) {
    if ((n.t === 'set' || n.t === 'setblock') && 'names' in n.target) n.target.names.forEach((x) => top.add(x));
    if (n.t === 'macro') top.add(n.name);
  }
  walk(t.body, top, []);
  return refs;
}
