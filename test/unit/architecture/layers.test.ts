import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/util/project-root.js';

// The layers of ../shared/ARCHITECTURE.md, top to bottom: a file may import
// from its own layer or from a layer below it, never from one above.
// A new directory under src/ must be placed here.
const LAYERS = ['cli', 'engine', 'report', 'playbook', 'modules', 'inventory', 'facts', 'template', 'transport', 'pki', 'providers', 'util'];

const SRC = path.join(PROJECT_ROOT, 'src');

type Graph = Map<string, string[]>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers a file imports: static, type-only, re-exports, `import '…'` and `import('…')`. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1]!.startsWith('.')) out.push(m[1]!);
  return out;
}

function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new Error(`${path.relative(SRC, from)}: cannot resolve import '${spec}'`);
}

function srcGraph(): Graph {
  const g: Graph = new Map();
  for (const f of tsFiles(SRC)) {
    const rel = path.relative(SRC, f);
    const deps = importSpecifiers(readFileSync(f, 'utf8')).map((s) => path.relative(SRC, resolveImport(f, s)));
    g.set(rel, [...new Set(deps)]);
  }
  return g;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function cycles(g: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const layerOf = (file: string) => file.split(path.sep)[0]!;

/** Imports that point up the layer table, as "from -> to". */
export function upwardImports(g: Graph, layers: readonly string[]): string[] {
  const out: string[] = [];
  for (const [from, deps] of g) {
    for (const to of deps) if (layers.indexOf(layerOf(to)) < layers.indexOf(layerOf(from))) out.push(`${from} -> ${to}`);
  }
  return out;
}

describe('src imports: no cycles, only downward across layers', () => {
  const g = srcGraph();

  it('reads the imports (sanity: the graph is not empty)', () => {
    expect(g.size).toBeGreaterThan(100);
    expect([...g.values()].flat().length).toBeGreaterThan(300);
    expect(g.get(path.join('providers', 'select.ts'))).toContain(path.join('providers', 'local', 'provider.ts')); // a dynamic import
  });

  it('places every directory of src/ in the layer table', () => {
    const dirs = readdirSync(SRC).filter((d) => statSync(path.join(SRC, d)).isDirectory());
    expect(dirs.filter((d) => !LAYERS.includes(d))).toEqual([]);
    expect(readdirSync(SRC).filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('imports only from its own layer or the ones below', () => {
    expect(upwardImports(g, LAYERS)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  // [graph as {file: imports}, cycles, upward imports (layers a above b)]
  const CASES: Array<[Record<string, string[]>, string[][], string[]]> = [
    [{ 'a/x.ts': ['b/y.ts'], 'b/y.ts': [] }, [], []],
    [{ 'a/x.ts': ['a/y.ts'], 'a/y.ts': ['a/x.ts'] }, [['a/x.ts', 'a/y.ts']], []],
    [{ 'a/x.ts': ['a/x.ts'] }, [['a/x.ts']], []],
    [{ 'b/y.ts': ['a/x.ts'], 'a/x.ts': [] }, [], ['b/y.ts -> a/x.ts']],
    [{ 'a/x.ts': ['b/y.ts'], 'b/y.ts': ['b/z.ts'], 'b/z.ts': ['a/x.ts'] }, [['a/x.ts', 'b/y.ts', 'b/z.ts']], ['b/z.ts -> a/x.ts']],
  ];
  it.each(CASES)('%j', (graph, cyc, up) => {
    const g: Graph = new Map(Object.entries(graph).map(([k, v]) => [k.split('/').join(path.sep), v.map((x) => x.split('/').join(path.sep))]));
    expect(cycles(g).map((c) => c.map((f) => f.split(path.sep).join('/')))).toEqual(cyc);
    expect(upwardImports(g, ['a', 'b']).map((s) => s.split(path.sep).join('/'))).toEqual(up);
  });

  it('finds every kind of import', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import {\n  c,\n  d,\n} from "./c.js";',
      "export { e } from './e.js';",
      "export * from './f.js';",
      "import './g.js';",
      "const h = await import('./h.js');",
      "type I = import('./i.js').I;",
      "import { z } from 'zod';",
      "// import { no } from './comment.js';",
      "/* import('./block.js') */",
    ].join('\n');
    expect(importSpecifiers(src).sort()).toEqual(['../b.js', './a.js', './c.js', './e.js', './f.js', './g.js', './h.js', './i.js']);
  });
});
