import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ when it is missing or older than src/ (the CLI tests run bin/corral.js): nothing is skipped for want of a build.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Real daemons on 2 shared cores: daemon tests took up to 25 s of the former 30 with another
    // process keeping one core busy on an already loaded machine. A test's own waits (test/helpers/wait-for.ts, 20 s) fail first,
    // naming what they waited for; this is the budget of the whole test and of its cleanup.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of a test's time is spent waiting on real processes (daemon boots, backoffs, stop timeouts), not on the CPU:
    // the suite used 161 CPU-seconds in a run, so four workers keep two cores busy where two workers left them waiting.
    maxWorkers: 4,
  },
});
