import type { FakeGitLabCommitStatus, FakeGitLabPipeline, FakeGitLabProject } from './fake-gitlab-model.js';
import {
  createCommitStatusInput,
  emptyInput,
  listCommitStatusesInput,
  listJobsInput,
} from './fake-gitlab-request-schemas.js';
import { FakeGitLabHttpError, type Route, route } from './fake-gitlab-router.js';
import type { FakeGitLabService } from './fake-gitlab-service.js';
import { commitStatusJson, jobJson, pipelineJson } from './fake-gitlab-wire.js';

/** Pipelines, jobs, job traces, bridges to child pipelines and external commit statuses. */
export function pipelineRoutes(service: FakeGitLabService): Route[] {
  const wire = service.wire;
  const findPipeline = (project: FakeGitLabProject, id: string): FakeGitLabPipeline => {
    const pipeline = project.pipelines.find((candidate) => String(candidate.id) === id);
    if (!pipeline) throw new FakeGitLabHttpError(404, '404 Not found');
    return pipeline;
  };
  const findJob = (project: FakeGitLabProject, id: string) => {
    for (const pipeline of project.pipelines) {
      const job = pipeline.jobs.find((candidate) => String(candidate.id) === id);
      if (job) return { pipeline, job };
    }
    throw new FakeGitLabHttpError(404, '404 Not found');
  };

  return [
    route('GET', 'projects/:project/pipelines/:pipeline', emptyInput, ({ project, params }) => ({
      status: 200,
      json: pipelineJson(wire, project, findPipeline(project, params.pipeline!)),
    })),
    route(
      'GET',
      'projects/:project/pipelines/:pipeline/jobs',
      listJobsInput,
      ({ project, params, input }) => {
        const pipeline = findPipeline(project, params.pipeline!);
        const scope: string[] | undefined = input.scope;
        return {
          status: 200,
          list: pipeline.jobs
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
