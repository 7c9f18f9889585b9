// Runs drover's CLI from source (tsx), so the lab tests need no build of dist/.
import { main } from '../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
