import { readFileSync } from 'node:fs';
import { didYouMean } from '../util/did-you-mean.js';
import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import type { InventoryGroup, InventoryHost } from './types.js';

/**
 * Host patterns, as Ansible reads them:
 *   all, *            every host (not the implicit localhost)
 *   web, compute1     a group (groups win over hosts of the same name), or a host
 *   comp*, 192.168.*  shell globs over group and host names
 *   ~comp(ute)?\d     a regular expression, anchored at the start of the name
 *   web[0], web[1:2]  a slice of a group's hosts (end inclusive, like Ansible)
 *   a:b  a,b          union;   a:!b  minus b;   a:&b  intersected with b
 * Unions are evaluated first, then intersections, then exclusions, whatever
 * the order they are written in. A term that names nothing is an error (Ansible
 * only warns, which turns a typo into a play that silently does nothing).
 */

/** What pattern matching needs from an inventory. */
export interface PatternTarget {
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  groupHosts(group: string): string[];
  implicitHost(name: string): InventoryHost | undefined;
}

/** Split a pattern into its terms: on commas, else on colons outside brackets (IPv6 addresses stay whole). */
export function splitPattern(pattern: string): string[] {
  const out: string[] = [];
  for (const part of pattern.split(',')) {
    const p = part.trim();
    if (!p) continue;
    if (isIPv6(p.replace(/^[!&]/, ''))) {
      out.push(p);
      continue;
    }
    const terms = p.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
    out.push(...terms.map((t) => t.trim()).filter(Boolean));
  }
  return out;
}

function isIPv6(s: string): boolean {
  return /^[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F.]*$/.test(s) && (s.match(/:/g) ?? []).length >= 2;
}

export function selectHosts(inv: PatternTarget, pattern: string, pos?: SourcePos): string[] {
  if (!pattern || !pattern.trim()) throw new InputError('empty host pattern', pos, 'use "all" for every host');
  // (Regex terms, ~…, may hold any brackets.) An unclosed or stray bracket would otherwise split into terms nobody wrote ("web[0:" -> "web", "0").
  if (!pattern.includes('~') && !isIPv6(pattern.trim().replace(/^[!&]/, '')) && !/^(?:[^[\]]|\[[^[\]]*\])*$/.test(pattern)) {
    throw new InputError(`bad subscript in host pattern "${pattern}": unbalanced [ ]`, pos, 'use group[N] or group[START:END]');
  }
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new InputError(`host pattern "${pattern}" has no terms`, pos);
  const plain = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  const inter = terms.filter((t) => t.startsWith('&'));
  const excl = terms.filter((t) => t.startsWith('!'));
  // A pattern that starts with an intersection or exclusion applies to all hosts.
  if (plain.length === 0) plain.push('all');

  let result: string[] = [];
  const seen = new Set<string>();
  for (const t of plain) {
    for (const h of matchTerm(inv, t, pattern, pos)) {
      if (!seen.has(h)) {
        seen.add(h);
        result.push(h);
      }
    }
  }
  for (const t of inter) {
    const keep = new Set(matchTerm(inv, t.slice(1), pattern, pos));
    result = result.filter((h) => keep.has(h));
  }
  for (const t of excl) {
    const drop = new Set(matchTerm(inv, t.slice(1), pattern, pos));
    result = result.filter((h) => !drop.has(h));
  }
  // Inventory order, whatever order the terms produced.
  const order = new Map([...inv.hosts.keys()].map((h, i) => [h, i]));
  return result.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
}

function matchTerm(inv: PatternTarget, term: string, whole: string, pos?: SourcePos): string[] {
  if (!term) throw new InputError(`host pattern "${whole}" has an empty term after ! or &`, pos);
  const { name, slice } = splitSubscript(term, whole, pos);
  let hosts = enumerate(inv, name, whole, pos);
  if (slice) hosts = slice(hosts);
  return hosts;
}

/** `group[0]`, `group[-1]`, `group[1:3]`, `group[2:]`: Ansible's subscripts (end inclusive). */
function splitSubscript(term: string, whole: string, pos?: SourcePos): { name: string; slice?: (h: string[]) => string[] } {
  if (term.startsWith('~')) return { name: term };
  const m = /^(.+)\[(?:(-?\d+)|(\d+)?([:-])(\d+)?)\]$/.exec(term);
  if (!m) {
    if (/\[|\]/.test(term)) throw new InputError(`bad subscript in host pattern "${whole}": ${term}`, pos, 'use group[N] or group[START:END]');
    return { name: term };
  }
  const name = m[1]!;
  if (m[2] !== undefined) {
    const idx = Number(m[2]);
    return { name, slice: (h) => {
      const i = idx < 0 ? h.length + idx : idx;
      return i >= 0 && i < h.length ? [h[i]!] : [];
    } };
  }
  const start = m[3] !== undefined ? Number(m[3]) : 0;
  const end = m[5] !== undefined ? Number(m[5]) : undefined;
  return { name, slice: (h) => h.slice(start, end === undefined ? undefined : end + 1) };
}

function enumerate(inv: PatternTarget, name: string, whole: string, pos?: SourcePos): string[] {
  const isRegex = name.startsWith('~');
  const isGlob = !isRegex && /[*?[]/.test(name);
  let test: (s: string) => boolean;
  if (isRegex) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${name.slice(1)})`);
    } catch (e) {
      throw new InputError(`bad regular expression in host pattern "${whole}": ${(e as Error).message}`, pos);
    }
    test = (s) => re.test(s);
  } else if (isGlob || name === 'all') {
    const re = globToRegExp(name === 'all' ? '*' : name);
    test = (s) => re.test(s);
  } else test = (s) => s === name;

  const out: string[] = [];
  const inOut = new Set<string>();
  const add = (hs: Iterable<string>): void => {
    for (const h of hs) {
      if (!inOut.has(h)) {
        inOut.add(h);
        out.push(h);
      }
    }
  };
  if (name === 'all' || name === '*') {
    add(inv.groupHosts('all'));
    return out;
  }
  const groups = [...inv.groups.keys()].filter(test);
  for (const g of groups) add(inv.groupHosts(g));
  if (groups.length === 0 || isRegex || isGlob || name.includes('.')) {
    const hosts = [...inv.hosts.values()].filter((h) => !h.implicit && test(h.name)).map((h) => h.name);
    add(hosts);
    if (groups.length === 0 && hosts.length === 0 && !isRegex && !isGlob) {
      const local = inv.implicitHost(name);
      if (local) add([local.name]);
    }
    if (groups.length === 0 && hosts.length === 0 && out.length === 0) {
      const hint = didYouMean(name, [...inv.groups.keys(), ...[...inv.hosts.values()].filter((h) => !h.implicit).map((h) => h.name)], { fragments: true });
      const what = isRegex ? 'regular expression' : isGlob ? 'glob' : 'name';
      throw new InputError(
        `no host or group matches "${name}"${whole !== name ? ` in host pattern "${whole}"` : ''}`,
        pos,
        hint ? `did you mean "${hint}"?` : `the ${what} matches no group or host in the inventory`,
      );
    }
  }
  return out;
}

/** fnmatch-style glob: * ? [seq] [!seq]. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = glob.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, j);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * `--limit`: the hosts of a play that also match `limit`. `@file` reads the
 * limit from a file (one pattern per line, like Ansible's retry files).
 */
export function limitHosts(inv: { select(pattern: string, pos?: SourcePos): string[] }, hosts: string[], limit: string | undefined, pos?: SourcePos): string[] {
  if (limit === undefined || limit === '') return hosts;
  let pattern = limit;
  if (limit.startsWith('@')) {
    const file = limit.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read --limit file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, pos);
    }
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0) throw new InputError(`--limit file ${file} names no hosts`, { file, line: 1, col: 1 });
    pattern = lines.join(',');
  }
  let selected: string[];
  try {
    selected = inv.select(pattern, pos);
  } catch (e) {
    // Ansible's words for it, then which name matched nothing (and the did-you-mean).
    if (e instanceof InputError) throw new InputError(`Specified hosts and/or --limit does not match any hosts: ${e.detail}`, e.pos, e.hint);
    throw e;
  }
  const keep = new Set(selected);
  return hosts.filter((h) => keep.has(h));
}
