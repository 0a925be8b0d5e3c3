import type { CheckResult, WorkflowRun } from '@loompa/core';
import type { LoompaOctokitInstance } from '@loompa/github-client';
import { checkRunId, checkRunState } from './check-rollup.js';

type Repository = { owner: string; repo: string };
type Signal = { abortSignal?: AbortSignal | undefined };

const requestSignal = (options: Signal) =>
  options.abortSignal ? { request: { signal: options.abortSignal } } : {};

/** A workflow run's state: only a completed run has a conclusion. */
function runState(status: string | null, conclusion: string | null): WorkflowRun['state'] {
  if (status !== 'completed') return 'pending';
  return conclusion === 'success' || conclusion === 'neutral' || conclusion === 'skipped'
    ? 'success'
    : 'failure';
}

/**
 * The latest runs of each watched workflow (a file name such as `nightly.yml`, or a workflow
 * id) on the repository's default branch: scheduled and pushed runs alike, never the runs of
 * pull requests.
 */
export async function listDefaultBranchRuns(
  octokit: LoompaOctokitInstance,
  options: Repository & Signal & { workflows: readonly string[]; perWorkflow: number },
): Promise<WorkflowRun[]> {
  const repository = { owner: options.owner, repo: options.repo };
  const { data: repositoryData } = await octokit.request('GET /repos/{owner}/{repo}', {
    ...repository,
    ...requestSignal(options),
  });
  const runs: WorkflowRun[] = [];
  for (const workflow of options.workflows) {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
      ...repository,
      workflow_id: workflow,
      branch: repositoryData.default_branch,
      exclude_pull_requests: true,
      per_page: Math.min(100, options.perWorkflow),
      ...requestSignal(options),
    });
    for (const run of data.workflow_runs) {
      runs.push({
        id: String(run.id),
        workflow,
        headSha: run.head_sha,
        branch: run.head_branch ?? repositoryData.default_branch,
        state: runState(run.status, run.conclusion),
        url: run.html_url,
        createdAt: new Date(run.created_at),
      });
    }
  }
  return runs;
}

/** The failed jobs of a run's latest attempt, as checks whose ids `readCheckLog` reads. */
export async function listFailedRunJobs(
  octokit: LoompaOctokitInstance,
  options: Repository & Signal & { run: WorkflowRun },
): Promise<CheckResult[]> {
  // One page of 100: a workflow run with more jobs than that is rare, and its first failures say enough.
  const {
    data: { jobs },
  } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', {
    owner: options.owner,
    repo: options.repo,
    run_id: Number(options.run.id),
    filter: 'latest',
    per_page: 100,
    ...requestSignal(options),
  });
  return jobs
    .filter((job) => checkRunState(job.status, job.conclusion) === 'failure')
    .map((job) => ({
      id: checkRunId(Number(job.id)),
      name: job.name,
      state: 'failure' as const,
      url: job.html_url,
      conclusion: job.conclusion,
    }));
}
