import type { FakeGitLabCommitStatus, FakeGitLabPipeline, FakeGitLabProject } from './fake-gitlab-model.js';
import { isRetryable } from './fake-gitlab-pipelines.js';
import {
  createCommitStatusInput,
  emptyInput,
  listCommitStatusesInput,
  listJobsInput,
  listPipelineSchedulesInput,
  listPipelinesInput,
  listSchedulePipelinesInput,
} from './fake-gitlab-request-schemas.js';
import { FakeGitLabHttpError, type Route, route } from './fake-gitlab-router.js';
import type { FakeGitLabService } from './fake-gitlab-service.js';
import { commitStatusJson, jobJson, pipelineJson, pipelineScheduleJson } from './fake-gitlab-wire.js';

/** The pipeline scopes GitLab's list filters know, as statuses. */
const pipelineScopes: Record<string, readonly string[]> = {
  running: ['running'],
  pending: ['pending', 'created', 'waiting_for_resource', 'preparing'],
  finished: ['success', 'failed', 'canceled', 'skipped'],
};

/** GitLab's pipeline list filters (`scope`, `status`, `updated_*`) and ordering; ids descend by default. */
function filterPipelines(
  pipelines: readonly FakeGitLabPipeline[],
  input: {
    scope?: string | undefined;
    status?: string | undefined;
    updated_after?: string | undefined;
    updated_before?: string | undefined;
    order_by?: string | undefined;
    sort?: 'asc' | 'desc' | undefined;
  },
  defaultSort: 'asc' | 'desc',
): FakeGitLabPipeline[] {
  const scoped = pipelines.filter(
    (pipeline) =>
      (input.scope === undefined ||
        (input.scope === 'branches' && !pipeline.tag) ||
        (input.scope === 'tags' && pipeline.tag) ||
        pipelineScopes[input.scope]?.includes(pipeline.status)) &&
      (input.status === undefined || pipeline.status === input.status) &&
      (input.updated_after === undefined || pipeline.updatedAt > new Date(input.updated_after)) &&
      (input.updated_before === undefined || pipeline.updatedAt < new Date(input.updated_before)),
  );
  const key = (pipeline: FakeGitLabPipeline) =>
    input.order_by === 'updated_at'
      ? pipeline.updatedAt.getTime()
      : input.order_by === 'created_at'
        ? pipeline.createdAt.getTime()
        : pipeline.id;
  const direction = (input.sort ?? defaultSort) === 'asc' ? 1 : -1;
  return scoped.sort((left, right) => direction * (key(left) - key(right) || left.id - right.id));
}

/**
 * Pipelines (listed and filtered), jobs (retried), job traces, bridges to child pipelines,
 * pipeline schedules with their pipelines, and external commit statuses.
 */
export function pipelineRoutes(service: FakeGitLabService): Route[] {
  const wire = service.wire;
  const findPipeline = (project: FakeGitLabProject, id: string): FakeGitLabPipeline => {
    const pipeline = project.pipelines.find((candidate) => String(candidate.id) === id);
    if (!pipeline) throw new FakeGitLabHttpError(404, '404 Not found');
    return pipeline;
  };
  const findSchedule = (project: FakeGitLabProject, id: string) => {
    const schedule = project.pipelineSchedules.find((candidate) => String(candidate.id) === id);
    if (!schedule) throw new FakeGitLabHttpError(404, '404 Pipeline Schedule Not Found');
    return schedule;
  };
  const findJob = (project: FakeGitLabProject, id: string) => {
    for (const pipeline of project.pipelines) {
      const job = pipeline.jobs.find((candidate) => String(candidate.id) === id);
      if (job) return { pipeline, job };
    }
    throw new FakeGitLabHttpError(404, '404 Not found');
  };

  return [
    route('GET', 'projects/:project/pipelines/:pipeline', emptyInput, ({ project, params }) => {
      const pipeline = findPipeline(project, params.pipeline!);
      // A single pipeline says whether it ran on a tag; listed ones (PipelineBasic) do not.
      return { status: 200, json: { ...pipelineJson(wire, project, pipeline), tag: pipeline.tag } };
    }),
    route(
      'GET',
      'projects/:project/pipelines/:pipeline/jobs',
      listJobsInput,
      ({ project, params, input }) => {
        const pipeline = findPipeline(project, params.pipeline!);
        const scope: string[] | undefined = input.scope;
        return {
          status: 200,
          // Jobs replaced by a retry are left out unless asked for, as on GitLab.
          list: pipeline.jobs
            .filter((job) => input.include_retried === true || !job.retried)
            .filter((job) => scope === undefined || scope.includes(job.status))
            .map((job) => jobJson(wire, project, pipeline, job)),
        };
      },
    ),
    route(
      'GET',
      'projects/:project/pipelines/:pipeline/bridges',
      listJobsInput,
      ({ project, params, input }) => {
        const pipeline = findPipeline(project, params.pipeline!);
        const scope: string[] | undefined = input.scope;
        const bridges = pipeline.bridges.map((bridge) => {
          const downstream = project.pipelines.find(
            (candidate) => candidate.id === bridge.downstreamPipelineId,
          )!;
          return {
            id: bridge.id,
            name: bridge.name,
            stage: bridge.stage,
            status: downstream.status,
            pipeline: pipelineJson(wire, project, pipeline),
            downstream_pipeline: pipelineJson(wire, project, downstream),
          };
        });
        return {
          status: 200,
          list: bridges.filter((bridge) => scope === undefined || scope.includes(bridge.status)),
        };
      },
    ),
    route('GET', 'projects/:project/jobs/:job', emptyInput, ({ project, params }) => {
      const { pipeline, job } = findJob(project, params.job!);
      return { status: 200, json: jobJson(wire, project, pipeline, job) };
    }),
    route('GET', 'projects/:project/jobs/:job/trace', emptyInput, ({ project, params }) => ({
      status: 200,
      text: findJob(project, params.job!).job.trace,
    })),
    route('POST', 'projects/:project/jobs/:job/retry', emptyInput, ({ project, params }) => {
      const { pipeline, job } = findJob(project, params.job!);
      if (!isRetryable(job)) throw new FakeGitLabHttpError(403, '403 Forbidden  - Job is not retryable');
      const retried = service.retryJob(project, pipeline, job);
      return { status: 201, json: jobJson(wire, project, pipeline, retried) };
    }),
    route('GET', 'projects/:project/pipelines', listPipelinesInput, ({ project, input }) => ({
      status: 200,
      list: filterPipelines(
        project.pipelines.filter(
          (pipeline) =>
            (input.source === undefined || pipeline.source === input.source) &&
            (input.ref === undefined || pipeline.ref === input.ref) &&
            (input.sha === undefined || pipeline.sha === input.sha) &&
            (input.name === undefined || pipeline.name === input.name),
        ),
        input,
        'desc',
      ).map((pipeline) => pipelineJson(wire, project, pipeline)),
    })),
    route(
      'GET',
      'projects/:project/pipeline_schedules',
      listPipelineSchedulesInput,
      ({ project, input }) => ({
        status: 200,
        list: project.pipelineSchedules
          .filter((schedule) => input.scope === undefined || schedule.active === (input.scope === 'active'))
          .map((schedule) => pipelineScheduleJson(wire, project, schedule)),
      }),
    ),
    route(
      'GET',
      'projects/:project/pipeline_schedules/:schedule/pipelines',
      listSchedulePipelinesInput,
      ({ project, params, input }) => {
        const schedule = findSchedule(project, params.schedule!);
        return {
          status: 200,
          // Oldest first unless sorted otherwise, as GitLab answers.
          list: filterPipelines(
            project.pipelines.filter((pipeline) => schedule.pipelineIds.includes(pipeline.id)),
            input,
            'asc',
          ).map((pipeline) => pipelineJson(wire, project, pipeline)),
        };
      },
    ),
    route(
      'POST',
      'projects/:project/pipeline_schedules/:schedule/play',
      emptyInput,
      ({ project, params }) => {
        const schedule = findSchedule(project, params.schedule!);
        // GitLab queues the run and answers at once.
        service.inBackground(async () => {
          await service.runSchedule(project, schedule);
        });
        return { status: 201, json: { message: '201 Created' } };
      },
    ),
    route(
      'GET',
      'projects/:project/repository/commits/:sha/statuses',
      listCommitStatusesInput,
      ({ project, params, input }) => ({
        status: 200,
        list: project.commitStatuses
          .filter(
            (status) => status.sha === params.sha && (input.name === undefined || status.name === input.name),
          )
          .map(commitStatusJson),
      }),
    ),
    route(
      'POST',
      'projects/:project/statuses/:sha',
      createCommitStatusInput,
      ({ project, params, input }) => {
        const name = input.name ?? input.context ?? 'default';
        const status: FakeGitLabCommitStatus = {
          id: service.state.ids.take(),
          sha: params.sha!,
          name,
          status: input.state,
          targetUrl: input.target_url ?? null,
          description: input.description ?? null,
          createdAt: new Date(),
        };
        project.commitStatuses = project.commitStatuses.filter(
          (existing) => !(existing.sha === status.sha && existing.name === name),
        );
        project.commitStatuses.push(status);
        return { status: 201, json: commitStatusJson(status) };
      },
    ),
  ];
}
