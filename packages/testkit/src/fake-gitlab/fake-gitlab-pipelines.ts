import {
  type FakeGitLabIds,
  type FakeGitLabJob,
  type FakeGitLabJobOutcome,
  type FakeGitLabPipeline,
  type FakeGitLabPipelineSource,
  type FakeGitLabPipelineStatus,
  type FakeGitLabProject,
  fakeGitLabFailureReasons,
} from './fake-gitlab-model.js';

/**
 * The fake's CI: a test describes which jobs a commit gets and how they end; the fake
 * creates the pipeline `running` when the commit is pushed and finishes it in the
 * background, as a runner would. Child pipelines hang off bridges like GitLab's
 * parent-child pipelines.
 */

export interface FakeGitLabJobDefinition extends FakeGitLabJobOutcome {
  name: string;
  stage?: string;
  allowFailure?: boolean;
  /**
   * How retries of this job (`POST …/jobs/:id/retry`) end, in order: a flaky job fails first
   * and passes on `[{ status: 'success', … }]`. Once used up, a retry ends like the first run.
   */
  retries?: FakeGitLabJobOutcome[];
}

export interface FakeGitLabPipelineDefinition {
  /** The pipeline's name, as `workflow:name` in .gitlab-ci.yml gives it. */
  name?: string;
  jobs: FakeGitLabJobDefinition[];
  /** Child pipelines, each triggered by a bridge job of this name. */
  childPipelines?: Array<{ bridgeName: string; jobs: FakeGitLabJobDefinition[] }>;
}

/** What a CI definition sees of the pushed commit. */
export interface FakeGitLabCommitContext {
  project: string;
  sha: string;
  ref: string;
  /** What starts the pipeline: `push` for a push, `schedule` for a pipeline schedule. */
  source: FakeGitLabPipelineSource;
  /** The file at this commit, or null. */
  readFile(file: string): Promise<string | null>;
}

/** Returns the pipeline a commit gets, or null for no pipeline. */
export type FakeGitLabContinuousIntegration = (
  commit: FakeGitLabCommitContext,
) => FakeGitLabPipelineDefinition | null | Promise<FakeGitLabPipelineDefinition | null>;

interface PendingOutcome {
  job: FakeGitLabJob;
  outcome: FakeGitLabJobOutcome;
}

/** A test's typo in a failure reason would otherwise reach the client as a reason GitLab never sends. */
function checkedOutcome(outcome: FakeGitLabJobOutcome, jobName: string): FakeGitLabJobOutcome {
  const reason = outcome.failureReason;
  if (reason !== undefined && !(fakeGitLabFailureReasons as readonly string[]).includes(reason)) {
    throw new Error(`fake GitLab: job "${jobName}" has an unknown failure_reason "${reason}"`);
  }
  return { status: outcome.status, trace: outcome.trace, ...(reason ? { failureReason: reason } : {}) };
}

/** A started pipeline and what its jobs will end with. */
export interface StartedPipeline {
  pipeline: FakeGitLabPipeline;
  children: FakeGitLabPipeline[];
  outcomes: PendingOutcome[];
}

function startJobs(
  ids: FakeGitLabIds,
  pipeline: FakeGitLabPipeline,
  definitions: readonly FakeGitLabJobDefinition[],
  now: Date,
): PendingOutcome[] {
  return definitions.map((definition) => {
    const outcome = checkedOutcome(definition, definition.name);
    const job: FakeGitLabJob = {
      id: ids.take(),
      pipelineId: pipeline.id,
      name: definition.name,
      stage: definition.stage ?? 'test',
      status: 'running',
      trace: '',
      failureReason: null,
      allowFailure: definition.allowFailure ?? false,
      retried: false,
      retryOutcomes: (definition.retries ?? []).map((retry) => checkedOutcome(retry, definition.name)),
      firstOutcome: outcome,
      createdAt: now,
      finishedAt: null,
    };
    pipeline.jobs.push(job);
    return { job, outcome };
  });
}

export function startPipeline(
  ids: FakeGitLabIds,
  project: FakeGitLabProject,
  commit: { sha: string; ref: string; tag?: boolean },
  definition: FakeGitLabPipelineDefinition,
  source: FakeGitLabPipelineSource = 'push',
): StartedPipeline {
  const now = new Date();
  const newPipeline = (pipelineSource: FakeGitLabPipelineSource): FakeGitLabPipeline => {
    const pipeline: FakeGitLabPipeline = {
      id: ids.take(),
      iid: project.nextPipelineIid++,
      projectId: project.id,
      sha: commit.sha,
      ref: commit.ref,
      tag: commit.tag ?? false,
      source: pipelineSource,
      name: pipelineSource === 'parent_pipeline' ? null : (definition.name ?? null),
      status: 'running',
      jobs: [],
      bridges: [],
      createdAt: now,
      updatedAt: now,
    };
    project.pipelines.push(pipeline);
    return pipeline;
  };
  const pipeline = newPipeline(source);
  const outcomes = startJobs(ids, pipeline, definition.jobs, now);
  const children: FakeGitLabPipeline[] = [];
  for (const child of definition.childPipelines ?? []) {
    const childPipeline = newPipeline('parent_pipeline');
    children.push(childPipeline);
    pipeline.bridges.push({
      id: ids.take(),
      pipelineId: pipeline.id,
      name: child.bridgeName,
      stage: 'test',
      downstreamPipelineId: childPipeline.id,
    });
    outcomes.push(...startJobs(ids, childPipeline, child.jobs, now));
  }
  return { pipeline, children, outcomes };
}

/** A pipeline's status from its latest jobs (retried ones no longer count), as GitLab rolls it up. */
function rollUp(jobs: readonly FakeGitLabJob[]): FakeGitLabPipelineStatus {
  const latest = jobs.filter((job) => !job.retried);
  if (latest.some((job) => job.status === 'running' || job.status === 'pending')) return 'running';
  if (latest.some((job) => job.status === 'failed' && !job.allowFailure)) return 'failed';
  if (latest.some((job) => job.status === 'canceled' && !job.allowFailure)) return 'canceled';
  return 'success';
}

/** Rolls the statuses up, children first, then the parent. */
function rollUpPipelines(started: Pick<StartedPipeline, 'pipeline' | 'children'>, now: Date): void {
  for (const child of started.children) {
    child.status = rollUp(child.jobs);
    child.updatedAt = now;
  }
  const childStatuses = started.children.map((child) => child.status);
  const ownStatus = rollUp(started.pipeline.jobs);
  started.pipeline.status = childStatuses.some((status) => status === 'running')
    ? 'running'
    : childStatuses.includes('failed')
      ? 'failed'
      : ownStatus;
  started.pipeline.updatedAt = now;
}

/** Ends every job as defined and rolls the statuses up. */
export function finishPipeline(started: StartedPipeline): void {
  const now = new Date();
  for (const { job, outcome } of started.outcomes) {
    if (job.status !== 'running' && job.status !== 'pending') continue;
    job.status = outcome.status;
    job.trace = outcome.trace;
    job.failureReason = outcome.status === 'failed' ? (outcome.failureReason ?? 'script_failure') : null;
    job.finishedAt = now;
  }
  rollUpPipelines(started, now);
}

/** Only a finished job that no retry has replaced can be retried. */
export function isRetryable(job: FakeGitLabJob): boolean {
  return !job.retried && (job.status === 'failed' || job.status === 'canceled' || job.status === 'success');
}

/**
 * Retries a job the way `POST …/jobs/:id/retry` does: a new job (new id, `pending`) of the
 * same name in the same pipeline replaces it, and the pipeline (and the parent of a child
 * pipeline) runs again until the new job ends as the next scripted retry says.
 */
export function retryJob(
  ids: FakeGitLabIds,
  project: FakeGitLabProject,
  pipeline: FakeGitLabPipeline,
  job: FakeGitLabJob,
): { retried: FakeGitLabJob; started: StartedPipeline } {
  const now = new Date();
  const [outcome = job.firstOutcome, ...laterOutcomes] = job.retryOutcomes;
  const retried: FakeGitLabJob = {
    ...job,
    id: ids.take(),
    status: 'pending',
    trace: '',
    failureReason: null,
    retried: false,
    retryOutcomes: laterOutcomes,
    createdAt: now,
    finishedAt: null,
  };
  job.retried = true;
  pipeline.jobs.push(retried);
  const parent =
    project.pipelines.find((candidate) =>
      candidate.bridges.some((bridge) => bridge.downstreamPipelineId === pipeline.id),
    ) ?? pipeline;
  const children = parent.bridges.map(
    (bridge) => project.pipelines.find((candidate) => candidate.id === bridge.downstreamPipelineId)!,
  );
  const started: StartedPipeline = { pipeline: parent, children, outcomes: [{ job: retried, outcome }] };
  rollUpPipelines(started, now);
  return { retried, started };
}
