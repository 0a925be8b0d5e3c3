import { runGit } from '@loompa/core';
import { retried } from './retried.js';

/**
 * Brings a worker's work into the orchestrator's worktree: the worker pushed the worktree as
 * it left it (one commit on top of the base) to `ref`; here its tree replaces the worktree's
 * files and index while the branch stays where it was, exactly as if the agent had run here.
 * Core then commits and publishes it. The ref is removed afterwards (best effort).
 */
export async function applyRunResult(options: {
  worktree: string;
  repositoryUrl: string;
  ref: string;
  commit: string;
}): Promise<void> {
  const { worktree, repositoryUrl, ref, commit } = options;
  // When the workers push into this very repository the commit is here already; fetching from
  // it would also race the worktrees other attempts are adding to it at the same moment.
  const present = await runGit(['cat-file', '-e', `${commit}^{commit}`], {
    cwd: worktree,
    allowFailure: true,
  });
  if (present.exitCode !== 0) {
    await retried(() => runGit(['fetch', '--quiet', '--no-tags', repositoryUrl, ref], { cwd: worktree }));
    const fetched = (await runGit(['rev-parse', 'FETCH_HEAD'], { cwd: worktree })).stdout.trim();
    if (fetched !== commit) {
      throw new Error(`the run's result ref ${ref} holds ${fetched}, not the ${commit} the worker reported`);
    }
  }
  await runGit(['read-tree', '--reset', '-u', commit], { cwd: worktree });
  // Best effort: a ref left behind is overwritten by the next run of the same job id.
  await retried(() => runGit(['push', '--quiet', repositoryUrl, '--delete', ref], { cwd: worktree })).catch(
    () => {},
  );
}

/**
 * Brings a worker's small result into the orchestrator's worktree: the agent's changes came as
 * a diff from the commit the worktree stands on. A reused worktree first drops what an earlier
 * run left in its tracked files, as taking a result ref does.
 */
export async function applyRunPatch(options: {
  worktree: string;
  diff: string;
  reused: boolean;
}): Promise<void> {
  const { worktree, diff } = options;
  if (options.reused) await runGit(['read-tree', '--reset', '-u', 'HEAD'], { cwd: worktree });
  if (diff === '') return;
  await runGit(['apply', '--index', '--whitespace=nowarn', '-'], { cwd: worktree, input: diff });
}

/** True while `ref` still holds the finished run's work (taking it removes the ref). */
export async function resultUntaken(
  worktree: string,
  repositoryUrl: string,
  ref: string,
  result: { resultCommit: string | null },
): Promise<boolean> {
  if (!result.resultCommit) return false;
  const listed = await runGit(['ls-remote', repositoryUrl, ref], { cwd: worktree, allowFailure: true });
  return listed.exitCode === 0 && listed.stdout.startsWith(result.resultCommit);
}
