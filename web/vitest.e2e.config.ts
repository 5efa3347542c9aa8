import { defineConfig } from 'vitest/config';

// End-to-end tests: a real `hybrid serve` and Debian's Chromium driven by playwright-core.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A live change crosses the server's services, a socket and a render: on a busy 2-core CI
    // machine that can take more than vitest's default second. A wait, never a sleep.
    expect: { poll: { timeout: 10_000 } },
    fileParallelism: false,
    pool: 'forks',
  },
});
