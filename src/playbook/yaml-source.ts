import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node as YNode } from 'yaml';
import { InputError } from '../util/errors.js';
import { readInputFile } from '../util/local-files.js';
import type { SourcePos } from '../util/source.js';

/**
 * YAML loading that remembers where every value came from.
 *
 * Plain JS values are returned (objects, arrays, scalars); positions live in a
 * side table keyed by the containing object/array, so any value can be located
 * as `posOf(container, key)` without changing the shape of the data.
 *
 * Scalars follow YAML 1.1 (what Ansible users write: `become: yes`), with two
 * safety fixes: keys are always their source text (`y:` stays "y", not true),
 * and plain scalars that 1.1 would turn into surprising values keep their text
 * (`mode: 0644` stays "0644" instead of 420, `2020-01-01` stays a string, `1:30`
 * is not sexagesimal 90).
 */

interface Slot {
  keyPos?: SourcePos;
  valuePos: SourcePos;
}

interface ContainerInfo {
  pos: SourcePos;
  slots: Map<string | number, Slot>;
}

const containers = new WeakMap<object, ContainerInfo>();

/** Position of a container (mapping or sequence) loaded from YAML. */
export function containerPos(value: unknown): SourcePos | undefined {
  return value && typeof value === 'object' ? containers.get(value)?.pos : undefined;
}

/** Position of the value at `container[key]`. */
export function posOf(container: unknown, key: string | number): SourcePos | undefined {
  if (!container || typeof container !== 'object') return undefined;
  return containers.get(container)?.slots.get(key)?.valuePos;
}

/** Position of the key `key` in a mapping (falls back to the value's). */
export function keyPosOf(container: unknown, key: string): SourcePos | undefined {
  if (!container || typeof container !== 'object') return undefined;
  const slot = containers.get(container)?.slots.get(key);
  return slot?.keyPos ?? slot?.valuePos;
}

/** Record positions for a container built in code (e.g. merged args). */
export function setPositions(container: object, pos: SourcePos, entries: Iterable<[string | number, Slot]>): void {
  const info = containers.get(container) ?? { pos, slots: new Map() };
  for (const [k, s] of entries) info.slots.set(k, s);
  containers.set(container, info);
}

/** Shallow merge of mappings (later wins) that keeps the positions of every key. */
export function mergePositioned(...objs: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let pos: SourcePos | undefined;
  const slots: Array<[string, Slot]> = [];
  for (const o of objs) {
    if (!o) continue;
    const info = containers.get(o);
    pos ??= info?.pos;
    for (const [k, v] of Object.entries(o)) {
      out[k] = v;
      const s = info?.slots.get(k);
      if (s) slots.push([k, s]);
    }
  }
  if (pos) setPositions(out, pos, slots);
  return out;
}

/** Copy the position of `from[fromKey]` (and its key) to `to[toKey]`. */
export function copyPosition(from: unknown, fromKey: string | number, to: object, toKey: string | number, fallback: SourcePos): void {
  const slot = from && typeof from === 'object' ? containers.get(from)?.slots.get(fromKey) : undefined;
  setPositions(to, containerPos(to) ?? fallback, [[toKey, slot ?? { valuePos: fallback }]]);
}

/**
 * Follow a path (object keys / array indexes) from `root` and return the
 * position of the deepest element that has one: for a zod issue path this is
 * the offending value, or its nearest located parent.
 */
export function posAtPath(root: unknown, p: ReadonlyArray<PropertyKey>, fallback: SourcePos): SourcePos {
  let best = containerPos(root) ?? fallback;
  let cur: unknown = root;
  for (const k of p) {
    if (!cur || typeof cur !== 'object' || typeof k === 'symbol') break;
    const pos = posOf(cur, k as string | number);
    if (pos) best = pos;
    cur = (cur as Record<string | number, unknown>)[k as string | number];
  }
  return best;
}

/** The name shown in messages for a file: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export interface YamlSource {
  /** Absolute path. */
  path: string;
  /** Path as shown in messages. */
  display: string;
  /** The document as plain JS (null for an empty file). */
  value: unknown;
  /** Position of the document's top node (or 1:1). */
  pos: SourcePos;
}

/** Read and parse a YAML file. A missing file or a syntax error is an InputError at its position. */
export function loadYamlFile(file: string, from?: SourcePos): YamlSource {
  const abs = path.resolve(file);
  return parseYaml(readInputFile(abs, displayPath(abs), 'file', from), abs);
}

/** Parse YAML text; `file` is used for positions (its display form). */
export function parseYaml(text: string, file: string): YamlSource {
  const abs = path.resolve(file);
  const display = displayPath(abs);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', merge: true, uniqueKeys: false, prettyErrors: true });
  const at = (offset: number): SourcePos => {
    const lp = lineCounter.linePos(offset);
    return { file: display, line: lp.line, col: lp.col };
  };
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos ? { file: display, line: first.linePos[0].line, col: first.linePos[0].col } : at(first.pos[0]);
    const detail = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`YAML syntax error: ${detail}`, pos, yamlHint(first.code));
  }
  const conv = new Converter(doc, at);
  const value = doc.contents ? conv.value(doc.contents as YNode) : null;
  const pos = doc.contents?.range ? at(doc.contents.range[0]) : { file: display, line: 1, col: 1 };
  return { path: abs, display, value, pos };
}

function yamlHint(code: string): string | undefined {
  if (code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  if (code === 'DUPLICATE_KEY') return 'each key may appear once in a mapping';
  return undefined;
}

class Converter {
  private seen = new Map<YNode, unknown>();
  constructor(
    private doc: Document,
    private at: (offset: number) => SourcePos,
  ) {}

  pos(node: YNode | null | undefined): SourcePos | undefined {
    return node?.range ? this.contentPos(node) : undefined;
  }

  /** Where a scalar's text starts: inside the quotes, on the first line of a block scalar. */
  private contentPos(node: YNode): SourcePos {
    const p = this.at(node.range![0]);
    if (isScalar(node)) {
      if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) return { ...p, col: p.col + 1 };
    }
    return p;
  }

  value(node: YNode | null | undefined): unknown {
    if (!node) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return target ? this.value(target as YNode) : null;
    }
    if (isScalar(node)) return this.scalar(node);
    const cached = this.seen.get(node);
    if (cached !== undefined) return cached;
    if (isSeq(node)) {
      const out: unknown[] = [];
      this.seen.set(node, out);
      const slots: Array<[number, Slot]> = [];
      node.items.forEach((item, i) => {
        out.push(this.value(item as YNode));
        slots.push([i, { valuePos: this.pos(item as YNode) ?? this.pos(node)! }]);
      });
      setPositions(out, this.pos(node)!, slots);
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      this.seen.set(node, out);
      const slots: Array<[string, Slot]> = [];
      const explicit = new Map<string, SourcePos>();
      const mapPos = this.pos(node)!;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YNode | null;
        const key = this.key(keyNode);
        const keyPos = this.pos(keyNode) ?? mapPos;
        if (key === '<<') {
          // Merge key: copy entries of the aliased mapping(s) that are not set explicitly.
          const src = this.value(pair.value as YNode);
          for (const m of Array.isArray(src) ? src : [src]) {
            if (!m || typeof m !== 'object') continue;
            for (const [k, v] of Object.entries(m)) {
              if (k in out) continue;
              out[k] = v;
              const s = containers.get(m)?.slots.get(k);
              slots.push([k, s ?? { keyPos, valuePos: keyPos }]);
            }
          }
          continue;
        }
        const first = explicit.get(key);
        if (first) {
          // Checked here rather than by the parser, which points at the first entry's value.
          throw new InputError(`duplicate key '${key}' in a mapping (first at line ${first.line}, column ${first.col})`, keyPos, 'each key may appear once in a mapping');
        }
        explicit.set(key, keyPos);
        out[key] = this.value(pair.value as YNode);
        slots.push([key, { keyPos, valuePos: this.pos(pair.value as YNode) ?? keyPos }]);
      }
      setPositions(out, mapPos, slots);
      return out;
    }
    return (node as { toJSON?: () => unknown }).toJSON?.() ?? null;
  }

  private key(node: YNode | null): string {
    if (!node) return '';
    if (isScalar(node)) {
      const src = (node as Scalar & { source?: string }).source;
      if (node.type === Scalar.PLAIN && typeof src === 'string') return src;
      return String(node.value);
    }
    return JSON.stringify(this.value(node));
  }

  private scalar(node: Scalar): unknown {
    const v = node.value;
    const src = (node as Scalar & { source?: string }).source;
    if (node.type === Scalar.PLAIN && typeof src === 'string') {
      if (v instanceof Date) return src;
      if (typeof v === 'number' && (/^[-+]?0[0-7_]+$/.test(src) || src.includes(':'))) return src;
    }
    if (v instanceof Date) return v.toISOString();
    return v;
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= n; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[n]!;
}

/** The closest candidate to `word`, if close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}
