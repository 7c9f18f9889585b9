import { defineConfig } from 'vitest/config';

// Default run: unit tests (pure planning, parsers) and integration tests against
// a real OpenSSH sshd on loopback. Node-based suites (systemd-nspawn lab nodes)
// live in vitest.nodes.config.ts and are run by `npm run test:nodes`.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/differential/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
