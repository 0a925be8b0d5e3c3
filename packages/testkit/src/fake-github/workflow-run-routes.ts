import type { FakeCheckRun, FakeGitHubModel, FakeRepository } from './fake-github-model.js';
import type { FakePullRequests } from './fake-pull-requests.js';
import {
  FakeGitHubHttpError,
  notFound,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';
import { isoTime, repositoryJson, repositoryUrl } from './wire-shapes.js';

/**
 * GitHub Actions workflow runs, as the fake keeps them: a run is the Actions check runs that
 * share a run id (each check run is a job, its id the job id). Re-running failed jobs adds an
 * attempt: new check runs of the same names on the same commit, concluding as the job's
 * `rerun` says. Scheduled runs are seeded with `seedWorkflowRun`.
 */

type ActionsCheckRun = FakeCheckRun & { actions: NonNullable<FakeCheckRun['actions']> };

const defaultWorkflowPath = '.github/workflows/ci.yml';
const passingConclusions = new Set(['success', 'neutral', 'skipped']);

function actionsRunsOf(repository: FakeRepository): ActionsCheckRun[] {
  return repository.checkRuns.filter((run): run is ActionsCheckRun => run.actions !== null);
}

/** The latest attempt of each job of a workflow run (the highest check run id per name). */
function latestJobs(jobs: readonly ActionsCheckRun[]): ActionsCheckRun[] {
  const latest = new Map<string, ActionsCheckRun>();
  for (const job of jobs) {
    const earlier = latest.get(job.name);
    if (!earlier || job.id > earlier.id) latest.set(job.name, job);
  }
  return [...latest.values()];
}

interface FakeWorkflowRun {
  id: number;
  jobs: ActionsCheckRun[];
}

function workflowRunsOf(repository: FakeRepository): FakeWorkflowRun[] {
  const byId = new Map<number, ActionsCheckRun[]>();
  for (const job of actionsRunsOf(repository))
    byId.set(job.actions.runId, [...(byId.get(job.actions.runId) ?? []), job]);
  return [...byId.entries()].map(([id, jobs]) => ({ id, jobs }));
}

function workflowRunFor(context: RouteContext, repository: FakeRepository): FakeWorkflowRun {
  const run = workflowRunsOf(repository).find(
    (candidate) => candidate.id === Number(context.parameters.run_id),
  );
  if (!run) throw notFound();
  return run;
}

/** A job as `GET /actions/jobs/{job_id}` and the jobs list answer it. */
export function actionsJobJson(
  baseUrl: string,
  repository: FakeRepository,
  run: ActionsCheckRun,
): Record<string, unknown> {
  const base = repositoryUrl(baseUrl, repository);
  const { runId, workflowName } = run.actions;
  return {
    id: run.id,
    node_id: Buffer.from(`WorkflowJob:${run.id}`).toString('base64'),
    run_id: runId,
    run_url: `${base}/actions/runs/${runId}`,
    run_attempt: run.actions.attempt ?? 1,
    head_sha: run.headSha,
    workflow_name: workflowName,
    head_branch: run.headBranch,
    name: run.name,
    url: `${base}/actions/jobs/${run.id}`,
    html_url: `${baseUrl}/${repository.owner}/${repository.name}/actions/runs/${runId}/job/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: isoTime(run.startedAt),
    completed_at: run.completedAt === null ? null : isoTime(run.completedAt),
    check_run_url: `${base}/check-runs/${run.id}`,
    labels: ['ubuntu-latest'],
    runner_id: 1,
    runner_name: 'GitHub Actions 1',
    runner_group_id: 1,
    runner_group_name: 'GitHub Actions',
    created_at: isoTime(run.startedAt),
    steps: [],
  };
}

function workflowRunJson(context: RouteContext, repository: FakeRepository, run: FakeWorkflowRun) {
  const latest = latestJobs(run.jobs);
  const first = run.jobs[0]!;
  const base = repositoryUrl(context.baseUrl, repository);
  const completed = latest.every((job) => job.status === 'completed');
  const conclusion = completed
    ? latest.every((job) => passingConclusions.has(job.conclusion ?? ''))
      ? 'success'
      : (latest.find((job) => !passingConclusions.has(job.conclusion ?? ''))?.conclusion ?? 'failure')
    : null;
  const { has_downloads: _unused, ...minimalRepository } = {
    ...repositoryJson(context.baseUrl, context.model, repository),
    has_downloads: true,
  };
  const path = first.actions.workflowPath ?? defaultWorkflowPath;
  const updatedAt = Math.max(...run.jobs.map((job) => job.completedAt ?? job.startedAt));
  return {
    id: run.id,
    name: first.actions.workflowName,
    node_id: Buffer.from(`WorkflowRun:${run.id}`).toString('base64'),
    head_branch: first.headBranch,
    head_sha: first.headSha,
    path,
    display_title: first.actions.workflowName,
    run_number: run.id,
    run_attempt: Math.max(...run.jobs.map((job) => job.actions.attempt ?? 1)),
    event: first.actions.event ?? 'push',
    status: completed ? 'completed' : 'in_progress',
    conclusion,
    workflow_id: workflowIdOf(path),
    url: `${base}/actions/runs/${run.id}`,
    html_url: `${context.baseUrl}/${repository.owner}/${repository.name}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: isoTime(Math.min(...run.jobs.map((job) => job.startedAt))),
    updated_at: isoTime(updatedAt),
    jobs_url: `${base}/actions/runs/${run.id}/jobs`,
    logs_url: `${base}/actions/runs/${run.id}/logs`,
    check_suite_url: `${base}/check-suites/${run.id + 1}`,
    artifacts_url: `${base}/actions/runs/${run.id}/artifacts`,
    cancel_url: `${base}/actions/runs/${run.id}/cancel`,
    rerun_url: `${base}/actions/runs/${run.id}/rerun`,
    workflow_url: `${base}/actions/workflows/${workflowIdOf(path)}`,
    head_commit: null,
    repository: minimalRepository,
    head_repository: minimalRepository,
  };
}

/** A stable numeric workflow id per workflow file, as GitHub has one. */
function workflowIdOf(path: string): number {
  let hash = 0;
  for (const character of path) hash = (hash * 31 + character.charCodeAt(0)) % 1_000_000_007;
  return hash;
}

const listWorkflowRuns: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const workflow = context.parameters.workflow_id ?? '';
  const { branch, event, status } = context.query;
  const runs = workflowRunsOf(repository)
    .map((run) => workflowRunJson(context, repository, run))
    .filter(
      (run) =>
        (run.path.split('/').at(-1) === workflow ||
          String(run.workflow_id) === workflow ||
          run.path === workflow) &&
        (branch === undefined || run.head_branch === branch) &&
        (event === undefined || run.event === event) &&
        (status === undefined || run.status === status || run.conclusion === status),
    )
    .sort((left, right) => right.id - left.id);
  const perPage = Math.min(100, Number(context.query.per_page ?? 30) || 30);
  const page = Math.max(1, Number(context.query.page ?? 1) || 1);
  return {
    status: 200,
    body: { total_count: runs.length, workflow_runs: runs.slice((page - 1) * perPage, page * perPage) },
  };
};

const listJobsForWorkflowRun: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const run = workflowRunFor(context, repository);
  const jobs = (context.query.filter ?? 'latest') === 'latest' ? latestJobs(run.jobs) : run.jobs;
  return {
    status: 200,
    body: {
      total_count: jobs.length,
      jobs: jobs.map((job) => actionsJobJson(context.baseUrl, repository, job)),
    },
  };
};

/** New attempts of the failed jobs; they finish after a reader could see them queued. */
const rerunFailedJobs: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const run = workflowRunFor(context, repository);
  const latest = latestJobs(run.jobs);
  if (!latest.every((job) => job.status === 'completed')) {
    throw new FakeGitHubHttpError(403, 'This workflow is already running');
  }
  const failed = latest.filter((job) => !passingConclusions.has(job.conclusion ?? ''));
  if (failed.length === 0)
    throw new FakeGitHubHttpError(403, 'This workflow run has no failed jobs to re-run');
  const attempts = failed.map((job) => {
    const attempt: ActionsCheckRun = {
      ...job,
      id: context.model.allocateId(),
      status: 'queued',
      conclusion: null,
      startedAt: context.model.currentTime(),
      completedAt: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      actions: {
        ...job.actions,
        attempt: (job.actions.attempt ?? 1) + 1,
        log: job.actions.rerun?.log === undefined ? job.actions.log : job.actions.rerun.log,
        rerun: null,
      },
    };
    repository.checkRuns.push(attempt);
    context.pullRequests.emitCheckRun(repository, attempt, 'created');
    return { attempt, conclusion: job.actions.rerun?.conclusion ?? job.conclusion };
  });
  setImmediate(() => {
    for (const { attempt, conclusion } of attempts) {
      attempt.status = 'completed';
      attempt.conclusion = conclusion;
      attempt.completedAt = context.model.currentTime();
      context.pullRequests.emitCheckRun(repository, attempt, 'completed');
    }
  });
  return { status: 201, body: {} };
};

export const workflowRunRoutes: Record<string, RouteHandler> = {
  'actions/list-workflow-runs': listWorkflowRuns,
  'actions/list-jobs-for-workflow-run': listJobsForWorkflowRun,
  'actions/re-run-workflow-failed-jobs': rerunFailedJobs,
};

/**
 * A finished run of `workflowPath` on a commit of `branch` (scheduled by default), as a cron
 * trigger would start it; returns the run id.
 */
export function seedWorkflowRun(
  server: {
    repository(fullName: string): FakeRepository;
    model: FakeGitHubModel;
    pullRequests: FakePullRequests;
  },
  fullName: string,
  fields: {
    workflowPath: string;
    workflowName?: string;
    event?: string;
    branch: string;
    headSha: string;
    jobs: Array<{ name: string; conclusion: NonNullable<FakeCheckRun['conclusion']>; log?: string | null }>;
  },
): number {
  const repository = server.repository(fullName);
  const runId = server.model.allocateId();
  for (const job of fields.jobs) {
    const checkRun: ActionsCheckRun = {
      id: server.model.allocateId(),
      headSha: fields.headSha,
      name: job.name,
      status: 'completed',
      conclusion: job.conclusion,
      startedAt: server.model.currentTime(),
      completedAt: server.model.currentTime(),
      headBranch: fields.branch,
      actions: {
        runId,
        workflowName: fields.workflowName ?? fields.workflowPath,
        log: job.log ?? null,
        workflowPath: `.github/workflows/${fields.workflowPath}`,
        event: fields.event ?? 'schedule',
      },
      output: { title: `${job.name} ${job.conclusion}`, summary: null, text: null },
      annotations: [],
    };
    repository.checkRuns.push(checkRun);
    server.pullRequests.emitCheckRun(repository, checkRun, 'completed');
  }
  return runId;
}
