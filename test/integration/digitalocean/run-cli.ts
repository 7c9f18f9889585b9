// Launches the CLI from source, for tests that need a real terminal (run under `script`).
import { main } from '../../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
