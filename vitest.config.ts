import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ when it is missing or older than src/ (the CLI tests run bin/corral.js): nothing is skipped for want of a build.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Integration tests start real processes and bind real ports; two workers fit these 2-core machines.
    maxWorkers: 2,
  },
});
