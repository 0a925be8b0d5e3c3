import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const packageDirectory = path.dirname(fileURLToPath(import.meta.url));

/**
 * The `loompa` command as one self-contained JavaScript program in `outDirectory` (`dist/`,
 * the package's `bin`, for `pnpm build`). Everything is bundled, workspace packages from their
 * TypeScript sources, so the build needs no other package built first and start-up resolves no
 * module in `node_modules`. Splitting keeps each command's code in its own chunk, loaded only
 * when the command runs.
 */
export function cliBuildOptions(outDirectory: string): Options {
  return {
    entry: { loompa: path.join(packageDirectory, 'src', 'loompa-bin.ts') },
    outDir: outDirectory,
    tsconfig: path.join(packageDirectory, '..', '..', 'tsconfig.json'),
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
        path.join(packageDirectory, '..', '..', 'packages', 'dashboard', 'public'),
        path.join(outDirectory, 'dashboard-assets'),
        { recursive: true },
      );
    },
    // Bundled CommonJS dependencies call `require` for Node's built-in modules.
    banner: {
      js: "import { createRequire as loompaCreateRequire } from 'node:module'; const require = loompaCreateRequire(import.meta.url);",
    },
  };
}

export default defineConfig(cliBuildOptions(path.join(packageDirectory, 'dist')));
