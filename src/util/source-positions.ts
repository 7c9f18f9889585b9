import type { SourcePos } from './source.js';

/**
 * Where loaded values came from. Values stay plain JS (objects, arrays,
 * scalars); positions live in a side table keyed by the containing object or
 * array, so any value can be located as `posOf(container, key)` without
 * changing the shape of the data.
 */

export interface Slot {
  keyPos?: SourcePos;
  valuePos: SourcePos;
}

interface ContainerInfo {
  pos: SourcePos;
  slots: Map<string | number, Slot>;
}

const containers = new WeakMap<object, ContainerInfo>();

/** Position of a container (mapping or sequence) loaded from a file. */
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

/** The position slot of `container[key]`, to carry it over to another container. */
export function slotOf(container: unknown, key: string | number): Slot | undefined {
  return container && typeof container === 'object' ? containers.get(container)?.slots.get(key) : undefined;
}

/** Record positions for a container (loaded, or built in code such as merged args). */
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
    pos ??= containerPos(o);
    for (const [k, v] of Object.entries(o)) {
      out[k] = v;
      const s = slotOf(o, k);
      if (s) slots.push([k, s]);
    }
  }
  if (pos) setPositions(out, pos, slots);
  return out;
}

/** Copy the position of `from[fromKey]` (and its key) to `to[toKey]`. */
export function copyPosition(from: unknown, fromKey: string | number, to: object, toKey: string | number, fallback: SourcePos): void {
  setPositions(to, containerPos(to) ?? fallback, [[toKey, slotOf(from, fromKey) ?? { valuePos: fallback }]]);
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
