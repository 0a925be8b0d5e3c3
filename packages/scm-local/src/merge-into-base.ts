import { type MergeMethod, ScmError, withWorktreeLock } from '@loompa/core';
import { committerEnvironment, resolveCommit, runGit } from './run-git.js';
import type { TemporaryWorktrees } from './temporary-worktree.js';

export interface MergeIntoBaseOptions {
  repositoryPath: string;
  worktrees: TemporaryWorktrees;
  baseBranch: string;
  branch: string;
  headSha: string;
  method: MergeMethod;
  /** Message of the commit `squash` and `merge` create. */
  message: string;
}

/**
 * Lands `headSha` on the base branch and returns the base's new tip. The change's own branch
 * is left where it is (as forges leave a pull request's branch), so a worktree that has it
 * checked out never sees its branch move underneath it.
 */
export async function mergeIntoBase(options: MergeIntoBaseOptions): Promise<string> {
  const { repositoryPath } = options;
  const baseRef = `refs/heads/${options.baseBranch}`;
  const baseSha = await resolveCommit(repositoryPath, baseRef);
  if (!baseSha) {
    throw new ScmError(`The base branch "${options.baseBranch}" does not exist in ${repositoryPath}`, {
      details: { reason: 'base_missing', baseBranch: options.baseBranch },
    });
  }
  const environment = await committerEnvironment(repositoryPath);
  const newBaseSha = await buildMergedCommit(options, baseSha, environment);
  await fastForwardBase(options, baseRef, baseSha, newBaseSha);
  return newBaseSha;
}

async function buildMergedCommit(
  options: MergeIntoBaseOptions,
  baseSha: string,
  environment: Record<string, string>,
): Promise<string> {
  const { repositoryPath, headSha } = options;
  if (options.method === 'rebase') {
    const upToDate = await runGit(['merge-base', '--is-ancestor', baseSha, headSha], {
      cwd: repositoryPath,
      acceptExitCodes: [1],
    });
    if (upToDate.exitCode === 0) return headSha;
    return options.worktrees.withWorktree(headSha, async (directory) => {
      const rebase = await runGit(['rebase', '--no-autosquash', '--no-update-refs', baseSha], {
        cwd: directory,
        environment,
        acceptExitCodes: [1, 128],
      });
      if (rebase.exitCode !== 0) {
        await runGit(['rebase', '--abort'], { cwd: directory, acceptExitCodes: [1, 128] });
        throw conflictError(options);
      }
      return (await runGit(['rev-parse', 'HEAD'], { cwd: directory })).stdout.trim();
    });
  }
  const merged = await runGit(['merge-tree', '--write-tree', '--no-messages', baseSha, headSha], {
    cwd: repositoryPath,
    acceptExitCodes: [1],
  });
  if (merged.exitCode !== 0) throw conflictError(options);
  const tree = merged.stdout.trim().split('\n')[0]!;
  const parents = options.method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
  // A squash keeps the change's author; the committer is whoever merges.
  const authorEnvironment = options.method === 'squash' ? await authorOf(repositoryPath, headSha) : {};
  const commit = await runGit(['commit-tree', tree, ...parents, '-m', options.message], {
    cwd: repositoryPath,
    environment: { ...environment, ...authorEnvironment },
  });
  return commit.stdout.trim();
}

async function authorOf(repositoryPath: string, commit: string): Promise<Record<string, string>> {
  const result = await runGit(['log', '-1', '--format=%an%x00%ae%x00%aI', commit], { cwd: repositoryPath });
  const [name, email, date] = result.stdout.split('\0');
  return { GIT_AUTHOR_NAME: name ?? '', GIT_AUTHOR_EMAIL: email ?? '', GIT_AUTHOR_DATE: date ?? '' };
}

function conflictError(options: MergeIntoBaseOptions): ScmError {
  return new ScmError(
    `Cannot merge "${options.branch}" into "${options.baseBranch}": they conflict; rebase the branch first`,
    { details: { reason: 'conflict', branch: options.branch, baseBranch: options.baseBranch } },
  );
}

/** The worktree (main checkout or linked) that has `branchRef` checked out, if any. */
async function worktreeWithBranch(repositoryPath: string, branchRef: string): Promise<string | null> {
  // Listed under the worktree lock: a worktree another process is adding would fail the listing.
  const listing = await withWorktreeLock(repositoryPath, () =>
    runGit(['worktree', 'list', '--porcelain'], { cwd: repositoryPath }),
  );
  let current: string | null = null;
  for (const line of listing.stdout.split('\n')) {
    if (line.startsWith('worktree ')) current = line.slice('worktree '.length);
    else if (line === `branch ${branchRef}` && current !== null) return current;
  }
  return null;
}

/**
 * Moves the base branch to `newBaseSha` only if it still points at `baseSha`. When a
 * checkout has the base branch checked out, the move is a `git merge --ff-only` in that
 * checkout, so its files follow the branch the way `git pull --ff-only` would: local edits
 * to other files stay, and edits the merge would overwrite make it refuse instead of being
 * lost. Without a checkout, `update-ref` with the old value swaps the ref atomically.
 */
async function fastForwardBase(
  options: MergeIntoBaseOptions,
  baseRef: string,
  baseSha: string,
  newBaseSha: string,
): Promise<void> {
  const checkout = await worktreeWithBranch(options.repositoryPath, baseRef);
  if (checkout === null) {
    const update = await runGit(
      ['update-ref', '-m', `loompa: merge ${options.branch}`, baseRef, newBaseSha, baseSha],
      { cwd: options.repositoryPath, acceptExitCodes: [1, 128] },
    );
    if (update.exitCode !== 0) throw baseMovedError(options);
    return;
  }
  const current = await resolveCommit(checkout, 'HEAD');
  if (current !== baseSha) throw baseMovedError(options);
  const merge = await runGit(['merge', '--ff-only', '--no-edit', '--quiet', newBaseSha], {
    cwd: checkout,
    acceptExitCodes: [1, 128],
  });
  if (merge.exitCode !== 0) {
    throw new ScmError(
      `Cannot fast-forward "${options.baseBranch}" in ${checkout}: ${merge.stderr.trim() || merge.stdout.trim()}. ` +
        'Commit or stash the local changes there, then merge again.',
      { details: { reason: 'base_checkout_blocked', checkout, baseBranch: options.baseBranch } },
    );
  }
}

function baseMovedError(options: MergeIntoBaseOptions): ScmError {
  return new ScmError(`"${options.baseBranch}" moved while "${options.branch}" was being merged; try again`, {
    details: { reason: 'base_moved', baseBranch: options.baseBranch },
  });
}
