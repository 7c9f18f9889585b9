import { InputError } from '../util/errors.js';

/**
 * Read a line from the terminal without echoing it (passwords: become,
 * vault). Without a terminal it is an input error saying `noTerminal`.
 */
export async function promptHidden(question: string, noTerminal?: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new InputError(noTerminal ?? `cannot ask "${question.replace(/:\s*$/, '')}": stdin is not a terminal`);
  }
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    process.stderr.write(question);
    // Swallow the echo of typed characters.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** Read a line from the terminal, echoed (a name, not a secret). */
export async function promptLine(question: string, noTerminal?: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new InputError(noTerminal ?? `cannot ask "${question.replace(/:\s*$/, '')}": stdin is not a terminal`);
  }
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}
