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
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
