import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const packageDirectory = path.dirname(fileURLToPath(import.meta.url));

/**
 * zod's `z.locales` namespace holds error messages in some fifty languages (a third of zod's
 * size); Loompa uses English only, which zod registers from `locales/en.js` itself. The bundle
 * gets a `locales` namespace with English alone, so every start parses a few hundred KB less.
 */
const englishOnlyZodLocales: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'english-only-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (arguments_) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(arguments_.importer)
        ? {
            path: path.join(path.dirname(arguments_.importer), '..', 'locales', 'en.js'),
            namespace: 'zod-locales',
          }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (arguments_) => ({
      contents: `export { default as en } from ${JSON.stringify(arguments_.path)};`,
      resolveDir: path.dirname(arguments_.path),
      loader: 'js',
    }));
  },
};

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
    esbuildPlugins: [englishOnlyZodLocales],
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
