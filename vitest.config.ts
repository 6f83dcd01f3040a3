import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default keeps one core free, which on a 2-core CI runner means one worker and
    // a suite twice as long; the tests wait on child processes and I/O more than on the CPU.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
