import { defineConfig } from 'vitest/config';

// Lab-node suites: real systemd-nspawn containers, real services. Slow; run as root.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
