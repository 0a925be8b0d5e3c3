import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyTokenUsage, jsonObjectOrNull, numberOrZero, type TokenUsage } from '@loompa/core';

/**
 * Codex reports usage cumulative for the whole thread, resumes included, and nothing per run.
 * The thread's total after each run is kept in the work item's state directory, so a resume
 * reports only its own share.
 */

const usageDirectoryName = 'loompa-thread-usage';
const safeThreadId = /^[A-Za-z0-9_-]+$/;

function usageFile(stateDirectory: string, threadId: string): string | null {
  return safeThreadId.test(threadId)
    ? path.join(stateDirectory, usageDirectoryName, `${threadId}.json`)
    : null;
}

/** The thread's cumulative usage after its last recorded run; zero when none was recorded. */
export async function readThreadUsage(stateDirectory: string, threadId: string): Promise<TokenUsage> {
  const file = usageFile(stateDirectory, threadId);
  if (file === null) return emptyTokenUsage();
  try {
    const stored = jsonObjectOrNull(JSON.parse(await readFile(file, 'utf8'))) ?? {};
    return {
      inputTokens: numberOrZero(stored.inputTokens),
      outputTokens: numberOrZero(stored.outputTokens),
      cacheReadTokens: numberOrZero(stored.cacheReadTokens),
      cacheWriteTokens: numberOrZero(stored.cacheWriteTokens),
    };
  } catch {
    return emptyTokenUsage();
  }
}

/** Records the thread's cumulative usage after a run. */
export async function writeThreadUsage(
  stateDirectory: string,
  threadId: string,
  usage: TokenUsage,
): Promise<void> {
  const file = usageFile(stateDirectory, threadId);
  if (file === null) return;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(usage)}\n`);
}
