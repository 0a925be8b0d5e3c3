import type { CheckResult, WorkflowRun } from '@loompa/core';
import type { GitLabClient } from '@loompa/gitlab-client';
import { pipelineJobs } from './pipeline-checks.js';
import { parseWatchedPipelines } from './watched-pipelines-entry.js';

/**
 * Scheduled and default-branch pipelines for CI triage. Each entry of `triage.workflows` names
 * pipelines as `parseWatchedPipelines` reads it: a pipeline source, a pipeline schedule's
 * description or a pipeline name, with an explicit `source:`, `schedule:` or `name:` prefix
 * when a schedule's description is also a source keyword.
 */

interface PipelineFields {
  id: number;
  sha: string;
  ref: string;
  status: string;
  web_url?: string | null;
  created_at: string;
}

interface PipelineScheduleFields {
  id: number;
  description: string;
  /** A branch or tag name, or (GitLab 16.x on) the full ref: `refs/heads/main`, `refs/tags/v1.0`. */
  ref?: string;
}

/**
 * A pipeline's state for triage: only a finished pipeline is a success or a failure. A canceled
 * one counts as failed (as a cancelled GitHub run does); `skipped` and `manual` (waiting for a
 * person) failed nothing.
 */
export function pipelineRunState(status: string): WorkflowRun['state'] {
  switch (status) {
    case 'success':
    case 'skipped':
    case 'manual':
      return 'success';
    case 'failed':
    case 'canceled':
      return 'failure';
    default:
      return 'pending';
  }
}

/**
 * A pipeline as a triage run. Listed pipelines do not say whether `ref` is a branch or a tag
 * (only a single pipeline's `tag` does), so `ref` is the full ref only where it is known: a
 * branch pipeline of the default branch, or a schedule whose ref is written out in full.
 */
function toWorkflowRun(workflow: string, pipeline: PipelineFields, fullRef: string | null): WorkflowRun {
  return {
    id: String(pipeline.id),
    workflow,
    headSha: pipeline.sha,
    branch: pipeline.ref.replace(/^refs\/(?:heads|tags)\//, ''),
    ...(fullRef ? { ref: fullRef } : {}),
    state: pipelineRunState(pipeline.status),
    url: pipeline.web_url ?? null,
    createdAt: new Date(pipeline.created_at),
  };
}

/** The latest pipelines of each watched workflow, newest first, at most `perWorkflow` each. */
export async function listWatchedPipelines(
  client: GitLabClient,
  options: {
    project: string;
    workflows: readonly string[];
    perWorkflow: number;
    abortSignal?: AbortSignal | undefined;
  },
): Promise<WorkflowRun[]> {
  const perPage = Math.min(100, options.perWorkflow);
  // A malformed entry fails before any request, with the entry in the message.
  const watchedEntries = options.workflows.map((workflow) => ({
    workflow,
    watched: parseWatchedPipelines(workflow),
  }));
  return client.call(options.abortSignal, async (api) => {
    let defaultBranch: Promise<string> | null = null;
    const readDefaultBranch = () => {
      defaultBranch ??= api.Projects.show(options.project).then((project) =>
        String((project as { default_branch: string }).default_branch),
      );
      return defaultBranch;
    };
    let schedules: Promise<PipelineScheduleFields[]> | null = null;
    const readSchedules = () => {
      schedules ??= api.PipelineSchedules.all(options.project, {
        ...client.pageLimits,
      }) as unknown as Promise<PipelineScheduleFields[]>;
      return schedules;
    };
    const listPipelines = async (filter: Record<string, string>) =>
      (await api.Pipelines.all(options.project, {
        ...filter,
        orderBy: 'id',
        sort: 'desc',
        perPage,
        maxPages: 1,
      } as never)) as unknown as PipelineFields[];

    /**
     * A schedule's newest pipelines. GitLab before 18.x ignores the sort and answers oldest
     * first, so with more than one page the last ones are read too (the newest are there then);
     * sorted here either way.
     */
    const listSchedulePipelines = async (scheduleId: number) => {
      const page = (number: number | null) =>
        api.PipelineSchedules.allTriggeredPipelines(options.project, scheduleId, {
          orderBy: 'id',
          sort: 'desc',
          perPage,
          maxPages: 1,
          showExpanded: true,
          ...(number === null ? {} : { page: number }),
        } as never) as unknown as Promise<{
          data: PipelineFields[];
          paginationInfo: { totalPages: number };
        }>;
      const first = await page(null);
      const pipelines = [...first.data];
      const totalPages = first.paginationInfo.totalPages || 1;
      for (let number = totalPages; number > 1 && number >= totalPages - 1; number -= 1) {
        pipelines.push(...(await page(number)).data);
      }
      const unique = new Map(pipelines.map((pipeline) => [pipeline.id, pipeline]));
      return [...unique.values()].sort((left, right) => right.id - left.id);
    };

    const findSchedule = async (description: string) => {
      const wanted = description.trim().toLowerCase();
      return (await readSchedules()).find(
        (candidate) => candidate.description.trim().toLowerCase() === wanted,
      );
    };
    /** Pipelines on the default branch, by source or by name. */
    const onDefaultBranch = async (filter: { source: string } | { name: string }) => {
      const branch = await readDefaultBranch();
      return { pipelines: await listPipelines({ ...filter, ref: branch }), fullRef: `refs/heads/${branch}` };
    };
    const ofSchedule = async (schedule: PipelineScheduleFields | undefined) => ({
      pipelines: schedule ? await listSchedulePipelines(schedule.id) : [],
      fullRef: schedule?.ref?.startsWith('refs/') ? schedule.ref : null,
    });

    const runs: WorkflowRun[] = [];
    for (const { workflow, watched } of watchedEntries) {
      let found: { pipelines: PipelineFields[]; fullRef: string | null };
      switch (watched.kind) {
        case 'source':
          found =
            watched.source === 'schedule'
              ? { pipelines: await listPipelines({ source: 'schedule' }), fullRef: null }
              : await onDefaultBranch({ source: watched.source });
          break;
        case 'schedule':
          found = await ofSchedule(await findSchedule(watched.description));
          break;
        case 'name':
          found = await onDefaultBranch({ name: watched.name });
          break;
        case 'schedule-or-name': {
          const schedule = await findSchedule(watched.text);
          found = schedule ? await ofSchedule(schedule) : await onDefaultBranch({ name: watched.text });
          break;
        }
      }
      for (const pipeline of found.pipelines.slice(0, options.perWorkflow)) {
        runs.push(toWorkflowRun(workflow, pipeline, found.fullRef));
      }
    }
    return runs;
  });
}

/** The failed jobs of a pipeline and its child pipelines, as checks whose ids `getJobLog` reads. */
export async function listFailedPipelineJobs(
  client: GitLabClient,
  options: { project: string; run: WorkflowRun; abortSignal?: AbortSignal | undefined },
): Promise<CheckResult[]> {
  const checks = await client.call(options.abortSignal, () =>
    pipelineJobs(client, options.project, Number(options.run.id), '', 0),
  );
  return checks.filter((check) => check.state === 'failure');
}
