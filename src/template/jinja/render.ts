/**
 * Jinja2 templates, step three: rendering, with Ansible's settings. Values are
 * written as Python's str() writes them (True, ['a', 'b']), None as nothing
 * (Ansible's finalize). Scopes are Jinja's: a for loop's body and a macro
 * have their own (a `set` inside does not leak out), `namespace()` carries
 * values out of loops. Undefined values raise with their position.
 *
 * Two callers: template files (`renderTemplate*`: text out) and playbook
 * strings (jinja/playbook-string.ts: Ansible's typed concatenation).
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { SourcePos } from '../../util/source.js';
import { displayPath } from '../../util/source.js';
import { InputError } from '../../util/errors.js';
import { firstExisting, localFileCandidates } from '../../util/file-search.js';
import { limit, overLimit } from '../../util/limits.js';
import { readTextFile } from '../../util/text-input.js';
import { evaluateTree } from '../expression/evaluate.js';
import { NAMESPACE } from '../expression/globals.js';
import { positionOf, type Expr } from '../expression/parser.js';
import { setTemplateFileRenderer } from '../lookups.js';
import { Callable, hasOwnVar, isMapping, pythonStr, truthy, typeName } from '../values.js';
import { jinjaSource, type LexOptions } from './lexer.js';
import { parseTemplate, type Node, type SetTarget, type Template } from './parser.js';

interface Run {
  t: Template;
  base?: SourcePos;
  /** The template file, for `{% include %}` relative to it. */
  file?: string;
  depth: number;
  opts: LexOptions;
}

type Scope = Record<string, unknown>;

function evaluate(run: Run, expr: Expr, scope: Scope): unknown {
  return evaluateTree(expr, run.t.source, scope, run.base);
}

/** Ansible's finalize: None is written as nothing. */
function finalize(v: unknown): unknown {
  return v === null || v === undefined ? '' : v;
}

function iterate(run: Run, v: unknown, at: number): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new InputError(`cannot loop over ${typeName(v)} ${pythonStr(v)}`, positionOf(run.t.source, run.base, at));
}

function assign(run: Run, scope: Scope, target: SetTarget, value: unknown, at: number): void {
  if ('ns' in target) {
    const ns = scope[target.ns];
    if (!isMapping(ns) || !(NAMESPACE in ns)) {
      throw new InputError(`cannot assign '${target.ns}.${target.attr}': '${target.ns}' is not a namespace()`, positionOf(run.t.source, run.base, at), `write {% set ${target.ns} = namespace(${target.attr}=…) %} first`);
    }
    ns[target.attr] = value;
    return;
  }
  if (target.names.length === 1) {
    scope[target.names[0]!] = value;
    return;
  }
  const items = Array.isArray(value) ? value : iterate(run, value, at);
  if (items.length !== target.names.length) {
    throw new InputError(`cannot unpack ${items.length} values into ${target.names.join(', ')}`, positionOf(run.t.source, run.base, at));
  }
  target.names.forEach((n, i) => (scope[n] = items[i]));
}

function loopObject(items: unknown[], i: number, depth: number): Record<string, unknown> {
  const n = items.length;
  return {
    index: i + 1,
    index0: i,
    revindex: n - i,
    revindex0: n - i - 1,
    first: i === 0,
    last: i === n - 1,
    length: n,
    depth: depth + 1,
    depth0: depth,
    ...(i > 0 ? { previtem: items[i - 1] } : {}),
    ...(i < n - 1 ? { nextitem: items[i + 1] } : {}),
    cycle: new Callable('loop.cycle', (args) => (args.length ? args[i % args.length] : '')),
  };
}

function renderNodes(run: Run, nodes: Node[], scope: Scope, out: unknown[]): void {
  for (const node of nodes) {
    switch (node.t) {
      case 'text':
        out.push(node.value);
        break;
      case 'out':
        out.push(finalize(evaluate(run, node.expr, scope)));
        break;
      case 'if': {
        const hit = node.branches.find((b) => truthy(evaluate(run, b.cond, scope)));
        if (hit) renderNodes(run, hit.body, scope, out);
        else if (node.otherwise) renderNodes(run, node.otherwise, scope, out);
        break;
      }
      case 'for': {
        let items = iterate(run, evaluate(run, node.iter, scope), node.at);
        if (node.filter) {
          const f = node.filter;
          items = items.filter((item) => {
            const inner: Scope = Object.create(scope);
            assign(run, inner, { names: node.targets }, item, node.at);
            return truthy(evaluate(run, f, inner));
          });
        }
        const outerLoop = hasOwnVar(scope, 'loop') && isMapping(scope.loop) ? Number(scope.loop.depth0 ?? -1) + 1 : 0;
        items.forEach((item, i) => {
          const inner: Scope = Object.create(scope);
          inner.loop = loopObject(items, i, outerLoop);
          assign(run, inner, { names: node.targets }, item, node.at);
          renderNodes(run, node.body, inner, out);
        });
        if (items.length === 0 && node.otherwise) renderNodes(run, node.otherwise, scope, out);
        break;
      }
      case 'set':
        assign(run, scope, node.target, evaluate(run, node.expr, scope), node.at);
        break;
      case 'setblock': {
        const parts: unknown[] = [];
        renderNodes(run, node.body, scope, parts);
        assign(run, scope, node.target, parts.map((p) => pythonStr(p)).join(''), node.at);
        break;
      }
      case 'macro': {
        const defined = scope;
        scope[node.name] = new Callable(node.name, (args, kwargs) => {
          const inner: Scope = Object.create(defined);
          node.params.forEach((p, i) => {
            if (i < args.length) inner[p.name] = args[i];
            else if (Object.hasOwn(kwargs, p.name)) inner[p.name] = kwargs[p.name];
            else if (p.dflt) inner[p.name] = evaluate(run, p.dflt, inner);
          });
          const parts: unknown[] = [];
          renderNodes(run, node.body, inner, parts);
          return parts.map((p) => pythonStr(p)).join('');
        });
        break;
      }
      case 'with': {
        const inner: Scope = Object.create(scope);
        for (const a of node.assigns) inner[a.name] = evaluate(run, a.expr, scope);
        renderNodes(run, node.body, inner, out);
        break;
      }
      case 'include': {
        const name = pythonStr(evaluate(run, node.expr, scope));
        const file = findInclude(run, name, scope);
        if (!file) {
          if (node.ignoreMissing) break;
          throw new InputError(`{% include %}: template not found: ${name}`, positionOf(run.t.source, run.base, node.at));
        }
        if (run.depth >= limit('includeDepth')) throw overLimit('includeDepth', `{% include '${name}' %}`, positionOf(run.t.source, run.base, node.at));
        const text = readTextFile(file, displayPath(file), 'template');
        const base = { file: displayPath(file), line: 1, col: 1 };
        const t = parseTemplate(jinjaSource(text), base, run.opts);
        renderNodes({ t, base, file, depth: run.depth + 1, opts: run.opts }, t.body, scope, out);
        break;
      }
    }
  }
}

/** An included template: next to the including one, then the role's and playbook's templates/. */
function findInclude(run: Run, name: string, scope: Scope): string | undefined {
  const beside = run.file && !isAbsolute(name) ? [join(dirname(run.file), name)] : [];
  const role = typeof scope.role_path === 'string' ? scope.role_path : undefined;
  const base = typeof scope.playbook_dir === 'string' ? scope.playbook_dir : process.cwd();
  return firstExisting([...beside, ...localFileCandidates(role, base, 'templates', name)]);
}

/**
 * Render a parsed template to the list of pieces Jinja yields (text and
 * finalized values), in a scope of its own over `vars`.
 */
export function renderPieces(t: Template, vars: Record<string, unknown>, base: SourcePos | undefined, opts: LexOptions = {}, file?: string): unknown[] {
  const out: unknown[] = [];
  renderNodes({ t, base, file, depth: 0, opts }, t.body, Object.create(vars) as Scope, out);
  return out;
}

/** Trailing newlines of the input that Jinja dropped are put back (Ansible's preserve_trailing_newlines). */
export function restoreTrailingNewlines(input: string, output: string): string {
  const count = (s: string) => s.length - s.replace(/\n+$/, '').length;
  const missing = count(input) - count(output);
  return missing > 0 ? output + '\n'.repeat(missing) : output;
}

/** A template file's text rendered as the template module does (text out). */
export function renderTemplateText(text: string, vars: Record<string, unknown>, file: string, opts: LexOptions = {}, path?: string): string {
  const base = { file, line: 1, col: 1 };
  const t = parseTemplate(jinjaSource(text), base, opts);
  const rendered = renderPieces(t, vars, base, opts, path)
    .map((p) => pythonStr(p))
    .join('');
  return restoreTrailingNewlines(text, rendered);
}

/** A template file on the controller (the `template` lookup). */
export function renderTemplateFile(path: string, vars: Record<string, unknown>): string {
  return renderTemplateText(readTextFile(path, displayPath(path), 'template'), vars, displayPath(path), {}, path);
}

setTemplateFileRenderer(renderTemplateFile);
