import { randomUUID } from 'node:crypto';
import { detailedMergeStatus } from './fake-gitlab-merge-status.js';
import type {
  FakeGitLabDiscussion,
  FakeGitLabJob,
  FakeGitLabLabel,
  FakeGitLabMergeRequest,
  FakeGitLabNote,
  FakeGitLabPipeline,
  FakeGitLabPipelineSchedule,
  FakeGitLabPipelineSource,
  FakeGitLabProject,
  FakeGitLabState,
} from './fake-gitlab-model.js';
import {
  type FakeGitLabContinuousIntegration,
  finishPipeline,
  retryJob,
  type StartedPipeline,
  startPipeline,
} from './fake-gitlab-pipelines.js';
import {
  checkMergeability,
  fetchForkHead,
  readBranchHead,
  readBranchHeads,
  readFileAt,
  resolveScheduleRef,
} from './fake-gitlab-repository.js';
import { mergeRequestJson, type WireContext } from './fake-gitlab-wire.js';

/** A webhook the fake delivers project events to, as GitLab's project hooks do. */
export interface FakeGitLabWebhook {
  projectId: number;
  url: string;
  token: string | null;
}

export interface FakeGitLabWebhookDelivery {
  url: string;
  event: string;
  eventUuid: string;
  status: number | null;
  payload: Record<string, unknown>;
}

const labelColors = ['#428BCA', '#44AD8E', '#A8D695', '#5CB85C', '#69D100', '#004E00', '#D10069'];

/**
 * The behaviour behind the routes: noticing pushes (new heads start pipelines), computing
 * mergeability in the background, delivering webhooks, applying label edits with scoped
 * label exclusivity. Background work is tracked so tests can wait for it with `settle()`.
 */
export class FakeGitLabService {
  readonly webhooks: FakeGitLabWebhook[] = [];
  readonly deliveries: FakeGitLabWebhookDelivery[] = [];
  readonly backgroundErrors: unknown[] = [];
  private readonly tasks = new Set<Promise<void>>();
  private readonly startedPipelines: StartedPipeline[] = [];
  private readonly syncs = new Map<number, Promise<void>>();
  /** While true, pipelines stay `running` until `releasePipelines()`. */
  holdPipelines = false;

  constructor(
    readonly state: FakeGitLabState,
    readonly wire: WireContext,
    private readonly continuousIntegration: FakeGitLabContinuousIntegration | null,
  ) {}

  /** Runs `work` without waiting for it; `settle()` waits for it. */
  inBackground(work: () => Promise<void>): void {
    const task = (async () => {
      // Yield first, so the response that started the work is sent before it runs.
      await new Promise((resolve) => setImmediate(resolve));
      await work();
    })().catch((error: unknown) => {
      this.backgroundErrors.push(error);
    });
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Waits until no background work (mergeability checks, pipelines, rebases, webhooks) is left. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Lets every held pipeline finish. */
  releasePipelines(): void {
    this.holdPipelines = false;
    for (const started of this.startedPipelines.splice(0)) this.finish(started);
  }

  private finish(started: StartedPipeline): void {
    finishPipeline(started);
    const project = this.state.projects.find((candidate) => candidate.id === started.pipeline.projectId)!;
    this.emit(project, 'Pipeline Hook', {
      object_kind: 'pipeline',
      object_attributes: {
        id: started.pipeline.id,
        status: started.pipeline.status,
        ref: started.pipeline.ref,
        sha: started.pipeline.sha,
      },
    });
    this.applyPendingAutoMerges(project, started.pipeline);
  }

  /** Set by the merge routes: merges requests waiting on `merge_when_pipeline_succeeds`. */
  onPipelineSucceeded:
    | ((project: FakeGitLabProject, mergeRequest: FakeGitLabMergeRequest) => Promise<void>)
    | null = null;

  private applyPendingAutoMerges(project: FakeGitLabProject, pipeline: FakeGitLabPipeline): void {
    if (pipeline.status !== 'success') return;
    for (const mergeRequest of project.mergeRequests) {
      if (
        mergeRequest.pendingAutoMerge &&
        mergeRequest.sha === pipeline.sha &&
        mergeRequest.state === 'opened'
      ) {
        const hook = this.onPipelineSucceeded;
        if (hook) this.inBackground(() => hook(project, mergeRequest));
      }
    }
  }

  /**
   * Notices pushes: a branch whose head changed gets a pipeline (when CI is configured) and
   * its open merge requests follow the new head. Serialized per project.
   */
  syncProject(project: FakeGitLabProject): Promise<void> {
    const previous = this.syncs.get(project.id) ?? Promise.resolve();
    const next = previous.then(() => this.syncNow(project));
    this.syncs.set(
      project.id,
      next.catch(() => {}),
    );
    return next;
  }

  private async syncNow(project: FakeGitLabProject): Promise<void> {
    const heads = await readBranchHeads(project.repositoryPath);
    for (const [branch, sha] of heads) {
      if (project.knownBranchHeads.get(branch) === sha) continue;
      project.knownBranchHeads.set(branch, sha);
      const now = new Date();
      // Merge requests from this project's branches: its own, and those of a fork into its parent.
      for (const target of this.state.projects) {
        for (const mergeRequest of target.mergeRequests) {
          if (
            mergeRequest.state === 'opened' &&
            mergeRequest.sourceProjectId === project.id &&
            mergeRequest.sourceBranch === branch &&
            mergeRequest.sha !== sha
          ) {
            if (target !== project) {
              await fetchForkHead(
                target.repositoryPath,
                project.repositoryPath,
                branch,
                `refs/merge-requests/${mergeRequest.iid}/head`,
              );
            }
            mergeRequest.sha = sha;
            mergeRequest.updatedAt = now;
            mergeRequest.mergeError = null;
            this.emitMergeRequest(target, mergeRequest, 'update');
          }
        }
      }
      await this.startPipelineFor(project, sha, branch);
    }
    for (const branch of [...project.knownBranchHeads.keys()]) {
      if (!heads.has(branch)) project.knownBranchHeads.delete(branch);
    }
  }

  private async startPipelineFor(
    project: FakeGitLabProject,
    sha: string,
    ref: string,
    source: FakeGitLabPipelineSource = 'push',
    tag = false,
  ): Promise<FakeGitLabPipeline | null> {
    if (!this.continuousIntegration) return null;
    const definition = await this.continuousIntegration({
      project: project.pathWithNamespace,
      sha,
      ref,
      source,
      readFile: (file) => readFileAt(project.repositoryPath, sha, file),
    });
    if (!definition) return null;
    const started = startPipeline(this.state.ids, project, { sha, ref, tag }, definition, source);
    this.run(started);
    return started.pipeline;
  }

  /** Lets a started pipeline finish in the background, or holds it while pipelines are held. */
  private run(started: StartedPipeline): void {
    if (this.holdPipelines) this.startedPipelines.push(started);
    else this.inBackground(async () => this.finish(started));
  }

  /** `POST …/jobs/:id/retry`: the new job runs and ends as its next scripted retry says. */
  retryJob(project: FakeGitLabProject, pipeline: FakeGitLabPipeline, job: FakeGitLabJob): FakeGitLabJob {
    const { retried, started } = retryJob(this.state.ids, project, pipeline, job);
    this.run(started);
    return retried;
  }

  /**
   * Runs a pipeline schedule now, as its cron would: a pipeline with source `schedule` on the
   * head of its branch or on its tag's commit, whose jobs the CI definition decides. Null when
   * CI gives none.
   */
  async runSchedule(
    project: FakeGitLabProject,
    schedule: FakeGitLabPipelineSchedule,
  ): Promise<FakeGitLabPipeline | null> {
    const target = await resolveScheduleRef(project.repositoryPath, schedule.ref);
    if (target === null)
      throw new Error(`fake GitLab: schedule "${schedule.description}" runs on a missing branch or tag`);
    const pipeline = await this.startPipelineFor(project, target.sha, target.name, 'schedule', target.tag);
    if (pipeline) schedule.pipelineIds.push(pipeline.id);
    return pipeline;
  }

  /** The newest pipeline of the merge request's head on its source branch. */
  headPipeline(project: FakeGitLabProject, mergeRequest: FakeGitLabMergeRequest): FakeGitLabPipeline | null {
    // A fork's branch pipelines run in the fork.
    const source =
      this.state.projects.find((candidate) => candidate.id === mergeRequest.sourceProjectId) ?? project;
    const candidates = source.pipelines.filter(
      (pipeline) =>
        pipeline.sha === mergeRequest.sha &&
        pipeline.ref === mergeRequest.sourceBranch &&
        pipeline.source !== 'parent_pipeline' &&
        pipeline.source !== 'schedule',
    );
    return candidates.at(-1) ?? null;
  }

  /**
   * `detailed_merge_status` as a GET would see it. A stale answer (head or target moved)
   * reads `checking` and starts the git check in the background.
   */
  async currentMergeStatus(
    project: FakeGitLabProject,
    mergeRequest: FakeGitLabMergeRequest,
  ): Promise<string> {
    if (mergeRequest.state !== 'opened') return 'not_open';
    const target = await readBranchHead(project.repositoryPath, mergeRequest.targetBranch);
    const key = `${mergeRequest.sha}:${target}`;
    if (mergeRequest.mergeCheck?.key !== key) {
      mergeRequest.mergeCheck = { key, gitResult: null };
      this.inBackground(async () => {
        const result =
          target === null
            ? 'conflict'
            : await checkMergeability(
                project.repositoryPath,
                target,
                mergeRequest.sha,
                project.mergeMethod !== 'merge',
              );
        if (mergeRequest.mergeCheck?.key === key) mergeRequest.mergeCheck.gitResult = result;
      });
    }
    return detailedMergeStatus(project, mergeRequest, key, this.headPipeline(project, mergeRequest));
  }

  /** The status after finishing any pending git check now (GitLab rechecks synchronously on merge). */
  async mergeStatusNow(project: FakeGitLabProject, mergeRequest: FakeGitLabMergeRequest): Promise<string> {
    if (mergeRequest.state !== 'opened') return 'not_open';
    const target = await readBranchHead(project.repositoryPath, mergeRequest.targetBranch);
    const key = `${mergeRequest.sha}:${target}`;
    if (mergeRequest.mergeCheck?.key !== key || mergeRequest.mergeCheck.gitResult === null) {
      const result =
        target === null
          ? 'conflict'
          : await checkMergeability(
              project.repositoryPath,
              target,
              mergeRequest.sha,
              project.mergeMethod !== 'merge',
            );
      mergeRequest.mergeCheck = { key, gitResult: result };
    }
    return detailedMergeStatus(project, mergeRequest, key, this.headPipeline(project, mergeRequest));
  }

  async mergeRequestView(
    project: FakeGitLabProject,
    mergeRequest: FakeGitLabMergeRequest,
    options: { includeRebaseInProgress: boolean; recheck: boolean },
  ) {
    const status =
      options.recheck || mergeRequest.mergeCheck === null
        ? await this.currentMergeStatus(project, mergeRequest)
        : detailedMergeStatus(
            project,
            mergeRequest,
            mergeRequest.mergeCheck.key,
            this.headPipeline(project, mergeRequest),
          );
    return mergeRequestJson(this.wire, project, mergeRequest, {
      detailedMergeStatus: status,
      headPipeline: this.headPipeline(project, mergeRequest),
      sourceProject:
        this.state.projects.find((candidate) => candidate.id === mergeRequest.sourceProjectId) ?? project,
      includeRebaseInProgress: options.includeRebaseInProgress,
    });
  }

  /** Applies a label edit: unknown labels are created, and a scoped label replaces its siblings. */
  applyLabels(
    project: FakeGitLabProject,
    current: readonly string[],
    change: { set?: readonly string[]; add?: readonly string[]; remove?: readonly string[] },
  ): string[] {
    let labels = change.set ? [] : [...current];
    const toAdd = [...(change.set ?? []), ...(change.add ?? [])];
    const removed = new Set((change.remove ?? []).map((label) => label.toLowerCase()));
    labels = labels.filter((label) => !removed.has(label.toLowerCase()));
    for (const name of toAdd) {
      const label = this.findOrCreateLabel(project, name);
      const scope = label.name.includes('::') ? label.name.slice(0, label.name.lastIndexOf('::')) : null;
      if (scope !== null) labels = labels.filter((existing) => !existing.startsWith(`${scope}::`));
      if (!labels.includes(label.name)) labels.push(label.name);
    }
    return labels.sort((left, right) => left.localeCompare(right));
  }

  /** GitLab label titles are unique regardless of case; an existing label keeps its spelling. */
  findOrCreateLabel(project: FakeGitLabProject, name: string): FakeGitLabLabel {
    const existing = project.labels.find((label) => label.name.toLowerCase() === name.toLowerCase());
    if (existing) return existing;
    const label: FakeGitLabLabel = {
      id: this.state.ids.take(),
      name,
      color: labelColors[project.labels.length % labelColors.length]!,
      description: null,
    };
    project.labels.push(label);
    return label;
  }

  newNote(authorId: number, body: string, options: Partial<FakeGitLabNote> = {}): FakeGitLabNote {
    const now = new Date();
    return {
      id: this.state.ids.take(),
      body,
      authorId,
      createdAt: now,
      updatedAt: now,
      system: false,
      resolvable: false,
      resolved: false,
      resolvedById: null,
      position: null,
      ...options,
    };
  }

  newDiscussion(notes: FakeGitLabNote[], individualNote: boolean): FakeGitLabDiscussion {
    return { id: this.state.ids.discussionId(), individualNote, notes };
  }

  emitMergeRequest(project: FakeGitLabProject, mergeRequest: FakeGitLabMergeRequest, action: string): void {
    this.emit(project, 'Merge Request Hook', {
      object_kind: 'merge_request',
      object_attributes: {
        id: mergeRequest.id,
        iid: mergeRequest.iid,
        title: mergeRequest.title,
        state: mergeRequest.state,
        source_branch: mergeRequest.sourceBranch,
        target_branch: mergeRequest.targetBranch,
        last_commit: { id: mergeRequest.sha },
        action,
        updated_at: mergeRequest.updatedAt.toISOString(),
      },
    });
  }

  emitMergeRequestNote(
    project: FakeGitLabProject,
    mergeRequest: FakeGitLabMergeRequest,
    note: FakeGitLabNote,
  ): void {
    this.emit(project, 'Note Hook', {
      object_kind: 'note',
      object_attributes: { id: note.id, note: note.body, noteable_type: 'MergeRequest' },
      merge_request: { id: mergeRequest.id, iid: mergeRequest.iid, source_branch: mergeRequest.sourceBranch },
    });
  }

  /** Delivers `payload` to the project's webhooks in the background, as GitLab's Sidekiq does. */
  emit(project: FakeGitLabProject, event: string, payload: Record<string, unknown>): void {
    const hooks = this.webhooks.filter((hook) => hook.projectId === project.id);
    for (const hook of hooks) {
      const eventUuid = randomUUID();
      const body = {
        ...payload,
        project: { id: project.id, path_with_namespace: project.pathWithNamespace },
      };
      const delivery: FakeGitLabWebhookDelivery = {
        url: hook.url,
        event,
        eventUuid,
        status: null,
        payload: body,
      };
      this.deliveries.push(delivery);
      this.inBackground(async () => {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-gitlab-event': event,
            'x-gitlab-event-uuid': eventUuid,
            'x-gitlab-webhook-uuid': randomUUID(),
            'idempotency-key': eventUuid,
            'x-gitlab-instance': this.wire.baseUrl,
            ...(hook.token === null ? {} : { 'x-gitlab-token': hook.token }),
          },
          body: JSON.stringify(body),
        }).catch(() => null);
        delivery.status = response?.status ?? null;
        await response?.body?.cancel();
      });
    }
  }
}
