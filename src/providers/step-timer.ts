/** Per-step timings of a provider's `up` (UpResult.timings): ms per step, summed when a step repeats. */
export function stepTimer(): { timings: Record<string, number>; timed: <T>(step: string, f: () => Promise<T>) => Promise<T> } {
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      timings[step] = (timings[step] ?? 0) + Date.now() - t0;
    }
  };
  return { timings, timed };
}
