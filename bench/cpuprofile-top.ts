/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and prints the top frames by self
 * time, and self time summed per source file. No dependencies.
 *
 *   npx tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [--top 30] [--filter substring]
 */
import { readFileSync } from 'node:fs';
import { flags, table } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarize(path: string, top = 30, filter?: string): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm:').replace(/^.*\/(src|dist|bench|test)\//, '$1/');
  const frameKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const frames = new Map<string, number>();
  const files = new Map<string, number>();
  // Inclusive time per frame (each sample counted once per distinct frame on its stack).
  const incl = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    frames.set(frameKey(n), (frames.get(frameKey(n)) ?? 0) + t);
    const f = short(n.callFrame.url) || `(${n.callFrame.functionName})`;
    files.set(f, (files.get(f) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = frameKey(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + t);
    }
  }
  const ms = (us: number) => (us / 1000).toFixed(1);
  const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`;
  const keep = (k: string) => !filter || k.includes(filter);
  const sorted = (m: Map<string, number>) => [...m].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `profile ${path}: ${ms(total)} ms sampled`,
    '',
    'top frames by self time',
    table(['self ms', '%', 'frame'], sorted(frames).map(([k, t]) => [ms(t), pct(t), k])),
    '',
    'top frames by inclusive time',
    table(['incl ms', '%', 'frame'], sorted(incl).map(([k, t]) => [ms(t), pct(t), k])),
    '',
    'self time per file',
    table(['self ms', '%', 'file'], sorted(files).map(([k, t]) => [ms(t), pct(t), k])),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = flags();
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: npx tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [--top 30] [--filter text]');
    process.exit(2);
  }
  console.log(summarize(file, Number(f.get('top') ?? 30), f.get('filter')));
}
