#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ (npm ci runs `prepare`), so start-up
// costs no TypeScript compilation.
import { main } from '../dist/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });
