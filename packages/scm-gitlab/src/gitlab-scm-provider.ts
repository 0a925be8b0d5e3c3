import {
  type CallOptions,
  type ChangeRequest,
  type ChangeRequestStatus,
  type CheckResult,
  createSilentLogger,
  type Logger,
  type MergeMethod,
  type PushTarget,
  registerSecret,
  ScmError,
  type ScmProviderV1,
  tailBytes,
  type WorkflowRun,
} from '@loompa/core';
import {
  createGitLabClient,
  type GitLabClient,
  type GitLabClientSettings,
  GitLabRequestError,
  type GitLabWebhookServerOptions,
  keyOfNote,
  withKeyMarker,
} from '@loompa/gitlab-client';
import { plainJobLog } from './job-log-tail.js';
import { mapDetailedMergeStatus } from './map-merge-status.js';
import { isFromFork, type MergeRequestFields, toChangeRequest } from './merge-request-fields.js';
import { readChecks, rollUpChecks } from './pipeline-checks.js';
import { retryFailedJobs } from './retry-failed-jobs.js';
import {
  type ApprovalFields,
  type DiscussionFields,
  discussionsToThreads,
  type ReviewerFields,
  reviewState,
} from './review-threads.js';
import { listFailedPipelineJobs, listWatchedPipelines } from './scheduled-pipelines.js';
import { watchMergeRequestWebhooks } from './watch-merge-request-webhooks.js';

export interface GitLabScmSettings {
  /** A ready client, or the settings to build one. */
  client: GitLabClient | GitLabClientSettings;
  /** `group/project` or the numeric id. */
  project: string;
  /** Ask GitLab to delete the source branch once merged. */
  removeSourceBranch?: boolean;
  /** Merge with "merge when pipeline succeeds" (`auto_merge`) while the head pipeline still runs. */
  mergeWhenPipelineSucceeds?: boolean;
  /** Between reads while a server-side rebase runs (1 s by default). */
  rebasePollIntervalMs?: number;
  /** Longest wait for a server-side rebase (5 min by default). */
  rebaseTimeoutMs?: number;
  /** Where to receive GitLab webhooks so `watch` reports merge request changes at once. */
  webhook?: GitLabWebhookServerOptions | null;
  secretEnvironmentVariables?: readonly string[];
  logger?: Logger;
}

const mergeRequestIdPattern = /^\d+$/;

/**
 * GitLab merge requests as a Loompa SCM provider. Everything is read from GitLab on each
 * call (no local state), so a restarted orchestrator finds the same merge request, the same
 * status note and the same threads.
 */
export class GitLabScmProvider implements ScmProviderV1 {
  readonly specificationVersion = 'scm-provider-v1' as const;
  readonly name = 'gitlab';
  readonly secretEnvironmentVariables: readonly string[];
  readonly client: GitLabClient;
  private readonly project: string;
  private readonly settings: GitLabScmSettings;
  private readonly logger: Logger;
  private readonly token: string | null;
  private repositoryUrl: Promise<string> | null = null;
  /** Fork project id → its HTTPS remote, read once per fork. */
  private readonly forkRepositoryUrls = new Map<number, Promise<string>>();
  /** Present only with a webhook endpoint: without one there is nothing to watch but polling, which core does. */
  readonly watch?: ScmProviderV1['watch'];

  constructor(settings: GitLabScmSettings) {
    this.settings = settings;
    this.client = 'api' in settings.client ? settings.client : createGitLabClient(settings.client);
    this.token = 'api' in settings.client ? null : settings.client.token;
    this.project = settings.project;
    this.logger = settings.logger ?? createSilentLogger();
    this.secretEnvironmentVariables = settings.secretEnvironmentVariables ?? ['GITLAB_TOKEN'];
    const webhook = settings.webhook;
    if (webhook) {
      this.watch = (options) =>
        watchMergeRequestWebhooks({ webhook, project: this.project, logger: this.logger, ...options });
    }
  }

  private fail(action: string, error: unknown): never {
    if (error instanceof ScmError) throw error;
    if (error instanceof Error && error.name === 'AbortError') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ScmError(`GitLab (project ${this.project}) could not ${action}: ${message}`, { cause: error });
  }

  private iidOf(changeRequest: ChangeRequest): number {
    if (!mergeRequestIdPattern.test(changeRequest.id)) {
      throw new ScmError(
        `GitLab merge request ids are their numbers (iid); "${changeRequest.id}" is not one`,
      );
    }
    return Number(changeRequest.id);
  }

  private async showMergeRequest(
    iid: number,
    abortSignal: AbortSignal | undefined,
  ): Promise<MergeRequestFields> {
    return (await this.client.call(abortSignal, (api) =>
      api.MergeRequests.show(this.project, iid, { includeRebaseInProgress: true }),
    )) as unknown as MergeRequestFields;
  }

  async findChangeRequest(options: CallOptions & { branch: string }): Promise<ChangeRequest | null> {
    try {
      const mergeRequests = (await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.all({
          projectId: this.project,
          sourceBranch: options.branch,
          state: 'all' as never,
          orderBy: 'created_at',
          sort: 'desc',
          perPage: 20,
          maxPages: 1,
        }),
      )) as unknown as MergeRequestFields[];
      // The open one wins; otherwise the newest (merged or closed) tells what happened.
      const chosen =
        mergeRequests.find((mergeRequest) => mergeRequest.state === 'opened') ?? mergeRequests[0];
      return chosen ? toChangeRequest(chosen) : null;
    } catch (error) {
      this.fail(`look up the merge request of branch ${options.branch}`, error);
    }
  }

  async openChangeRequest(
    options: CallOptions & { branch: string; baseBranch: string; title: string; body: string },
  ): Promise<ChangeRequest> {
    try {
      const created = (await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.create(this.project, options.branch, options.baseBranch, options.title, {
          description: options.body,
          ...(this.settings.removeSourceBranch ? { removeSourceBranch: true } : {}),
        }),
      )) as unknown as MergeRequestFields;
      return toChangeRequest(created);
    } catch (error) {
      // Opened already (a crash between opening and remembering it): adopt that one.
      if (GitLabRequestError.hasStatus(error, 409)) {
        const existing = await this.findChangeRequest(options);
        if (existing?.state === 'open') return existing;
      }
      this.fail(`open a merge request from ${options.branch} into ${options.baseBranch}`, error);
    }
  }

  async getStatus(options: CallOptions & { changeRequest: ChangeRequest }): Promise<ChangeRequestStatus> {
    const iid = this.iidOf(options.changeRequest);
    try {
      return await this.client.call(options.abortSignal, async (api) => {
        const mergeRequest = (await api.MergeRequests.show(this.project, iid, {
          includeRebaseInProgress: true,
        })) as unknown as MergeRequestFields;
        const headSha = mergeRequest.sha ?? null;
        // The head pipeline belongs to the head only when their shas agree; an older one says nothing.
        const headPipeline =
          mergeRequest.head_pipeline &&
          (!mergeRequest.head_pipeline.sha || mergeRequest.head_pipeline.sha === headSha)
            ? mergeRequest.head_pipeline
            : null;
        const [checks, discussions, approvals, reviewers] = await Promise.all([
          // A fork's branch pipelines belong to the fork project.
          readChecks(
            this.client,
            headPipeline?.project_id !== undefined ? String(headPipeline.project_id) : this.project,
            headSha,
            headPipeline?.id ?? null,
          ),
          api.MergeRequestDiscussions.all(this.project, iid, {
            ...this.client.pageLimits,
          }) as unknown as Promise<DiscussionFields[]>,
          api.MergeRequestApprovals.showConfiguration(this.project, {
            mergerequestIId: iid,
          }) as unknown as Promise<ApprovalFields>,
          api.MergeRequests.showReviewers(this.project, iid) as unknown as Promise<ReviewerFields[]>,
        ]);
        const mergeability = mergeRequest.rebase_in_progress
          ? 'computing'
          : mapDetailedMergeStatus(mergeRequest.detailed_merge_status, {
              hasConflicts: mergeRequest.has_conflicts ?? false,
            });
        return {
          state: toChangeRequest(mergeRequest).state,
          headSha,
          continuousIntegration: { state: rollUpChecks(checks), checks },
          review: {
            state: reviewState(approvals, reviewers),
            threads: discussionsToThreads(discussions),
            // GitLab keeps approvals across pushes unless the project resets them, so it decides what counts.
            approvals: approvals.approved_by?.length ?? 0,
          },
          mergeability,
        } satisfies ChangeRequestStatus;
      });
    } catch (error) {
      this.fail(`read the status of merge request !${iid}`, error);
    }
  }

  /**
   * The project's HTTPS remote and an environment that makes git send the token as an
   * `Authorization` header (`GIT_CONFIG_*` → `http.extraHeader`): never in the URL or argv.
   */
  async getPushTarget(
    options: CallOptions & { changeRequest?: ChangeRequest } = {},
  ): Promise<PushTarget | null> {
    if (this.token === null) {
      throw new ScmError('The GitLab provider was given a ready client, so it has no token to push with');
    }
    const forkUrl = options.changeRequest?.headRepositoryUrl ?? null;
    if (forkUrl !== null) return this.pushTargetFor(forkUrl);
    if (this.repositoryUrl === null) {
      const reading = this.client
        .call(options.abortSignal, (api) => api.Projects.show(this.project))
        .then((project) => String((project as { http_url_to_repo: string }).http_url_to_repo));
      reading.catch(() => {
        if (this.repositoryUrl === reading) this.repositoryUrl = null;
      });
      this.repositoryUrl = reading;
    }
    try {
      return this.pushTargetFor(await this.repositoryUrl);
    } catch (error) {
      this.fail('read the repository address', error);
    }
  }

  private pushTargetFor(remoteUrl: string): PushTarget {
    const basic = Buffer.from(`oauth2:${this.token}`).toString('base64');
    registerSecret(basic);
    return {
      remoteUrl,
      environment: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
        GIT_TERMINAL_PROMPT: '0',
      },
    };
  }

  /**
   * Open merge requests to babysit: those among `numbers` (iids) and those labelled `label`,
   * each once. A merge request from a fork carries the fork's remote and, from
   * `allow_collaboration`, whether Loompa may push to it.
   */
  async listBabysitCandidates(
    options: CallOptions & { numbers: readonly number[]; label: string | null },
  ): Promise<ChangeRequest[]> {
    const list = (filter: Record<string, unknown>) =>
      this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.all({
          projectId: this.project,
          state: 'opened',
          ...filter,
          ...this.client.pageLimits,
        } as never),
      ) as unknown as Promise<MergeRequestFields[]>;
    try {
      const found = new Map<number, MergeRequestFields>();
      if (options.numbers.length > 0) {
        for (const mergeRequest of await list({ iids: [...options.numbers] }))
          found.set(mergeRequest.iid, mergeRequest);
      }
      if (options.label !== null) {
        for (const mergeRequest of await list({ labels: options.label }))
          found.set(mergeRequest.iid, mergeRequest);
      }
      const candidates: ChangeRequest[] = [];
      for (const mergeRequest of [...found.values()].sort((left, right) => left.iid - right.iid)) {
        const forkUrl = isFromFork(mergeRequest)
          ? await this.forkRepositoryUrl(mergeRequest.source_project_id!, options.abortSignal)
          : null;
        candidates.push(toChangeRequest(mergeRequest, forkUrl));
      }
      return candidates;
    } catch (error) {
      this.fail('list the merge requests to babysit', error);
    }
  }

  private forkRepositoryUrl(projectId: number, abortSignal: AbortSignal | undefined): Promise<string> {
    let reading = this.forkRepositoryUrls.get(projectId);
    if (!reading) {
      reading = this.client
        .call(abortSignal, (api) => api.Projects.show(projectId))
        .then((project) => String((project as { http_url_to_repo: string }).http_url_to_repo));
      reading.catch(() => this.forkRepositoryUrls.delete(projectId));
      this.forkRepositoryUrls.set(projectId, reading);
    }
    return reading;
  }

  async updateChangeRequest(
    options: CallOptions & { changeRequest: ChangeRequest; title?: string; body?: string },
  ): Promise<ChangeRequest> {
    const iid = this.iidOf(options.changeRequest);
    try {
      const updated = (await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.edit(this.project, iid, {
          ...(options.title === undefined ? {} : { title: options.title }),
          ...(options.body === undefined ? {} : { description: options.body }),
        }),
      )) as unknown as MergeRequestFields;
      return toChangeRequest(updated);
    } catch (error) {
      this.fail(`edit merge request !${iid}`, error);
    }
  }

  async getCheckLog(
    options: CallOptions & { changeRequest: ChangeRequest; checkId: string; maxBytes: number },
  ): Promise<string> {
    const project = options.checkId.startsWith('job:')
      ? await this.pipelineProjectOf(options.changeRequest, options.abortSignal)
      : this.project;
    return this.readJobLog(project, options.checkId, options.maxBytes, options.abortSignal);
  }

  /**
   * Where the head pipeline's jobs live: the project itself, or for a merge request from a fork
   * the fork (its branch pipelines run there, and GitLab serves a job only under its own project).
   */
  private async pipelineProjectOf(
    changeRequest: ChangeRequest,
    abortSignal: AbortSignal | undefined,
  ): Promise<string> {
    if (!changeRequest.headRepositoryUrl) return this.project;
    const iid = this.iidOf(changeRequest);
    try {
      const projectId = (await this.showMergeRequest(iid, abortSignal)).head_pipeline?.project_id;
      return projectId === undefined ? this.project : String(projectId);
    } catch (error) {
      this.fail(`read the head pipeline of merge request !${iid}`, error);
    }
  }

  /** The tail of a job's trace without colours or section markers; `checkId` is `job:<id>` or `status:<id>`. */
  private async readJobLog(
    project: string,
    checkId: string,
    maxBytes: number,
    abortSignal: AbortSignal | undefined,
  ): Promise<string> {
    const [kind, id] = checkId.split(':');
    if (kind === 'status') {
      return tailBytes(
        'This check is an external commit status; its log lives with the service that set it.',
        maxBytes,
      );
    }
    if (kind !== 'job' || !id || !/^\d+$/.test(id)) {
      throw new ScmError(`"${checkId}" is not a GitLab check id (expected job:<id> or status:<id>)`);
    }
    try {
      const log = await this.client.call(abortSignal, (api) => api.Jobs.showLog(project, Number(id)));
      return tailBytes(plainJobLog(String(log)), maxBytes);
    } catch (error) {
      this.fail(`read the log of job ${id}`, error);
    }
  }

  /**
   * Retries the failed jobs among `checks` (`POST …/jobs/:id/retry`), each under a new job id
   * in the head pipeline; see `retryFailedJobs`. A fork's pipeline runs, and is retried, in the fork.
   */
  async rerunChecks(
    options: CallOptions & { changeRequest: ChangeRequest; checks: readonly CheckResult[] },
  ): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    try {
      await retryFailedJobs(this.client, {
        project: await this.pipelineProjectOf(options.changeRequest, options.abortSignal),
        checks: options.checks,
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      this.fail(`retry the failed jobs of merge request !${iid}`, error);
    }
  }

  /** Scheduled and default-branch pipelines `triage.workflows` names; see `listWatchedPipelines`. */
  async listWorkflowRuns(
    options: CallOptions & { workflows: readonly string[]; perWorkflow: number },
  ): Promise<WorkflowRun[]> {
    try {
      return await listWatchedPipelines(this.client, { project: this.project, ...options });
    } catch (error) {
      this.fail(`list the pipelines of ${options.workflows.map((name) => `"${name}"`).join(', ')}`, error);
    }
  }

  async listFailedJobs(options: CallOptions & { run: WorkflowRun }): Promise<CheckResult[]> {
    try {
      return await listFailedPipelineJobs(this.client, { project: this.project, ...options });
    } catch (error) {
      this.fail(`list the failed jobs of pipeline ${options.run.id}`, error);
    }
  }

  async getJobLog(
    options: CallOptions & { run: WorkflowRun; jobId: string; maxBytes: number },
  ): Promise<string> {
    return this.readJobLog(this.project, options.jobId, options.maxBytes, options.abortSignal);
  }

  async upsertComment(
    options: CallOptions & { changeRequest: ChangeRequest; key: string; body: string },
  ): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    const body = withKeyMarker(options.body, options.key);
    try {
      await this.client.call(options.abortSignal, async (api) => {
        const user = await this.client.currentUser(options.abortSignal);
        const notes = await api.MergeRequestNotes.all(this.project, iid, {
          sort: 'desc',
          orderBy: 'created_at',
          ...this.client.pageLimits,
        });
        const existing = notes.find(
          (note) => note.author.id === user.id && keyOfNote(note.body) === options.key,
        );
        if (existing?.body === body) return;
        if (existing) await api.MergeRequestNotes.edit(this.project, iid, existing.id, { body });
        else await api.MergeRequestNotes.create(this.project, iid, body);
      });
    } catch (error) {
      this.fail(`write the "${options.key}" note on merge request !${iid}`, error);
    }
  }

  async replyToThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string; body: string },
  ): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.MergeRequestDiscussions.addNote(this.project, iid, options.threadId, options.body),
      );
    } catch (error) {
      this.fail(`reply in thread ${options.threadId} of merge request !${iid}`, error);
    }
  }

  async resolveThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string },
  ): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.MergeRequestDiscussions.resolve(this.project, iid, options.threadId, true),
      );
    } catch (error) {
      this.fail(`resolve thread ${options.threadId} of merge request !${iid}`, error);
    }
  }

  /**
   * GitLab's server-side rebase. The PUT only queues it (202, even when it cannot succeed),
   * so this reads the merge request until `rebase_in_progress` is false and then trusts
   * `merge_error` alone: a failure means a local rebase (with the agent) is needed.
   */
  async updateBranch(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    const interval = this.settings.rebasePollIntervalMs ?? 1_000;
    const timeout = this.settings.rebaseTimeoutMs ?? 300_000;
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.rebase(this.project, iid, { skipCI: false }),
      );
      const deadline = Date.now() + timeout;
      for (;;) {
        const mergeRequest = await this.showMergeRequest(iid, options.abortSignal);
        if (!mergeRequest.rebase_in_progress) {
          if (mergeRequest.merge_error) {
            throw new ScmError(
              `GitLab could not rebase merge request !${iid} onto ${mergeRequest.target_branch}: ${mergeRequest.merge_error}`,
              { details: { mergeRequest: iid, mergeError: mergeRequest.merge_error, rebaseFailed: true } },
            );
          }
          return;
        }
        if (Date.now() > deadline) {
          throw new ScmError(
            `GitLab's rebase of merge request !${iid} was still running after ${timeout} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, interval));
        options.abortSignal?.throwIfAborted();
      }
    } catch (error) {
      this.fail(`rebase merge request !${iid}`, error);
    }
  }

  /**
   * Merges only the head that was checked (`sha`): GitLab answers 409 when the branch moved.
   * GitLab's merge method is a project setting, so `method` decides only whether to squash.
   */
  async merge(
    options: CallOptions & { changeRequest: ChangeRequest; method: MergeMethod; expectedHeadSha: string },
  ): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.merge(this.project, iid, {
          sha: options.expectedHeadSha,
          squash: options.method === 'squash',
          ...(this.settings.removeSourceBranch ? { shouldRemoveSourceBranch: true } : {}),
          ...(this.settings.mergeWhenPipelineSucceeds ? { mergeWhenPipelineSucceeds: true } : {}),
        }),
      );
    } catch (error) {
      if (GitLabRequestError.hasStatus(error, 409)) {
        throw new ScmError(
          `Merge request !${iid} was not merged: its head is no longer ${options.expectedHeadSha.slice(0, 12)}`,
          { cause: error, details: { mergeRequest: iid, headMoved: true } },
        );
      }
      this.fail(`merge merge request !${iid}`, error);
    }
  }

  async closeChangeRequest(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void> {
    const iid = this.iidOf(options.changeRequest);
    try {
      await this.client.call(options.abortSignal, (api) =>
        api.MergeRequests.edit(this.project, iid, { stateEvent: 'close' }),
      );
    } catch (error) {
      this.fail(`close merge request !${iid}`, error);
    }
  }
}

export function createGitLabScm(settings: GitLabScmSettings): GitLabScmProvider {
  return new GitLabScmProvider(settings);
}
