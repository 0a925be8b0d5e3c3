import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/**
 * The `loompa` command as one self-contained JavaScript program in `dist/` (the package's
 * `bin`). Everything is bundled, workspace packages from their TypeScript sources, so the build
 * needs no other package built first and start-up resolves no module in `node_modules`.
 * Splitting keeps each command's code in its own chunk, loaded only when the command runs.
 */
export default defineConfig({
  entry: { loompa: 'src/loompa-bin.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: false,
  noExternal: [/.*/],
  esbuildOptions(options) {
    options.conditions = ['@loompa/source', 'import', 'node', 'default'];
  },
  // The dashboard's page, styles and script are files the bundled @loompa/dashboard serves from here.
  async onSuccess() {
    await cp(
      new URL('../../packages/dashboard/public', import.meta.url),
      new URL('dist/dashboard-assets', import.meta.url),
      {
        recursive: true,
      },
    );
  },
  // Bundled CommonJS dependencies call `require` for Node's built-in modules.
  banner: {
    js: "import { createRequire as loompaCreateRequire } from 'node:module'; const require = loompaCreateRequire(import.meta.url);",
  },
});
