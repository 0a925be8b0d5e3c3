import type { CheckResult, ContinuousIntegrationState } from '@loompa/core';
import type { GitLabClient } from '@loompa/gitlab-client';

/**
 * CI for one head: the jobs of its pipeline, the jobs of child pipelines reached through
 * bridges, and external commit statuses. Check ids say where the log is: `job:<id>` or
 * `status:<id>`.
 */

interface JobFields {
  id: number;
  name: string;
  status: string;
  allow_failure?: boolean;
  web_url?: string;
  /** On failed jobs: `script_failure`, `runner_system_failure`, `stuck_or_timeout_failure`, … */
  failure_reason?: string | null;
}

interface BridgeFields {
  name: string;
  downstream_pipeline?: { id: number } | null;
}

interface CommitStatusFields {
  id: number;
  name: string;
  status: string;
  allow_failure?: boolean;
  target_url?: string | null;
}

/** Child pipelines followed below the head pipeline (children of children included). */
const maximumPipelineDepth = 2;

export function checkState(status: string, allowFailure = false): CheckResult['state'] {
  switch (status) {
    case 'success':
      return 'success';
    case 'failed':
    case 'canceled':
      // A job allowed to fail does not fail the pipeline; it is reported but not acted on.
      return allowFailure ? 'skipped' : 'failure';
    case 'skipped':
    case 'manual':
      return 'skipped';
    default:
      // created, pending, running, preparing, waiting_for_resource, scheduled, …
      return 'pending';
  }
}

/**
 * What failure classification reads of a failed job: GitLab's `failure_reason` (the
 * classifier knows the machinery's reasons, such as `runner_system_failure`), or `canceled`.
 */
export function jobConclusion(job: Pick<JobFields, 'status' | 'failure_reason'>): string | null {
  if (job.status === 'canceled') return 'canceled';
  if (job.status === 'failed') return job.failure_reason ?? null;
  return null;
}

export function rollUpChecks(checks: readonly CheckResult[]): ContinuousIntegrationState {
  if (checks.length === 0) return 'none';
  if (checks.some((check) => check.state === 'failure')) return 'failure';
  if (checks.some((check) => check.state === 'pending')) return 'pending';
  return 'success';
}

/** The latest jobs of a pipeline and of its child pipelines; call inside `client.call`. */
export async function pipelineJobs(
  client: GitLabClient,
  project: string,
  pipelineId: number,
  prefix: string,
  depth: number,
): Promise<CheckResult[]> {
  const jobs = (await client.api.Jobs.all(project, {
    pipelineId,
    ...client.pageLimits,
  })) as unknown as JobFields[];
  const checks: CheckResult[] = jobs.map((job) => {
    const state = checkState(job.status, job.allow_failure);
    return {
      id: `job:${job.id}`,
      name: `${prefix}${job.name}`,
      state,
      url: job.web_url ?? null,
      ...(state === 'failure' ? { conclusion: jobConclusion(job) } : {}),
    };
  });
  if (depth >= maximumPipelineDepth) return checks;
  const bridges = (await client.api.Jobs.allPipelineBridges(project, pipelineId, {
    ...client.pageLimits,
  } as never)) as unknown as BridgeFields[];
  for (const bridge of bridges) {
    if (!bridge.downstream_pipeline) continue;
    checks.push(
      ...(await pipelineJobs(
        client,
        project,
        bridge.downstream_pipeline.id,
        `${prefix}${bridge.name} / `,
        depth + 1,
      )),
    );
  }
  return checks;
}

/** Every check of `headSha`; call inside `client.call` so the abort signal applies. */
export async function readChecks(
  client: GitLabClient,
  project: string,
  headSha: string | null,
  headPipelineId: number | null,
): Promise<CheckResult[]> {
  const checks = headPipelineId === null ? [] : await pipelineJobs(client, project, headPipelineId, '', 0);
  if (headSha === null) return checks;
  const statuses = (await client.api.Commits.allStatuses(project, headSha, {
    ...client.pageLimits,
  } as never)) as unknown as CommitStatusFields[];
  // GitLab lists its own jobs as commit statuses too; those are already counted.
  const jobNames = new Set(checks.map((check) => check.name));
  for (const status of statuses) {
    if (jobNames.has(status.name)) continue;
    checks.push({
      id: `status:${status.id}`,
      name: status.name,
      state: checkState(status.status, status.allow_failure),
      url: status.target_url ?? null,
    });
  }
  return checks;
}
