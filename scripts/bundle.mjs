// Bundles the compiled CLI (dist/, from tsc) and its dependencies into one file,
// dist/bundle/drover.cjs, that bin/drover.js loads with a V8 code cache. Why: a
// `drover play` run imported ~400 files through Node's ESM loader and compiled
// them on every start (~215 ms of a 500 ms run, measured); one pre-linked file
// whose compiled code is cached starts in about half that (see bench/RESULTS.md).
//
// Then it warms the code cache: a small playbook against localhost (local
// connection, a temp directory) run once with DROVER_CODE_CACHE=write, so the
// cache holds the code a real run compiles, not only the top level.
//
//   node scripts/bundle.mjs [--no-warm]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'bundle', 'drover.cjs');

/**
 * Native addons cannot be bundled: keep their require, as a package path
 * (`ssh2/lib/…/sshcrypto.node`) that Node resolves from the bundle's place.
 */
const nativeAddons = {
  name: 'native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      const at = abs.lastIndexOf(`${sep}node_modules${sep}`);
      if (at < 0) return { path: abs, external: true };
      return { path: abs.slice(at + '/node_modules/'.length).split(sep).join('/'), external: true };
    });
  },
};

await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Loaded by one vm.Script: import() must become require(), which needs no ESM loader hook.
  supported: { 'dynamic-import': false },
  // cpu-features finds its own addon; it is optional for ssh2.
  external: ['cpu-features'],
  plugins: [nativeAddons],
  // The sources locate the project from their own file (two levels below the root, as the bundle is).
  define: { 'import.meta.url': '__drover_import_meta_url' },
  // The file is one function expression, the CommonJS wrapper bin/drover.js compiles and calls:
  // no 4 MB string concatenated on every start. (The banner precedes esbuild's "use strict",
  // so, as before, that line is no directive.)
  banner: { js: "(function (exports, require, module, __filename, __dirname) {const __drover_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '})' },
  // Every start reads and scans the whole file: no comments or layout (2.7 MB instead of 4 MB),
  // identifiers kept (names in messages and stacks; the source map maps the rest).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
// One non-ASCII character makes V8 hold the whole source as UTF-16 (twice the bytes to
// decode, copy and scan on every start). esbuild escapes them in code; comments are gone.
const bytes = readFileSync(outfile);
const at = bytes.findIndex((b) => b > 0x7f);
if (at >= 0) throw new Error(`bundle: non-ASCII byte at offset ${at}: ${bytes.subarray(Math.max(0, at - 60), at + 20).toString()}`);
console.log(`bundle: ${relative(root, outfile)} (${(bytes.length / 1048576).toFixed(1)} MB)`);
// Code caches of earlier builds (named after the bundle's size and time) are of no use now.
for (const f of readdirSync(dirname(outfile))) if (/^drover\.cjs(\..*)?\.cache$/.test(f)) rmSync(join(dirname(outfile), f), { force: true });

if (!process.argv.includes('--no-warm')) warm();

function warm() {
  const dir = mkdtempSync(join(tmpdir(), 'drover-warm-'));
  try {
    copyFileSync(join(root, 'scripts', 'warm', 'playbook.yaml'), join(dir, 'playbook.yaml'));
    copyFileSync(join(root, 'scripts', 'warm', 'note.j2'), join(dir, 'note.j2'));
    writeFileSync(join(dir, 'hosts.ini'), `[warm]\nlocalhost ansible_connection=local workdir=${join(dir, 'work')}\n`);
    const run = (extra) =>
      spawnSync(process.execPath, [join(root, 'bin', 'drover.js'), 'play', 'playbook.yaml', '-i', 'hosts.ini', ...extra], {
        cwd: dir,
        env: { ...process.env, DROVER_CODE_CACHE: 'write' },
        encoding: 'utf8',
      });
    const r = run([]);
    if (r.status !== 0) {
      // A cold start is slower, not broken: say so and go on.
      console.warn(`bundle: code cache not warmed (warm-up run exit ${r.status}):\n${(r.stdout + r.stderr).slice(-1500)}`);
      return;
    }
    console.log('bundle: code cache warmed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
