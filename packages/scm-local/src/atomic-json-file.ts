import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ScmError } from '@loompa/core';

/**
 * Writes JSON so a reader (or a restart after a crash) sees either the old file or the new
 * one, never half of it: write a sibling temporary file, flush it, then rename over.
 */
export async function writeJsonFileAtomically(filePath: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(filePath), { recursive: true });
  const temporaryPath = `${filePath}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await fs.open(temporaryPath, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporaryPath, filePath);
  } catch (error) {
    await fs.rm(temporaryPath, { force: true });
    throw error;
  }
}

/** Parses a JSON file; null when it does not exist. A corrupt file is an error naming it. */
export async function readJsonFile<Value>(filePath: string): Promise<Value | null> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as Value;
  } catch (error) {
    throw new ScmError(`${filePath} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
      details: { file: filePath },
    });
  }
}
