import type { CheckResult } from '@loompa/core';
import type { LoompaOctokitInstance } from '@loompa/github-client';

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: number }).status === status;
}

/**
 * Re-runs failed checks the GitHub way: a check run of GitHub Actions is a job (its id is the
 * job id), and a job is re-run by re-running the failed jobs of its workflow run. Each workflow
 * run is asked once, however many of its jobs failed. Checks of other Apps and commit
 * statuses cannot be re-run from here; when nothing could be, the call fails, so core counts
 * the re-run as used instead of asking again.
 */
export async function rerunFailedJobs(
  octokit: LoompaOctokitInstance,
  options: {
    owner: string;
    repo: string;
    checks: readonly CheckResult[];
    abortSignal?: AbortSignal | undefined;
  },
): Promise<number[]> {
  const repository = { owner: options.owner, repo: options.repo };
  const signal = options.abortSignal ? { request: { signal: options.abortSignal } } : {};
  const runIds = new Set<number>();
  for (const check of options.checks) {
    const match = /^check-run:(\d+)$/.exec(check.id);
    if (!match) continue;
    try {
      const { data: job } = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
        ...repository,
        job_id: Number(match[1]),
        ...signal,
      });
      runIds.add(Number(job.run_id));
    } catch (error) {
      // 404: a check run of another App, not an Actions job.
      if (!isStatus(error, 404)) throw error;
    }
  }
  if (runIds.size === 0) {
    throw new Error(
      `none of ${options.checks.map((check) => `"${check.name}"`).join(', ')} is a GitHub Actions job; only those can be re-run`,
    );
  }
  for (const runId of runIds) {
    await octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs', {
      ...repository,
      run_id: runId,
      ...signal,
    });
  }
  return [...runIds];
}
