import { existsSync } from 'node:fs';
import type { Options } from 'tsup';

/**
 * Entries besides `src/index.ts` a package may have: a plugin's settings schema alone
 * (`./schema`) and a client's shared settings (`./settings`), each its package.json export.
 */
const optionalEntries = ['src/schema.ts', 'src/settings.ts'];

/** How every package is built (in its own folder): ESM with types and sourcemaps, for Node 22 and later. */
export const packageBuildOptions: Options = {
  entry: ['src/index.ts', ...optionalEntries.filter((entry) => existsSync(entry))],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
};
