import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type Document, type Node as YNode } from 'yaml';
import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';

/**
 * YAML for inventories and vars files, with positions. Same scalar rules as
 * the playbook loader (src/playbook/yaml-source.ts, which this layer may not
 * import): YAML 1.1 as Ansible users write it (`yes` is true), but keys keep
 * their text and `0644`, dates and `1:30` stay strings.
 */
export interface ParsedYaml {
  doc: Document;
  /** Position of a node (inside the quotes for quoted scalars). */
  pos(node: unknown): SourcePos;
  /** The node as plain JS. */
  plain(node: unknown): unknown;
  /** Where the document starts. */
  start: SourcePos;
}

/** The name shown in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  if (file.startsWith('<')) return file;
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function parseYamlText(text: string, display: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', merge: true, uniqueKeys: true, prettyErrors: true });
  const at = (offset: number): SourcePos => {
    const lp = lineCounter.linePos(offset);
    return { file: display, line: lp.line, col: lp.col };
  };
  const first = doc.errors[0];
  if (first) {
    // For a repeated key, point at the repeat itself (the parser's offset can land on the line before).
    const dup = first.code === 'DUPLICATE_KEY' ? firstDuplicateKeyOffset(doc) : undefined;
    const pos = dup !== undefined ? at(dup) : first.linePos ? { file: display, line: first.linePos[0].line, col: first.linePos[0].col } : at(first.pos[0]);
    const detail = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`YAML syntax error: ${detail}`, pos, first.code === 'DUPLICATE_KEY' ? 'each key may appear once in a mapping' : first.code === 'TAB_AS_INDENT' ? 'indent with spaces, not tabs' : undefined);
  }
  const start = doc.contents?.range ? at(doc.contents.range[0]) : { file: display, line: 1, col: 1 };
  const pos = (node: unknown): SourcePos => {
    const n = node as YNode | null | undefined;
    if (!n || !n.range) return start;
    const p = at(n.range[0]);
    if (isScalar(n) && (n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE)) return { ...p, col: p.col + 1 };
    return p;
  };
  const plain = (node: unknown): unknown => toPlain(node as YNode, doc, new Map());
  return { doc, pos, plain, start };
}

function firstDuplicateKeyOffset(doc: Document): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = keyText(pair.key);
        const r = (pair.key as YNode | null)?.range;
        if (seen.has(k) && r && (found === undefined || r[0] < found)) found = r[0];
        seen.add(k);
      }
    },
  });
  return found;
}

/** A mapping key as text (`y:` stays "y", `1:` is "1"). */
export function keyText(node: unknown): string {
  if (isScalar(node)) {
    const src = (node as Scalar & { source?: string }).source;
    if (node.type === Scalar.PLAIN && typeof src === 'string') return src;
    return String(node.value);
  }
  return String(node ?? '');
}

function toPlain(node: YNode | null | undefined, doc: Document, seen: Map<YNode, unknown>): unknown {
  if (!node) return null;
  if (isAlias(node)) return toPlain(node.resolve(doc) as YNode | undefined, doc, seen);
  if (isScalar(node)) {
    const v = node.value;
    const src = (node as Scalar & { source?: string }).source;
    if (node.type === Scalar.PLAIN && typeof src === 'string') {
      if (v instanceof Date) return src;
      if (typeof v === 'number' && (/^[-+]?0[0-7_]+$/.test(src) || src.includes(':'))) return src;
    }
    return v instanceof Date ? v.toISOString() : v;
  }
  const cached = seen.get(node);
  if (cached !== undefined) return cached;
  if (isSeq(node)) {
    const out: unknown[] = [];
    seen.set(node, out);
    for (const item of node.items) out.push(toPlain(item as YNode, doc, seen));
    return out;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    seen.set(node, out);
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = keyText(pair.key);
      if (key === '<<') {
        const src = toPlain(pair.value as YNode, doc, seen);
        for (const m of Array.isArray(src) ? src : [src]) {
          if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (!(k in out)) out[k] = v;
        }
        continue;
      }
      out[key] = toPlain(pair.value as YNode, doc, seen);
    }
    return out;
  }
  return null;
}

/** Resolve aliases so structure checks see the real node. */
export function deref(node: unknown, doc: Document): YNode | null {
  const n = node as YNode | null | undefined;
  if (!n) return null;
  if (isAlias(n)) return (n.resolve(doc) as YNode | undefined) ?? null;
  return n;
}

/** A null / empty value (`key:` with nothing after it). */
export function isNullNode(node: YNode | null): boolean {
  return !node || (isScalar(node) && node.value === null);
}

export function describeNode(node: YNode | null): string {
  if (!node) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'nothing' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'something else';
}
