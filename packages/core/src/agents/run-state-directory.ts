import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Calls `use` with the run's state directory: the work item's own when the orchestrator gave
 * one (it outlives the run, so resume finds the session), else a temporary directory named
 * `<prefix>…` that is removed when `use` settles.
 */
export async function withRunStateDirectory<T>(
  stateDirectory: string | undefined,
  prefix: string,
  use: (directory: string) => Promise<T>,
): Promise<T> {
  if (stateDirectory) return use(stateDirectory);
  const temporary = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    return await use(temporary);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
