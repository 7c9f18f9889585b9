/**
 * Static analysis for `drover check`: the variables an expression reads,
 * without evaluating it. `is defined`, `is undefined` and `default` make a
 * read optional, and so does a guard before it (`x is defined and x.y`).
 */
import type { SourcePos } from '../../util/source.js';
import type { VarRef } from '../types.js';
import { joinPath } from '../values.js';
import { acceptsUndefined } from './filters.js';
import { positionOf, type Expr } from './parser.js';
import { TESTS } from './tests.js';

/** The static path of a member chain (`a.b[0]`), or undefined if it has a computed index. */
function staticPath(node: Expr): { root: string; path: string } | undefined {
  if (node.k === 'name') return { root: node.name, path: node.name };
  if (node.k === 'attr') {
    const p = staticPath(node.obj);
    return p && { root: p.root, path: joinPath(p.path, node.key) };
  }
  if (node.k === 'index' && node.index.k === 'lit') {
    const p = staticPath(node.obj);
    return p && { root: p.root, path: joinPath(p.path, node.index.v) };
  }
  return undefined;
}

/** Paths known to be defined when `node` is truthy (positive) or falsy: `x is defined and x.y`. */
export function guards(node: Expr, positive: boolean): string[] {
  if (node.k === 'test' && (node.name === 'defined' || node.name === 'undefined')) {
    const p = staticPath(node.x);
    const definedWhenTrue = (node.name === 'defined') !== node.negate;
    return p && definedWhenTrue === positive ? [p.path] : [];
  }
  if (node.k === 'not') return guards(node.x, !positive);
  if (node.k === 'and' && positive) return [...guards(node.a, true), ...guards(node.b, true)];
  if (node.k === 'or' && !positive) return [...guards(node.a, false), ...guards(node.b, false)];
  return [];
}

export function isGuarded(path: string, guarded: readonly string[]): boolean {
  return guarded.some((g) => path === g || path.startsWith(g + '.') || path.startsWith(g + '['));
}

export function collectRefs(tree: Expr, source: string, pos?: SourcePos): VarRef[] {
  const refs: VarRef[] = [];
  const walk = (node: Expr, optional: boolean, guarded: readonly string[]): void => {
    const sub = (child: Expr, childOptional = false, childGuarded = guarded) => walk(child, childOptional, childGuarded);
    switch (node.k) {
      case 'name':
      case 'attr':
      case 'index': {
        const p = staticPath(node);
        if (p) {
          const at = positionOf(source, pos, node.s);
          const opt = optional || isGuarded(p.path, guarded);
          refs.push({ ...p, ...(at ? { pos: at } : {}), ...(opt ? { optional: true } : {}) });
          return;
        }
        if (node.k !== 'name') sub(node.obj, optional);
        if (node.k === 'index') sub(node.index);
        return;
      }
      case 'slice':
        sub(node.obj);
        for (const part of [node.start, node.stop, node.step]) if (part) sub(part);
        return;
      case 'call':
        sub(node.obj);
        node.args.forEach((a) => sub(a));
        node.kwargs.forEach(([, a]) => sub(a));
        return;
      case 'fcall':
        node.args.forEach((a) => sub(a));
        node.kwargs.forEach(([, a]) => sub(a));
        return;
      case 'list':
        node.items.forEach((a) => sub(a));
        return;
      case 'dict':
        node.entries.forEach(([k, v]) => (sub(k), sub(v)));
        return;
      case 'not':
      case 'neg':
        sub(node.x, optional);
        return;
      case 'and':
        sub(node.a);
        sub(node.b, false, [...guarded, ...guards(node.a, true)]);
        return;
      case 'or':
        sub(node.a);
        sub(node.b, false, [...guarded, ...guards(node.a, false)]);
        return;
      case 'bin':
        sub(node.a);
        sub(node.b);
        return;
      case 'cond':
        sub(node.test);
        sub(node.then, false, [...guarded, ...guards(node.test, true)]);
        if (node.else) sub(node.else, false, [...guarded, ...guards(node.test, false)]);
        return;
      case 'cmp':
        sub(node.first);
        node.rest.forEach((r) => sub(r.x));
        return;
      case 'test':
        sub(node.x, TESTS[node.name]!.acceptsUndefined === true);
        node.args.forEach((a) => sub(a));
        node.kwargs.forEach(([, a]) => sub(a));
        return;
      case 'filter':
        sub(node.x, acceptsUndefined(node.name));
        node.args.forEach((a) => sub(a));
        node.kwargs.forEach(([, a]) => sub(a));
        return;
      case 'lit':
        return;
    }
  };
  walk(tree, false, []);
  return refs;
}
