#!/usr/bin/env node
// Launcher. `npm install` builds dist/ (tsc) and dist/bundle/drover.cjs (the CLI and
// its dependencies in one file, scripts/bundle.mjs). The bundle is compiled with a V8
// code cache kept beside it, so a run neither resolves ~400 modules nor recompiles
// them: process start to the play's start ~287 ms -> ~126 ms (bench/RESULTS.md).
// Without a current bundle (tsc only), the compiled modules are imported as they are.
// CommonJS (bin/package.json): Node starts a CommonJS entry ~8 ms sooner than an ES module.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

// `drover play … | head`: the reader went away; stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const bundle = join(__dirname, '../dist/bundle/drover.cjs');
const compiledMain = join(__dirname, '../dist/cli/main.js');
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered without loading the CLI (the 2.7 MB bundle and its code cache): the same
  // version the CLI prints, package.json's (test/unit/cli/version.test.ts keeps them equal).
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')).version}\n`);
} else {
  const built = currentBundle();
  (built ? Promise.resolve(loadBundle(bundle, built)) : import(pathToFileURL(compiledMain).href))
    .then(({ main }) => main(process.argv))
    .then((code) => {
      process.exitCode = code;
    });
}

/** The bundle's stat, unless it is missing or older than the compiled modules (tsc ran alone since: stale code). */
function currentBundle() {
  try {
    const st = statSync(bundle);
    return st.mtimeMs >= statSync(compiledMain).mtimeMs ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bundle as a CommonJS module, compiled with its cached code when V8 accepts it
 * (same V8, flags and source). A missing or rejected cache is written at exit, from
 * everything this run compiled (DROVER_CODE_CACHE=write forces it, =off skips both).
 */
function loadBundle(file, st) {
  const mode = process.env.DROVER_CODE_CACHE ?? 'on';
  // V8 checks a cache against the source's length only: the name ties it to this very build.
  const cacheFile = `${file}.${st.size}-${Math.floor(st.mtimeMs)}.cache`;
  let cachedData;
  if (mode === 'on') {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      /* first run */
    }
  }
  // The bundle is the CommonJS wrapper function itself (scripts/bundle.mjs), in ASCII.
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  if (mode === 'write' || (mode === 'on' && (!cachedData || script.cachedDataRejected))) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        /* read-only install: start without a cache */
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}
