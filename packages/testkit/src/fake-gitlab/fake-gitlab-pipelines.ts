import type {
  FakeGitLabIds,
  FakeGitLabJob,
  FakeGitLabPipeline,
  FakeGitLabPipelineStatus,
  FakeGitLabProject,
} from './fake-gitlab-model.js';

/**
 * The fake's CI: a test describes which jobs a commit gets and how they end; the fake
 * creates the pipeline `running` when the commit is pushed and finishes it in the
 * background, as a runner would. Child pipelines hang off bridges like GitLab's
 * parent-child pipelines.
 */

export interface FakeGitLabJobDefinition {
  name: string;
  stage?: string;
  status: 'success' | 'failed';
  /** The job log served as text/plain by `GET …/jobs/:id/trace`. */
  trace: string;
  allowFailure?: boolean;
}

export interface FakeGitLabPipelineDefinition {
  jobs: FakeGitLabJobDefinition[];
  /** Child pipelines, each triggered by a bridge job of this name. */
  childPipelines?: Array<{ bridgeName: string; jobs: FakeGitLabJobDefinition[] }>;
}

/** What a CI definition sees of the pushed commit. */
export interface FakeGitLabCommitContext {
  project: string;
  sha: string;
  ref: string;
  /** The file at this commit, or null. */
  readFile(file: string): Promise<string | null>;
}

/** Returns the pipeline a commit gets, or null for no pipeline. */
export type FakeGitLabContinuousIntegration = (
  commit: FakeGitLabCommitContext,
) => FakeGitLabPipelineDefinition | null | Promise<FakeGitLabPipelineDefinition | null>;

interface PendingOutcome {
  job: FakeGitLabJob;
  status: 'success' | 'failed';
  trace: string;
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
    const job: FakeGitLabJob = {
      id: ids.take(),
      pipelineId: pipeline.id,
      name: definition.name,
      stage: definition.stage ?? 'test',
      status: 'running',
      trace: '',
      allowFailure: definition.allowFailure ?? false,
      createdAt: now,
      finishedAt: null,
    };
    pipeline.jobs.push(job);
    return { job, status: definition.status, trace: definition.trace };
  });
}

export function startPipeline(
  ids: FakeGitLabIds,
  project: FakeGitLabProject,
  commit: { sha: string; ref: string },
  definition: FakeGitLabPipelineDefinition,
  source: FakeGitLabPipeline['source'] = 'push',
): StartedPipeline {
  const now = new Date();
  const newPipeline = (pipelineSource: FakeGitLabPipeline['source']): FakeGitLabPipeline => {
    const pipeline: FakeGitLabPipeline = {
      id: ids.take(),
      iid: project.nextPipelineIid++,
      projectId: project.id,
      sha: commit.sha,
      ref: commit.ref,
      source: pipelineSource,
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

function rollUp(jobs: readonly FakeGitLabJob[]): FakeGitLabPipelineStatus {
  if (jobs.some((job) => job.status === 'running' || job.status === 'pending')) return 'running';
  if (jobs.some((job) => job.status === 'failed' && !job.allowFailure)) return 'failed';
  return 'success';
}

/** Ends every job as defined and rolls the statuses up (children first, then the parent). */
export function finishPipeline(started: StartedPipeline): void {
  const now = new Date();
  for (const outcome of started.outcomes) {
    if (outcome.job.status !== 'running') continue;
    outcome.job.status = outcome.status;
    outcome.job.trace = outcome.trace;
    outcome.job.finishedAt = now;
  }
  for (const child of started.children) {
    child.status = rollUp(child.jobs);
    child.updatedAt = now;
  }
  const childStatuses = started.children.map((child) => child.status);
  const ownStatus = rollUp(started.pipeline.jobs);
  started.pipeline.status = childStatuses.includes('failed') ? 'failed' : ownStatus;
  started.pipeline.updatedAt = now;
}
