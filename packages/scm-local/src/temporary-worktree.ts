import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, withWorktreeLock } from '@loompa/core';
import { runGit } from './run-git.js';

/**
 * Temporary worktrees (checks, reviews, rebases) live in
 * `<state>/worktrees/<pid>-<random>`: the process id in the name lets a later process tell
 * leftovers of a crashed one from worktrees another live process is still using. They are
 * added and removed under core's worktree lock, in turn with the orchestrators' own worktrees
 * on the same repository (git fails on a worktree entry another process is still writing).
 */
export class TemporaryWorktrees {
  private readonly directory: string;
  private cleanedLeftovers: Promise<void> | null = null;

  constructor(
    private readonly repositoryPath: string,
    stateDirectory: string,
  ) {
    this.directory = path.join(stateDirectory, 'worktrees');
  }

  /** Checks `commit` out, detached, in a fresh worktree, runs `task` there, and removes it. */
  async withWorktree<Result>(commit: string, task: (directory: string) => Promise<Result>): Promise<Result> {
    await this.removeLeftovers();
    await fs.mkdir(this.directory, { recursive: true });
    const directory = path.join(this.directory, `${process.pid}-${randomUUID().slice(0, 8)}`);
    await withWorktreeLock(this.repositoryPath, () =>
      runGit(['worktree', 'add', '--detach', '--quiet', directory, commit], { cwd: this.repositoryPath }),
    );
    try {
      return await task(directory);
    } finally {
      await withWorktreeLock(this.repositoryPath, () =>
        runGit(['worktree', 'remove', '--force', '--force', directory], {
          cwd: this.repositoryPath,
          acceptExitCodes: [128],
        }),
      );
      await fs.rm(directory, { recursive: true, force: true });
    }
  }

  /** Once per instance: removes worktrees whose creating process is gone. */
  removeLeftovers(): Promise<void> {
    this.cleanedLeftovers ??= (async () => {
      let names: string[] = [];
      try {
        names = await fs.readdir(this.directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      for (const name of names) {
        const owner = Number(name.split('-')[0]);
        if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) continue;
        await fs.rm(path.join(this.directory, name), { recursive: true, force: true });
      }
      await withWorktreeLock(this.repositoryPath, () =>
        runGit(['worktree', 'prune'], { cwd: this.repositoryPath }),
      );
    })();
    return this.cleanedLeftovers;
  }
}
