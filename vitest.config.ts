import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "@loompa/source"
// export condition, so tests never depend on a prior build.
export default defineConfig({
  resolve: { conditions: ['@loompa/source'] },
  ssr: { resolve: { conditions: ['@loompa/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'tests/*/**/*.test.ts',
    ],
    // End-to-end tests run real CLIs, git and servers on a machine the rest of the suite
    // loads; their own waits (vi.waitFor) say what they wait for, and this only catches a hang.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
