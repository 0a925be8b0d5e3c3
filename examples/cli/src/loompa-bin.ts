#!/usr/bin/env node
/**
 * The built `loompa` command (`dist/loompa.js`, made by `pnpm build`): plain JavaScript, no
 * TypeScript loader. V8's compile cache is switched on before anything else loads, so a second
 * start reads compiled code instead of parsing the bundle again; every command's modules are
 * imported only when that command runs (see `loompa-program.ts`). In the workspace,
 * `bin/loompa.js` runs the same `main` from the TypeScript sources instead.
 */
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('./main.js');
const exitCode = await main(process.argv.slice(2));
// Exit now rather than wait for a plugin's leftover timer or watcher; on Linux, writes to pipes,
// files and terminals are synchronous, so no output is lost.
process.exit(exitCode);
