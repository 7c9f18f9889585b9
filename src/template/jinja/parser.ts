/**
 * Jinja2 templates, step two: segments into a tree of nodes. Expressions are
 * parsed by the one expression parser (../expression/parser.ts), on slices of
 * the template text, so every offset is an offset into the template.
 * Statements: if/elif/else, for (with `if` filter and else),
 * set (also `set x %}…{% endset`, `set ns.attr`), macro, include, with, raw
 * and comments. Anything else is a syntax error naming the tag.
 */
import type { SourcePos } from '../../util/source.js';
import { TemplateSyntaxError } from '../errors.js';
import { ParseFail, tokenize } from '../expression/lexer.js';
import { Parser, positionOf, type Expr } from '../expression/parser.js';
import { lexTemplate, type LexOptions } from './lexer.js';

export type Node =
  | { t: 'text'; value: string }
  | { t: 'out'; expr: Expr; at: number }
  | { t: 'if'; branches: { cond: Expr; body: Node[] }[]; otherwise?: Node[]; at: number }
  | { t: 'for'; targets: string[]; iter: Expr; filter?: Expr; body: Node[]; otherwise?: Node[]; at: number }
  | { t: 'set'; target: SetTarget; expr: Expr; at: number }
  | { t: 'setblock'; target: SetTarget; body: Node[]; at: number }
  | { t: 'macro'; name: string; params: { name: string; dflt?: Expr }[]; body: Node[]; at: number }
  | { t: 'include'; expr: Expr; ignoreMissing: boolean; at: number }
  | { t: 'with'; assigns: { name: string; expr: Expr }[]; body: Node[]; at: number };

/** `x`, `a, b` or `ns.attr`. */
export type SetTarget = { names: string[] } | { ns: string; attr: string };

export interface Template {
  source: string;
  body: Node[];
}

/** Raised with an offset into the template; turned into a positioned error by parseTemplate. */
class Unclosed extends ParseFail {}

interface Block {
  tag: string;
  p: Parser;
  at: number;
}

class TemplateParser {
  private i = 0;
  private readonly segments;
  private readonly literalBackslashes: boolean;
  constructor(private readonly source: string, opts: LexOptions) {
    this.segments = lexTemplate(source, opts);
    this.literalBackslashes = opts.escapeBackslashes ?? false;
  }

  parse(): Node[] {
    const { body, end } = this.until([]);
    if (end) throw new ParseFail(`unexpected '${end.tag}'`, end.at, 'no block is open here');
    return body;
  }

  /** Nodes up to a block tag named in `enders` (returned, not consumed further) or the end. */
  private until(enders: string[]): { body: Node[]; end?: Block } {
    const body: Node[] = [];
    while (this.i < this.segments.length) {
      const seg = this.segments[this.i++]!;
      if (seg.type === 'text') {
        body.push({ t: 'text', value: seg.value });
        continue;
      }
      let p: Parser;
      try {
        p = new Parser(tokenize(this.source, seg.from, seg.to, seg.type === 'var' && this.literalBackslashes));
      } catch (err) {
        if (err instanceof ParseFail && !err.hint && seg.type === 'var') throw new ParseFail(err.message, err.offset, handlebarsHint(this.source.slice(seg.from, seg.to)));
        throw err;
      }
      if (seg.type === 'var') {
        if (p.atEnd()) throw new ParseFail('expected an expression', seg.from);
        const expr = p.expr();
        if (!p.atEnd()) throw p.fail("expected '}}'", handlebarsHint(this.source.slice(seg.from, seg.to)));
        body.push({ t: 'out', expr, at: seg.start });
        continue;
      }
      const head = p.peek();
      if (head.type !== 'name') throw new ParseFail('expected a statement name', head.start, 'e.g. {% if x %}, {% for x in xs %}, {% set x = 1 %}');
      const tag = String(head.value);
      if (enders.includes(tag)) {
        p.next();
        return { body, end: { tag, p, at: seg.start } };
      }
      p.next();
      body.push(this.statement(tag, p, seg.start, head.start));
    }
    return { body };
  }

  /** The body of a block up to one of `enders`; an unclosed block is an error at its opening tag. */
  private block(opening: string, at: number, enders: string[]): { body: Node[]; end: Block } {
    const r = this.until(enders);
    if (!r.end) throw new Unclosed(`unclosed '${opening}': expected {% ${enders[enders.length - 1]} %}`, at);
    return r as { body: Node[]; end: Block };
  }

  private done(p: Parser): void {
    if (!p.atEnd()) throw p.fail("expected '%}'");
  }

  private statement(tag: string, p: Parser, at: number, tagAt: number): Node {
    switch (tag) {
      case 'if': {
        const branches: { cond: Expr; body: Node[] }[] = [];
        let cond = p.expr();
        this.done(p);
        for (;;) {
          const { body, end } = this.block('if', at, ['elif', 'else', 'endif']);
          branches.push({ cond, body });
          if (end.tag === 'elif') {
            cond = end.p.expr();
            this.done(end.p);
            continue;
          }
          if (end.tag === 'else') {
            this.done(end.p);
            const rest = this.block('if', at, ['endif']);
            this.done(rest.end.p);
            return { t: 'if', branches, otherwise: rest.body, at };
          }
          this.done(end.p);
          return { t: 'if', branches, at };
        }
      }
      case 'for': {
        const targets = this.targets(p);
        p.expectWord('in');
        const iter = p.or();
        let filter: Expr | undefined;
        if (p.isWord('if')) {
          p.next();
          filter = p.expr();
        }
        if (p.isWord('recursive')) throw p.fail("expected '%}'", 'recursive for loops are not supported by drover');
        this.done(p);
        const { body, end } = this.block('for', at, ['else', 'endfor']);
        let otherwise: Node[] | undefined;
        this.done(end.p);
        if (end.tag === 'else') {
          const rest = this.block('for', at, ['endfor']);
          this.done(rest.end.p);
          otherwise = rest.body;
        }
        return { t: 'for', targets, iter, filter, body, otherwise, at };
      }
      case 'set': {
        const target = this.setTarget(p);
        if (p.isOp('=')) {
          p.next();
          const first = p.expr();
          let expr = first;
          if (p.isOp(',')) {
            const items = [first];
            while (p.isOp(',')) {
              p.next();
              items.push(p.expr());
            }
            expr = { k: 'list', items, s: first.s };
          }
          this.done(p);
          return { t: 'set', target, expr, at };
        }
        this.done(p);
        const { body, end } = this.block('set', at, ['endset']);
        this.done(end.p);
        return { t: 'setblock', target, body, at };
      }
      case 'macro': {
        const name = p.expectName();
        p.expectOp('(');
        const params: { name: string; dflt?: Expr }[] = [];
        while (!p.isOp(')')) {
          const param = p.expectName();
          let dflt: Expr | undefined;
          if (p.isOp('=')) {
            p.next();
            dflt = p.expr();
          }
          params.push({ name: param, dflt });
          if (!p.isOp(',')) break;
          p.next();
        }
        p.expectOp(')');
        this.done(p);
        const { body, end } = this.block('macro', at, ['endmacro']);
        this.done(end.p);
        return { t: 'macro', name, params, body, at };
      }
      case 'include': {
        const expr = p.expr();
        let ignoreMissing = false;
        if (p.isWord('ignore')) {
          p.next();
          p.expectWord('missing');
          ignoreMissing = true;
        }
        if (p.isWord('with') || p.isWord('without')) {
          p.next();
          p.expectWord('context');
        }
        this.done(p);
        return { t: 'include', expr, ignoreMissing, at };
      }
      case 'with': {
        const assigns: { name: string; expr: Expr }[] = [];
        while (!p.atEnd()) {
          const name = p.expectName();
          p.expectOp('=');
          assigns.push({ name, expr: p.expr() });
          if (!p.isOp(',')) break;
          p.next();
        }
        this.done(p);
        const { body, end } = this.block('with', at, ['endwith']);
        this.done(end.p);
        return { t: 'with', assigns, body, at };
      }
      case 'elif':
      case 'else':
      case 'endif':
      case 'endfor':
      case 'endset':
      case 'endmacro':
      case 'endwith':
      case 'endraw':
        throw new ParseFail(`unexpected '${tag}'`, tagAt, 'no block that it closes is open here');
      default:
        throw new ParseFail(
          `unknown statement '${tag}'`,
          tagAt,
          tag === 'break' || tag === 'continue' || tag === 'do'
            ? `'${tag}' needs a Jinja extension Ansible does not enable`
            : 'drover reads if/elif/else, for, set, macro, include, with, raw',
        );
    }
  }

  private targets(p: Parser): string[] {
    const paren = p.isOp('(');
    if (paren) p.next();
    const names = [p.expectName()];
    while (p.isOp(',')) {
      p.next();
      names.push(p.expectName());
    }
    if (paren) p.expectOp(')');
    return names;
  }

  private setTarget(p: Parser): SetTarget {
    const first = p.expectName();
    if (p.isOp('.')) {
      p.next();
      return { ns: first, attr: p.expectName() };
    }
    const names = [first];
    while (p.isOp(',')) {
      p.next();
      names.push(p.expectName());
    }
    return { names };
  }
}

/** drover's playbook strings were Handlebars once: point at the Jinja spelling. */
function handlebarsHint(expr: string): string | undefined {
  if (/^\s*[#/^>]|^\s*else\s*$/.test(expr)) return 'Handlebars blocks ({{#if}}, {{#each}}) are for .hbs templates; write {% if x %}…{% endif %}, {% for x in xs %}…{% endfor %}';
  const m = /^\s*([a-z_]+)\s+[\w'"(@.]/.exec(expr);
  if (m) return `this looks like a Handlebars helper call; in Jinja write {{ x | ${m[1]}(…) }} or {{ ${m[1]}(…) }}`;
  return undefined;
}

const cache = new Map<string, Template>();

/**
 * Parse a template (cached by text and options). `source` is what Jinja reads
 * (see jinjaSource); `base` is where it starts in its file, for positions.
 */
export function parseTemplate(source: string, base: SourcePos | undefined, opts: LexOptions = {}): Template {
  const key = `${opts.trimBlocks === false ? 0 : 1}${opts.lstripBlocks ? 1 : 0}${opts.escapeBackslashes ? 1 : 0}\0${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let body: Node[];
  try {
    body = new TemplateParser(source, opts).parse();
  } catch (err) {
    if (!(err instanceof ParseFail)) throw err;
    throw new TemplateSyntaxError(`template syntax error: ${err.message}`, positionOf(source, base, err.offset), err.hint);
  }
  const template = { source, body };
  if (cache.size >= 10_000) cache.clear();
  cache.set(key, template);
  return template;
}
