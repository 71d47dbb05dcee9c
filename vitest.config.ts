import { defineConfig } from 'vitest/config';

// forks: a native crash takes down one worker, not the run; vm pools break `instanceof` on addon errors.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    include: ['test/**/*.test.ts'],
  },
});
