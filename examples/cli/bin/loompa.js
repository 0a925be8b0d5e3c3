#!/usr/bin/env node
/**
 * The `loompa` command. It runs the TypeScript sources of this repository directly, in this one
 * process (so signals reach the orchestrator itself, not a wrapper): tsx compiles TypeScript on
 * load, and a resolution hook adds the `@loompa/source` condition that points workspace packages
 * at their sources. So `pnpm install` is the only setup; nothing needs building.
 */
import { register } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';

registerTypeScript();
register('./source-condition-hooks.js', import.meta.url);
const { main } = await import('../src/main.ts');
const exitCode = await main(process.argv.slice(2));
// Exit now rather than wait for a plugin's leftover timer or watcher; on Linux, writes to pipes,
// files and terminals are synchronous, so no output is lost.
process.exit(exitCode);
