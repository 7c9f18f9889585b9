/**
 * The `when:` expression language: a safe subset of Jinja expressions, used
 * for when/changed_when/failed_when/until/that. Its rooms:
 *
 *   lexer.ts      text → tokens
 *   parser.ts     tokens → syntax tree (Expr), the grammar, the parse cache
 *   evaluate.ts   syntax tree → value, with positioned errors
 *   undefined.ts  the value of a missing variable (Undef)
 *   tests.ts      `is defined`, `is changed`, `is match(…)` …
 *   filters.ts    `| default`, `| int`, `| join(…)` …
 *   methods.ts    `s.startswith(…)`, `d.get(…)`, `l.index(…)` …
 *   refs.ts       the variables an expression reads, for `drover check`
 *
 * Tests:   defined undefined none succeeded success failed failure changed
 *          change skipped skip string number integer float boolean mapping
 *          sequence iterable truthy falsy true false eq/equalto/sameas(x)
 *          match search regex (pattern) in(seq) lower upper odd even divisibleby(n)
 * Filters: default/d(x[, true]) length/count int(d) float bool lower upper trim
 *          string first last join(sep) split([sep]) replace(a, b)
 *          regex_replace(p, r) regex_search(p) basename dirname abs list
 *          b64encode b64decode quote to_json to_yaml keys values items unique
 *          sort min max sum
 * Methods: str.startswith/endswith/strip/lstrip/rstrip/lower/upper/split/
 *          replace/find/count/splitlines/isdigit/join, dict.get/keys/values/items,
 *          list.count/index
 */
import type { SourcePos } from '../../util/source.js';
import { TemplateSyntaxError } from '../errors.js';
import { checkTemplate, isTemplated, renderString, templateRefs } from '../render.js';
import type { CompiledCondition, VarRef } from '../types.js';
import { truthy, typeName } from '../values.js';
import { evaluateTree } from './evaluate.js';
import { parseExpression } from './parser.js';
import { collectRefs, guards, isGuarded } from './refs.js';

/** Evaluate an expression to its value (Python semantics), rendering `{{ }}` first if present. */
export function evaluateExpression(expr: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  if (isTemplated(expr)) {
    // Ansible allows `when: "{{ x }}"`: a raw value is used as is, a string is then parsed.
    const rendered = renderString(expr, vars, pos);
    if (typeof rendered !== 'string') return rendered;
    return evaluateTree(parseExpression(rendered, pos), rendered, vars, pos);
  }
  return evaluateTree(parseExpression(expr, pos), expr, vars, pos);
}

/**
 * Parse a `when`/`changed_when`/`failed_when`/`until`/`that` expression once.
 * Throws TemplateSyntaxError (an InputError) with the position of the bad
 * token. An expression containing `{{ }}` is checked as a template now and
 * parsed after rendering, each time it is evaluated.
 */
export function compileCondition(expr: string, pos?: SourcePos): CompiledCondition {
  if (typeof expr !== 'string') throw new TemplateSyntaxError(`a condition must be a string, got ${typeName(expr)}`, pos);
  if (isTemplated(expr)) {
    checkTemplate(expr, pos);
    return {
      expr,
      pos,
      value: (vars) => evaluateExpression(expr, vars, pos),
      test: (vars) => truthy(evaluateExpression(expr, vars, pos)),
      refs: () => templateRefs(expr, pos),
    };
  }
  const tree = parseExpression(expr, pos);
  return {
    expr,
    pos,
    value: (vars) => evaluateTree(tree, expr, vars, pos),
    test: (vars) => truthy(evaluateTree(tree, expr, vars, pos)),
    refs: () => collectRefs(tree, expr, pos),
  };
}

/** Evaluate a condition to true/false. A YAML boolean (`when: false`) is taken as it is. */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, pos?: SourcePos): boolean {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'number') return expr !== 0;
  return compileCondition(expr, pos).test(vars);
}

/**
 * Paths a true condition proves defined (`when: x is defined and x.y is defined`):
 * a task's arguments may read them, since they are rendered only when it holds.
 * A condition that does not parse proves nothing (its error is reported elsewhere).
 */
export function conditionGuards(expr: string): string[] {
  if (isTemplated(expr)) return [];
  try {
    return guards(parseExpression(expr), true);
  } catch {
    return [];
  }
}

export { isGuarded };

/** The variables an expression reads; `is defined`/`default` make a read optional. */
export function conditionRefs(expr: string, pos?: SourcePos): VarRef[] {
  if (isTemplated(expr)) return templateRefs(expr, pos);
  return collectRefs(parseExpression(expr, pos), expr, pos);
}
