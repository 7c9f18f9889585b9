/** Run the real CLI in-process (src/cli/main.ts), capturing stdout/stderr and the exit status. */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function droverInProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const saved = process.exitCode;
  try {
    const code = await main(['node', 'drover', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = saved;
  }
}
