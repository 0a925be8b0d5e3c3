import { type CheckResult, ScmError } from '@loompa/core';
import { type GitLabClient, GitLabRequestError } from '@loompa/gitlab-client';

const jobCheckPattern = /^job:(\d+)$/;

/**
 * Retries failed jobs the GitLab way: `POST /projects/:id/jobs/:job_id/retry` for each one.
 * Retrying the jobs (not the whole pipeline) starts exactly the checks core chose to re-run,
 * each under a new job id in the same pipeline, which is how core sees that the re-run has
 * started; GitLab then hides the replaced job from the pipeline's job list.
 *
 * External commit statuses cannot be retried from here. A job GitLab calls not retryable (403:
 * someone retried it already, or it was archived) is skipped. When no job could be retried the
 * call fails, so core counts the re-run as used instead of waiting for one that never starts.
 * Returns the ids of the new jobs.
 */
export async function retryFailedJobs(
  client: GitLabClient,
  options: {
    /** The project holding the head pipeline (a fork's, for a merge request from a fork). */
    project: string;
    checks: readonly CheckResult[];
    abortSignal?: AbortSignal | undefined;
  },
): Promise<number[]> {
  const jobIds = [
    ...new Set(
      options.checks.flatMap((check) => {
        const match = jobCheckPattern.exec(check.id);
        return match ? [Number(match[1])] : [];
      }),
    ),
  ];
  const names = options.checks.map((check) => `"${check.name}"`).join(', ');
  if (jobIds.length === 0) {
    throw new ScmError(`none of ${names} is a GitLab CI job; only jobs can be retried`);
  }
  const retried: number[] = [];
  const refused: string[] = [];
  for (const jobId of jobIds) {
    try {
      const job = (await client.call(options.abortSignal, (api) =>
        api.Jobs.retry(options.project, jobId),
      )) as unknown as { id: number };
      retried.push(job.id);
    } catch (error) {
      if (!GitLabRequestError.hasStatus(error, 403)) throw error;
      refused.push(`job ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (retried.length === 0) {
    throw new ScmError(`GitLab retried none of ${names} (${refused.join('; ')})`, {
      details: { refused },
    });
  }
  return retried;
}
