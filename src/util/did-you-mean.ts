/** "Did you mean" hints for misspelt names: keywords, modules, groups, hosts. */

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/**
 * The closest candidate to `word` (case-insensitive), if close enough to be a
 * plausible typo. With `fragments`, a word of three or more letters that is
 * part of a longer name ("compute" for "compute_nodes") suggests the shortest
 * such name.
 */
export function didYouMean(word: string, candidates: Iterable<string>, opts: { fragments?: boolean } = {}): string | undefined {
  const all = [...candidates];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of all) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  if (best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3))) return best;
  if (!opts.fragments || word.length < 3) return undefined;
  const w = word.toLowerCase();
  return all.filter((c) => c.toLowerCase().includes(w)).sort((a, b) => a.length - b.length)[0];
}
