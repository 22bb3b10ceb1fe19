import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'actors/**/*.test.ts', 'streams/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own engine on port 0; two cores run at most two files at once.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
