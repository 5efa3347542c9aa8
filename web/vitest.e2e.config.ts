import { defineConfig } from 'vitest/config';

// End-to-end tests: a real `hybrid serve` and Debian's Chromium driven by playwright-core.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
