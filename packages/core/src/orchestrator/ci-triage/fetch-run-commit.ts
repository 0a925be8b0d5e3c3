import { describeError } from '../../errors/loompa-error.js';
import { runGit } from '../../git/run-git.js';
import type { PushTarget } from '../../specifications/scm-provider.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';

const commitPresent = (repository: string, sha: string) =>
  runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: repository })
    .then(() => true)
    .catch(() => false);

/**
 * What to ask the remote for, in order: the commit the run built (GitHub and GitLab serve any
 * reachable commit by its sha, and git's protocol v2 asks that way), then the ref the run ran
 * on, for a server that only hands out advertised tips. A run on a tag has no branch of that
 * name: without the provider's full ref, the name is tried as a branch and as a tag.
 */
export function fetchCandidatesOf(run: Pick<WorkflowRun, 'headSha' | 'branch' | 'ref'>): string[] {
  if (run.ref) return [run.headSha, run.ref];
  return [run.headSha, `refs/heads/${run.branch}`, `refs/tags/${run.branch}`];
}

/**
 * Makes the commit a triaged run failed on present in `repository`, fetching it from `remote`
 * when it is missing (a run on a tag, or on a commit the local checkout has not fetched yet).
 * Nothing is written but objects and FETCH_HEAD: no local branch or tag is created or moved.
 */
export async function fetchRunCommit(
  repository: string,
  run: Pick<WorkflowRun, 'id' | 'headSha' | 'branch' | 'ref'>,
  remote: () => Promise<PushTarget | null | undefined>,
  abortSignal?: AbortSignal,
): Promise<void> {
  if (await commitPresent(repository, run.headSha)) return;
  const target = await remote();
  if (!target)
    throw new Error(`the commit ${run.headSha} is not in ${repository} and the provider has no remote`);
  const refused: string[] = [];
  for (const candidate of fetchCandidatesOf(run)) {
    try {
      await runGit(['fetch', '--no-tags', '--no-write-fetch-head', target.remoteUrl, candidate], {
        cwd: repository,
        env: target.environment,
        ...(abortSignal ? { abortSignal } : {}),
      });
    } catch (error) {
      if (abortSignal?.aborted) throw error;
      refused.push(`${candidate}: ${describeError(error)}`);
      continue;
    }
    if (await commitPresent(repository, run.headSha)) return;
    refused.push(`${candidate}: fetched, but it does not hold the commit`);
  }
  throw new Error(
    `the commit ${run.headSha} of run ${run.id} could not be fetched from the remote:\n${refused.join('\n')}`,
  );
}
