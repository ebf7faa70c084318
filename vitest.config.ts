import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // package.json maps `#transport` to the built files; tests run the sources. The fetch transport
    // runs the same suites with BENTOLABS_TEST_TRANSPORT=fetch (see README, Edge and Web runtimes).
    alias: {
      '#transport': new URL(
        `./src/core/transport-${process.env.BENTOLABS_TEST_TRANSPORT ?? 'node'}.ts`,
        import.meta.url,
      ).pathname,
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: tests start servers and child processes, and the SDK is a process-wide
    // singleton that each test file initialises on its own.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Every file: fail if anything printed a full API key to the console (issue: secrets).
    setupFiles: ['./test/support/no-secrets.setup.ts'],
  },
});
