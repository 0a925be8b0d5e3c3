import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loompaGitIdentity, runGit } from '@loompa/core';

/**
 * What the fake GitLab does to a project's bare repository: read branches, judge whether a
 * source branch merges cleanly, rebase it (as GitLab's asynchronous rebase does) and merge
 * it. Every answer comes from real git, so conflicts are real conflicts.
 */

const identity = {
  ...loompaGitIdentity,
  GIT_AUTHOR_NAME: 'Fake GitLab',
  GIT_AUTHOR_EMAIL: 'fake-gitlab@localhost',
  GIT_COMMITTER_NAME: 'Fake GitLab',
  GIT_COMMITTER_EMAIL: 'fake-gitlab@localhost',
};

export async function createBareRepository(repositoryPath: string, defaultBranch: string): Promise<void> {
  await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, repositoryPath], {
    cwd: os.tmpdir(),
  });
  // Smart HTTP refuses pushes unless the repository opts in.
  await runGit(['config', 'http.receivepack', 'true'], { cwd: repositoryPath });
}

/**
 * Copies a fork's branch into the target repository under `ref` (GitLab keeps a fork merge
 * request's head as `refs/merge-requests/<iid>/head`), so mergeability is judged on real commits.
 */
export async function fetchForkHead(
  targetRepositoryPath: string,
  sourceRepositoryPath: string,
  branch: string,
  ref: string,
): Promise<void> {
  await runGit(['fetch', '--quiet', '--force', sourceRepositoryPath, `refs/heads/${branch}:${ref}`], {
    cwd: targetRepositoryPath,
  });
}

/** Every branch and its head commit. */
export async function readBranchHeads(repositoryPath: string): Promise<Map<string, string>> {
  const result = await runGit(['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads/'], {
    cwd: repositoryPath,
  });
  const heads = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [name, sha] = line.split(' ');
    if (name && sha) heads.set(name, sha);
  }
  return heads;
}

export async function readBranchHead(repositoryPath: string, branch: string): Promise<string | null> {
  const result = await runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
    cwd: repositoryPath,
    allowFailure: true,
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/**
 * What a pipeline schedule's ref names, as GitLab reads it: `refs/heads/…` or `refs/tags/…`
 * written out, else a branch of that name, else a tag. Null when neither exists.
 */
export async function resolveScheduleRef(
  repositoryPath: string,
  ref: string,
): Promise<{ name: string; sha: string; tag: boolean } | null> {
  const candidates = ref.startsWith('refs/heads/')
    ? [{ name: ref.slice('refs/heads/'.length), tag: false }]
    : ref.startsWith('refs/tags/')
      ? [{ name: ref.slice('refs/tags/'.length), tag: true }]
      : [
          { name: ref, tag: false },
          { name: ref, tag: true },
        ];
  for (const candidate of candidates) {
    const fullRef = `${candidate.tag ? 'refs/tags' : 'refs/heads'}/${candidate.name}`;
    const result = await runGit(['rev-parse', '--verify', '--quiet', `${fullRef}^{commit}`], {
      cwd: repositoryPath,
      allowFailure: true,
    });
    if (result.exitCode === 0) return { ...candidate, sha: result.stdout.trim() };
  }
  return null;
}

/** The content of `file` at `commit`, or null when the tree has no such file. */
export async function readFileAt(
  repositoryPath: string,
  commit: string,
  file: string,
): Promise<string | null> {
  const result = await runGit(['show', `${commit}:${file}`], { cwd: repositoryPath, allowFailure: true });
  return result.exitCode === 0 ? result.stdout : null;
}

async function isAncestor(repositoryPath: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], {
    cwd: repositoryPath,
    allowFailure: true,
  });
  return result.exitCode === 0;
}

/** A tree merging both commits, or null when they conflict. */
async function mergedTree(repositoryPath: string, target: string, source: string): Promise<string | null> {
  const result = await runGit(['merge-tree', '--write-tree', '--no-messages', target, source], {
    cwd: repositoryPath,
    allowFailure: true,
  });
  return result.exitCode === 0 ? result.stdout.split('\n')[0]!.trim() : null;
}

/**
 * GitLab's git-side mergeability: `conflict` when a merge would conflict, `need_rebase` when
 * the project fast-forwards and the target moved on, `clean` otherwise.
 */
export async function checkMergeability(
  repositoryPath: string,
  target: string,
  source: string,
  fastForwardOnly: boolean,
): Promise<'conflict' | 'need_rebase' | 'clean'> {
  if (await isAncestor(repositoryPath, target, source)) return 'clean';
  if ((await mergedTree(repositoryPath, target, source)) === null) return 'conflict';
  return fastForwardOnly ? 'need_rebase' : 'clean';
}

/**
 * Rebases `branch` onto `onto` in a throwaway worktree and moves the branch, as GitLab's
 * rebase worker does; resolves the new head, or null when the rebase conflicts.
 */
export async function rebaseBranch(
  repositoryPath: string,
  branch: string,
  expectedHead: string,
  onto: string,
): Promise<string | null> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'fake-gitlab-rebase-'));
  const worktree = path.join(scratch, 'worktree');
  try {
    await runGit(['worktree', 'add', '--quiet', '--detach', worktree, expectedHead], { cwd: repositoryPath });
    const rebased = await runGit(['rebase', '--quiet', onto], {
      cwd: worktree,
      env: identity,
      allowFailure: true,
    });
    if (rebased.exitCode !== 0) {
      await runGit(['rebase', '--abort'], { cwd: worktree, allowFailure: true });
      return null;
    }
    const head = (await runGit(['rev-parse', 'HEAD'], { cwd: worktree })).stdout.trim();
    await runGit(['update-ref', `refs/heads/${branch}`, head, expectedHead], { cwd: repositoryPath });
    return head;
  } finally {
    await runGit(['worktree', 'remove', '--force', worktree], { cwd: repositoryPath, allowFailure: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Lands `source` on `targetBranch` the way the project merges: a fast-forward (`ff`, which
 * needs the target to be an ancestor) or a merge commit. Resolves the new target head, or
 * null when it cannot be done without a rebase or a conflict resolution.
 */
export async function mergeIntoTarget(
  repositoryPath: string,
  targetBranch: string,
  source: string,
  options: { fastForwardOnly: boolean; message: string; squash: boolean },
): Promise<{ head: string; mergeCommit: string | null; squashCommit: string | null } | null> {
  const target = await readBranchHead(repositoryPath, targetBranch);
  if (target === null) return null;
  const sourceOnTop = await isAncestor(repositoryPath, target, source);
  if (options.fastForwardOnly && !sourceOnTop) return null;
  let landed = source;
  let squashCommit: string | null = null;
  if (options.squash) {
    const tree = await mergedTree(repositoryPath, target, source);
    if (tree === null) return null;
    landed = (
      await runGit(['commit-tree', tree, '-p', target, '-m', options.message], {
        cwd: repositoryPath,
        env: identity,
      })
    ).stdout.trim();
    squashCommit = landed;
  }
  if (options.fastForwardOnly || (sourceOnTop && options.squash)) {
    await runGit(['update-ref', `refs/heads/${targetBranch}`, landed, target], { cwd: repositoryPath });
    return { head: landed, mergeCommit: null, squashCommit };
  }
  const tree = await mergedTree(repositoryPath, target, landed);
  if (tree === null) return null;
  const mergeCommit = (
    await runGit(['commit-tree', tree, '-p', target, '-p', landed, '-m', options.message], {
      cwd: repositoryPath,
      env: identity,
    })
  ).stdout.trim();
  await runGit(['update-ref', `refs/heads/${targetBranch}`, mergeCommit, target], { cwd: repositoryPath });
  return { head: mergeCommit, mergeCommit, squashCommit };
}

export async function deleteBranch(repositoryPath: string, branch: string): Promise<void> {
  await runGit(['update-ref', '-d', `refs/heads/${branch}`], { cwd: repositoryPath, allowFailure: true });
}
