import { randomUUID } from 'node:crypto';
import { link, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from '../processes/process-state.js';
import { runGit } from './run-git.js';

/**
 * Git keeps the metadata of every worktree in the repository's common directory and writes a
 * new worktree's entry file by file. Any git command that lists the worktrees (`worktree add`
 * checks the branch is not checked out elsewhere) dies on an entry another process is still
 * writing ("failed to read .git/worktrees/<name>/commondir"), and a `worktree prune` can delete
 * it half-made. So every Loompa process changes (and lists) a repository's worktrees only
 * while holding this lock: a file in the common directory, created atomically and exclusively,
 * naming its holder. Two orchestrator instances on one repository, scm-local's temporary
 * worktrees and scheduled triage all take turns through it.
 *
 * A lock left by a crash is taken over: at once when its holder was a process on this host that
 * is gone, otherwise once the holder stopped refreshing it for `abandonedAfterMs` (a holder
 * refreshes it every few seconds while it works, so only a dead or frozen holder's lock ages).
 */

const lockFileName = 'loompa-worktrees.lock';

export interface WorktreeLockOptions {
  /** A lock not refreshed for this long is taken to be left behind. Default 10 minutes. */
  abandonedAfterMs?: number;
  /** How often the holder refreshes its lock. Default 5 seconds. */
  refreshEveryMs?: number;
}

interface LockHolder {
  pid: number;
  host: string;
  token: string;
}

function isErrorCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

/** The repository's common git directory (shared by the checkout and all its worktrees). */
async function commonDirectoryOf(checkout: string): Promise<string> {
  const result = await runGit(['rev-parse', '--git-common-dir'], { cwd: checkout });
  return path.resolve(checkout, result.stdout);
}

/** Runs `work` while this process holds the worktree lock of the repository `checkout` belongs to. */
export async function withWorktreeLock<Result>(
  checkout: string,
  work: () => Promise<Result>,
  options: WorktreeLockOptions = {},
): Promise<Result> {
  const lockPath = path.join(await commonDirectoryOf(checkout), lockFileName);
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), token: randomUUID() };
  await acquire(lockPath, holder, options.abandonedAfterMs ?? 600_000);
  const refreshEveryMs = options.refreshEveryMs ?? 5_000;
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, refreshEveryMs);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await release(lockPath, holder);
  }
}

async function acquire(lockPath: string, holder: LockHolder, abandonedAfterMs: number): Promise<void> {
  // Written whole to a private file, then hard-linked into place: the link fails while the
  // lock exists, and nobody ever reads a half-written holder.
  const pending = `${lockPath}.${holder.token}.tmp`;
  await writeFile(pending, `${JSON.stringify(holder)}\n`, { flag: 'wx' });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await link(pending, lockPath);
        return;
      } catch (error) {
        if (!isErrorCode(error, 'EEXIST')) throw error;
      }
      const current = await readLock(lockPath);
      if (current && isAbandoned(current, abandonedAfterMs)) await takeOver(lockPath, current.text);
      else await sleep(Math.min(10 * attempt, 100));
    }
  } finally {
    await rm(pending, { force: true });
  }
}

/** The lock as it is now, or null when it is gone (released between our tries). */
async function readLock(
  lockPath: string,
): Promise<{ text: string; holder: LockHolder | null; ageMs: number } | null> {
  try {
    const [text, stats] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      // Unreadable: written by something else; only its age can free it.
    }
    return { text, holder, ageMs: Date.now() - stats.mtimeMs };
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function isAbandoned(lock: { holder: LockHolder | null; ageMs: number }, abandonedAfterMs: number): boolean {
  const { holder } = lock;
  if (
    holder &&
    holder.host === os.hostname() &&
    Number.isInteger(holder.pid) &&
    !isProcessAlive(holder.pid)
  ) {
    return true;
  }
  return lock.ageMs > abandonedAfterMs;
}

/**
 * Removes an abandoned lock. It is moved aside first (one atomic step) and checked to be the
 * one judged abandoned: a lock another waiter took in between goes back in place (only a
 * third waiter linking its own lock in that same instant, after a crash, could slip past).
 */
async function takeOver(lockPath: string, abandonedText: string): Promise<void> {
  const aside = `${lockPath}.${randomUUID()}.abandoned`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return;
    throw error;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== abandonedText) await link(aside, lockPath).catch(() => {});
  } finally {
    await rm(aside, { force: true });
  }
}

async function release(lockPath: string, holder: LockHolder): Promise<void> {
  const current = await readLock(lockPath);
  if (current?.holder?.token === holder.token) await rm(lockPath, { force: true });
}
