import { randomUUID } from 'node:crypto';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskWriteConflictError } from './task-errors.js';

/**
 * Writes that never leave a half-written task file and never overwrite someone else's edit.
 * Temporary files start with a dot so directory listings and watchers ignore them.
 */

function temporaryPathFor(filePath: string): string {
  return path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${randomUUID()}.tmp`);
}

function isErrorCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

/** Reads a file, or null when it does not exist. */
export async function readFileIfPresent(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

/**
 * Creates `filePath` with `text` only if nothing exists there, atomically: the content is
 * written to a temporary file first and hard-linked into place (a link fails when the target
 * exists, like O_EXCL, and readers never see a partial file). Returns false when the path is taken.
 */
export async function createFileExclusively(filePath: string, text: string): Promise<boolean> {
  const temporaryPath = temporaryPathFor(filePath);
  await writeFile(temporaryPath, text, { flag: 'wx' });
  try {
    await link(temporaryPath, filePath);
    return true;
  } catch (error) {
    if (isErrorCode(error, 'EEXIST')) return false;
    if (!isErrorCode(error, 'EPERM') && !isErrorCode(error, 'ENOTSUP') && !isErrorCode(error, 'EXDEV')) {
      throw error;
    }
    // Filesystems without hard links: exclusive create, accepting a brief partial file.
    try {
      await writeFile(filePath, text, { flag: 'wx' });
      return true;
    } catch (fallbackError) {
      if (isErrorCode(fallbackError, 'EEXIST')) return false;
      throw fallbackError;
    }
  } finally {
    await rm(temporaryPath, { force: true });
  }
}

export interface ReplaceFileOptions {
  /** Attempts before giving up with `TaskWriteConflictError`. */
  maxAttempts?: number;
}

/**
 * Read-modify-write with conflict detection. `compute` gets the file as read and returns the
 * new text (or null for "no change"). Just before the atomic rename the file is read again; if
 * it differs from what `compute` saw (a person saved in an editor, another process wrote), the
 * new text is discarded and `compute` runs again on the fresh file, so their edit survives.
 * Resolves to the text written, or null when nothing changed. A file that vanished rejects
 * with the ENOENT of the next read.
 */
export async function replaceFileChecked(
  filePath: string,
  compute: (current: string) => Promise<string | null> | string | null,
  options: ReplaceFileOptions = {},
): Promise<string | null> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const original = await readFile(filePath, 'utf8');
    const next = await compute(original);
    if (next === null || next === original) return null;
    const temporaryPath = temporaryPathFor(filePath);
    await writeFile(temporaryPath, next, { flag: 'wx' });
    try {
      const current = await readFileIfPresent(filePath);
      if (current === original) {
        await rename(temporaryPath, filePath);
        return next;
      }
    } finally {
      await rm(temporaryPath, { force: true });
    }
    // Back off a little so a writer in the middle of saving can finish.
    await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
  }
  throw new TaskWriteConflictError(filePath, maxAttempts);
}

export interface FileLockOptions {
  /** Give up after waiting this long for another writer's lock. */
  timeoutMs?: number;
  /** A lock older than this is taken to be left behind by a crash. */
  staleMs?: number;
}

function lockHolderIsGone(lockText: string): boolean {
  const pid = Number(lockText.trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return isErrorCode(error, 'ESRCH');
  }
}

/**
 * Runs `work` while holding `<file>.lock` (a hidden sibling created exclusively), so the
 * tracker's own writers in several processes (the orchestrator, the CLI) take turns instead of
 * racing between their conflict check and their rename. People's editors ignore the lock; the
 * conflict check of `replaceFileChecked` protects their edits. A lock whose process is gone, or
 * that is older than `staleMs`, is removed.
 */
export async function withFileLock<Result>(
  filePath: string,
  work: () => Promise<Result>,
  options: FileLockOptions = {},
): Promise<Result> {
  const lockPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.lock`);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    const holder = await readFileIfPresent(lockPath);
    const age = await stat(lockPath).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => 0,
    );
    if (holder !== null && (lockHolderIsGone(holder) || age > staleMs)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new TaskWriteConflictError(filePath, attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5 * attempt, 50)));
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
