import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'tsup';
import { cliBuildOptions } from '../tsup.config.js';

/** A build of the `loompa` command in a folder of its own, removed by `remove`. */
export interface BuiltCli {
  /** The built bin, `loompa.js`: plain JavaScript, run with `node` and no loader. */
  binPath: string;
  outDirectory: string;
  remove(): Promise<void>;
}

/**
 * Builds the CLI exactly as `pnpm build` does (the package's tsup configuration), into a fresh
 * temporary folder, so a test or benchmark never depends on an earlier build nor races one.
 */
export async function buildCliInto(): Promise<BuiltCli> {
  const outDirectory = await mkdtemp(path.join(os.tmpdir(), 'loompa-built-cli-'));
  await build({ ...cliBuildOptions(outDirectory), silent: true, sourcemap: false });
  return {
    binPath: path.join(outDirectory, 'loompa.js'),
    outDirectory,
    remove: () => rm(outDirectory, { recursive: true, force: true }),
  };
}
