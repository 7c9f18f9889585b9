#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ (npm install runs `prepare`), so start-up
// costs no TypeScript compilation.
import { main } from '../dist/cli/main.js';

// `drover play … | head`: the reader went away; stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
main(process.argv).then((code) => {
  process.exitCode = code;
});
