import { runGit } from './run-git.js';

export type BranchRelation = 'clean' | 'behind' | 'conflict';

/**
 * How the head stands against the base: `clean` when the base has nothing the head lacks,
 * `behind` when it has and they merge without conflict, `conflict` when they do not.
 * `merge-tree --write-tree` merges in memory, so no worktree or index is touched.
 */
export async function relateToBase(
  repositoryPath: string,
  baseSha: string,
  headSha: string,
): Promise<BranchRelation> {
  const upToDate = await runGit(['merge-base', '--is-ancestor', baseSha, headSha], {
    cwd: repositoryPath,
    acceptExitCodes: [1],
  });
  if (upToDate.exitCode === 0) return 'clean';
  const merged = await runGit(['merge-tree', '--write-tree', '--no-messages', baseSha, headSha], {
    cwd: repositoryPath,
    acceptExitCodes: [1],
  });
  return merged.exitCode === 0 ? 'behind' : 'conflict';
}

/** Commits the head has that the base lacks. */
export async function countCommitsAhead(
  repositoryPath: string,
  baseSha: string,
  headSha: string,
): Promise<number> {
  const result = await runGit(['rev-list', '--count', `${baseSha}..${headSha}`], { cwd: repositoryPath });
  return Number(result.stdout.trim());
}
