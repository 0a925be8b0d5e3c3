import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loompaGitIdentity, runGit } from '@loompa/core';

/**
 * The worktree exactly as the agent must find it, as one commit a worker can fetch: its head
 * when nothing is changed, else a commit on top of the head holding every file as it is (a
 * rebase stopped on conflicts leaves the conflicted files with their markers). A throwaway
 * index keeps the worktree's own index, branch and any rebase in progress untouched.
 */
export async function snapshotWorktree(worktree: string): Promise<string> {
  const head = (await runGit(['rev-parse', 'HEAD'], { cwd: worktree })).stdout.trim();
  const status = await runGit(['status', '--porcelain', '--untracked-files=all'], { cwd: worktree });
  if (status.stdout.trim() === '') return head;
  const index = path.join(os.tmpdir(), `loompa-snapshot-index-${randomUUID()}`);
  try {
    const environment = { GIT_INDEX_FILE: index };
    await runGit(['add', '--all'], { cwd: worktree, env: environment });
    const tree = (await runGit(['write-tree'], { cwd: worktree, env: environment })).stdout.trim();
    const commit = await runGit(
      ['commit-tree', tree, '-p', head, '-m', 'Loompa: the worktree as the reaction found it'],
      { cwd: worktree, env: { ...loompaGitIdentity } },
    );
    return commit.stdout.trim();
  } finally {
    await rm(index, { force: true });
  }
}
