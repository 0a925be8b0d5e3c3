import type { Options } from 'tsup';

/** How every package is built: ESM with types and sourcemaps, for Node 22 and later. */
export const packageBuildOptions: Options = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
};
