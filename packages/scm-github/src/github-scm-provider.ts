import {
  type CallOptions,
  type ChangeRequest,
  type ChangeRequestStatus,
  type CheckResult,
  createSilentLogger,
  InvalidArgumentError,
  type Logger,
  type MergeMethod,
  type PushTarget,
  registerSecret,
  ScmError,
  type ScmProviderV1,
  type WorkflowRun,
} from '@loompa/core';
import {
  type GitHubClient,
  type GitHubWebhookReceiverOptions,
  type GitHubWebhookSource,
  hasMarker,
  type LoompaOctokitInstance,
  withMarker,
} from '@loompa/github-client';
import { readCheckLog } from './check-log.js';
import { type CheckRunFields, type CommitStatusFields, rollUpChecks, toChecks } from './check-rollup.js';
import { closingReferences } from './closing-references.js';
import { mapMergeableState } from './map-mergeable-state.js';
import { isForkHead, type PullRequestFields, toChangeRequest } from './pull-request-fields.js';
import { rerunFailedJobs } from './rerun-failed-jobs.js';
import {
  type ReviewSnapshot,
  type ReviewStatusAnswer,
  reviewStatusQuery,
  toReviewSnapshot,
} from './review-status-query.js';
import { listDefaultBranchRuns, listFailedRunJobs } from './scheduled-runs.js';
import { watchPullRequestWebhooks } from './watch-pull-request-webhooks.js';

export interface GitHubScmSettings {
  client: GitHubClient;
  /** `owner/name`. */
  repository: string;
  /** Open pull requests as drafts. */
  draft?: boolean;
  /** Close the issues a merged pull request names (`Closes #N`) when it merged into another branch than the default one. */
  closeIssuesAfterMerge?: boolean;
  /** Waits between re-reads while GitHub computes mergeability; 500, 1,000 and 2,000 ms by default. */
  mergeabilityRetryDelaysMs?: readonly number[];
  /** Longest time reviews are answered from the last read while the pull request looks unchanged; 10 minutes by default. */
  reviewMaxAgeMs?: number;
  /** Receive webhooks on a receiver of its own (shared per port) so `watch` reports changes at once. */
  webhook?: (GitHubWebhookReceiverOptions & { secret: string }) | null;
  /** Or listen on a receiver or request handler the caller runs (shared with the tracker). */
  webhookReceiver?: GitHubWebhookSource | null;
  secretEnvironmentVariables?: readonly string[];
  logger?: Logger;
}

const pullNumberPattern = /^\d+$/;

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    statuses.includes((error as { status?: number }).status ?? -1)
  );
}

interface CachedReviews {
  /** The pull request's `updated_at` and head when the reviews were read. */
  fingerprint: string;
  snapshot: ReviewSnapshot;
  readAt: number;
}

/**
 * GitHub pull requests as a Loompa SCM provider. Every GET is conditional (an unchanged
 * answer is a 304 that costs no rate limit), and reviews are read with GraphQL only when the
 * pull request changed, a webhook said so, or the last read is old: a pull request waiting
 * for review costs no rate-limit point per cycle. Nothing is kept that GitHub does not also
 * hold, so a restarted orchestrator finds the same pull request, comment and threads.
 */
export class GitHubScmProvider implements ScmProviderV1 {
  readonly specificationVersion = 'scm-provider-v1' as const;
  readonly name = 'github';
  readonly secretEnvironmentVariables: readonly string[];
  readonly client: GitHubClient;
  readonly watch?: ScmProviderV1['watch'];
  private readonly owner: string;
  private readonly repositoryName: string;
  private readonly logger: Logger;
  private readonly reviewCache = new Map<number, CachedReviews>();
  /** Head commits seen on pull requests, so a check event of a fork (which names no pull request) finds its branch. */
  private readonly branchOfHead = new Map<string, string>();

  constructor(private readonly settings: GitHubScmSettings) {
    const [owner, name] = settings.repository.split('/');
    if (!owner || !name || settings.repository.split('/').length !== 2) {
      throw new InvalidArgumentError(
        `repository must be written owner/name, got ${JSON.stringify(settings.repository)}`,
      );
    }
    this.owner = owner;
    this.repositoryName = name;
    this.client = settings.client;
    this.logger = settings.logger ?? createSilentLogger();
    this.secretEnvironmentVariables = settings.secretEnvironmentVariables ?? ['GITHUB_TOKEN'];
    const source = settings.webhookReceiver ?? settings.webhook ?? null;
    if (source) {
      this.watch = (options) =>
        watchPullRequestWebhooks({
          ...options,
          webhook: source,
          repository: settings.repository,
          logger: this.logger,
          branchOfHead: (sha) => this.branchOfHead.get(sha) ?? null,
          forget: (number) => this.reviewCache.delete(number),
        });
    }
  }

  private get repo() {
    return { owner: this.owner, repo: this.repositoryName };
  }

  private fail(action: string, error: unknown): never {
    if (error instanceof ScmError || error instanceof InvalidArgumentError) throw error;
    if (error instanceof Error && error.name === 'AbortError') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ScmError(`GitHub (${this.settings.repository}) could not ${action}: ${message}`, {
      cause: error,
    });
  }

  private numberOf(changeRequest: ChangeRequest): number {
    if (!pullNumberPattern.test(changeRequest.id)) {
      throw new ScmError(`GitHub pull request ids are their numbers; "${changeRequest.id}" is not one`);
    }
    return Number(changeRequest.id);
  }

  private signal(options: CallOptions) {
    return options.abortSignal ? { request: { signal: options.abortSignal } } : {};
  }

  private remember(pull: PullRequestFields): ChangeRequest {
    this.branchOfHead.set(pull.head.sha, pull.head.ref);
    return toChangeRequest(pull);
  }

  private async readPullRequest(octokit: LoompaOctokitInstance, number: number, options: CallOptions) {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...this.repo,
      pull_number: number,
      ...this.signal(options),
    });
    return data as unknown as PullRequestFields;
  }

  async findChangeRequest(options: CallOptions & { branch: string }): Promise<ChangeRequest | null> {
    try {
      const octokit = await this.client.octokit();
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
        ...this.repo,
        head: `${this.owner}:${options.branch}`,
        state: 'all',
        sort: 'created',
        direction: 'desc',
        per_page: 20,
        ...this.signal(options),
      });
      const pulls = data as unknown as PullRequestFields[];
      // The open one wins; otherwise the newest (merged or closed) tells what happened.
      const chosen = pulls.find((pull) => pull.state === 'open') ?? pulls[0];
      return chosen ? this.remember(chosen) : null;
    } catch (error) {
      this.fail(`look up the pull request of branch ${options.branch}`, error);
    }
  }

  async openChangeRequest(
    options: CallOptions & { branch: string; baseBranch: string; title: string; body: string },
  ): Promise<ChangeRequest> {
    try {
      const octokit = await this.client.octokit();
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...this.repo,
        head: `${this.owner}:${options.branch}`,
        base: options.baseBranch,
        title: options.title,
        body: options.body,
        draft: this.settings.draft ?? false,
        ...this.signal(options),
      });
      return this.remember(data as unknown as PullRequestFields);
    } catch (error) {
      // Opened already (a crash between opening and remembering it): adopt that one.
      if (isStatus(error, 422)) {
        const existing = await this.findChangeRequest(options);
        if (existing?.state === 'open') return existing;
      }
      this.fail(`open a pull request from ${options.branch} into ${options.baseBranch}`, error);
    }
  }

  /**
   * The pull request, read again with back-off while GitHub computes its mergeability
   * (`mergeable: null`); still null after the last wait means "computing".
   */
  private async readSettledPullRequest(octokit: LoompaOctokitInstance, number: number, options: CallOptions) {
    let pull = await this.readPullRequest(octokit, number, options);
    for (const delay of this.settings.mergeabilityRetryDelaysMs ?? [500, 1_000, 2_000]) {
      if (pull.state !== 'open' || (pull.mergeable !== null && pull.mergeable_state !== 'unknown')) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      options.abortSignal?.throwIfAborted();
      pull = await this.readPullRequest(octokit, number, options);
    }
    return pull;
  }

  private async readChecks(octokit: LoompaOctokitInstance, sha: string, options: CallOptions) {
    const [runs, combined] = await Promise.all([
      octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
        ...this.repo,
        ref: sha,
        filter: 'latest',
        per_page: 100,
        ...this.signal(options),
      }),
      octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
        ...this.repo,
        ref: sha,
        per_page: 100,
        ...this.signal(options),
      }),
    ]);
    return toChecks(
      runs.data.check_runs as unknown as CheckRunFields[],
      combined.data.statuses as unknown as CommitStatusFields[],
    );
  }

  /**
   * Reviews and threads: from the last read while nothing changed and the read is recent.
   * Whether something changed is asked with conditional reads of the pull request's reviews
   * and review comments (304s, free): `updated_at` has whole seconds, so two reviews within
   * one second would look like one. Resolution shows in neither; a webhook or the age limit
   * brings it, and Loompa's own resolutions forget the cache at once.
   */
  private async readReviews(
    octokit: LoompaOctokitInstance,
    pull: PullRequestFields,
    options: CallOptions,
  ): Promise<ReviewSnapshot> {
    const [reviews, comments] = await Promise.all([
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
        ...this.repo,
        pull_number: pull.number,
        per_page: 100,
        ...this.signal(options),
      }),
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', {
        ...this.repo,
        pull_number: pull.number,
        sort: 'updated',
        direction: 'desc',
        per_page: 100,
        ...this.signal(options),
      }),
    ]);
    const fingerprint = [
      pull.updated_at ?? '',
      pull.head.sha,
      reviews.headers.etag ?? JSON.stringify(reviews.data.map((review) => [review.id, review.state])),
      comments.headers.etag ??
        JSON.stringify(comments.data.map((comment) => [comment.id, comment.updated_at])),
    ].join('|');
    const cached = this.reviewCache.get(pull.number);
    const maximumAge = this.settings.reviewMaxAgeMs ?? 10 * 60 * 1000;
    if (cached && cached.fingerprint === fingerprint && performance.now() - cached.readAt < maximumAge) {
      return cached.snapshot;
    }
    const answer = await octokit.graphql<ReviewStatusAnswer>(reviewStatusQuery, {
      owner: this.owner,
      name: this.repositoryName,
      number: pull.number,
      ...this.signal(options),
    });
    const snapshot = toReviewSnapshot(answer);
    if (!snapshot) throw new ScmError(`GitHub's GraphQL API does not know pull request #${pull.number}`);
    this.reviewCache.set(pull.number, { fingerprint, snapshot, readAt: performance.now() });
    return snapshot;
  }

  async getStatus(options: CallOptions & { changeRequest: ChangeRequest }): Promise<ChangeRequestStatus> {
    const number = this.numberOf(options.changeRequest);
    try {
      const octokit = await this.client.octokit();
      const pull = await this.readSettledPullRequest(octokit, number, options);
      this.remember(pull);
      const [checks, reviews] = await Promise.all([
        this.readChecks(octokit, pull.head.sha, options),
        this.readReviews(octokit, pull, options),
      ]);
      return {
        state: toChangeRequest(pull).state,
        headSha: pull.head.sha,
        continuousIntegration: { state: rollUpChecks(checks), checks },
        review: { state: reviews.state, threads: reviews.threads, approvals: reviews.approvals },
        mergeability: mapMergeableState(pull.mergeable, pull.mergeable_state),
      };
    } catch (error) {
      this.fail(`read the status of pull request #${number}`, error);
    }
  }

  private cloneUrl: Promise<{ cloneUrl: string; defaultBranch: string }> | null = null;

  /** The repository's clone URL and default branch, read once (and again after a failure). */
  private repositoryFacts(options: CallOptions) {
    if (this.cloneUrl === null) {
      const reading = this.client.octokit().then(async (octokit) => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}', {
          ...this.repo,
          ...this.signal(options),
        });
        return { cloneUrl: data.clone_url, defaultBranch: data.default_branch };
      });
      reading.catch(() => {
        if (this.cloneUrl === reading) this.cloneUrl = null;
      });
      this.cloneUrl = reading;
    }
    return this.cloneUrl;
  }

  /**
   * The repository's HTTPS remote (a fork's, for a pull request whose head lives there) and an
   * environment that makes git send the token as an `Authorization` header
   * (`GIT_CONFIG_*` → `http.extraHeader`): never in the URL or argv.
   */
  async getPushTarget(
    options: CallOptions & { changeRequest?: ChangeRequest } = {},
  ): Promise<PushTarget | null> {
    try {
      const octokit = await this.client.octokit();
      // An App mints an installation token; a token credential hands its token back.
      const authentication = (await octokit.auth({ type: 'installation' })) as { token?: string };
      if (!authentication.token) throw new ScmError('the GitHub client has no token to push with');
      const remoteUrl =
        options.changeRequest?.headRepositoryUrl ?? (await this.repositoryFacts(options)).cloneUrl;
      const basic = Buffer.from(`x-access-token:${authentication.token}`).toString('base64');
      registerSecret(authentication.token);
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
    } catch (error) {
      this.fail('prepare a push', error);
    }
  }

  async listBabysitCandidates(
    options: CallOptions & { numbers: readonly number[]; label: string | null },
  ): Promise<ChangeRequest[]> {
    try {
      const octokit = await this.client.octokit();
      const found = new Map<number, PullRequestFields>();
      for (const number of new Set(options.numbers)) {
        try {
          const pull = await this.readPullRequest(octokit, number, options);
          if (pull.state === 'open') found.set(pull.number, pull);
        } catch (error) {
          // A number that is an issue or does not exist babysits nothing.
          if (!isStatus(error, 404)) throw error;
          this.logger.warn('scm.babysit names no pull request', { number });
        }
      }
      if (options.label) {
        const wanted = options.label.toLowerCase();
        const open = (await octokit.paginate('GET /repos/{owner}/{repo}/pulls', {
          ...this.repo,
          state: 'open',
          per_page: 100,
          ...this.signal(options),
        })) as unknown as PullRequestFields[];
        for (const pull of open) {
          if (found.has(pull.number)) continue;
          if (!pull.labels?.some((label) => label.name?.toLowerCase() === wanted)) continue;
          // Lists leave out `maintainer_can_modify`; a fork's pull request is read in full to know it.
          found.set(
            pull.number,
            isForkHead(pull) ? await this.readPullRequest(octokit, pull.number, options) : pull,
          );
        }
      }
      return [...found.values()]
        .sort((left, right) => left.number - right.number)
        .map((pull) => this.remember(pull));
    } catch (error) {
      this.fail('list the pull requests to babysit', error);
    }
  }

  async updateChangeRequest(
    options: CallOptions & { changeRequest: ChangeRequest; title?: string; body?: string },
  ): Promise<ChangeRequest> {
    const number = this.numberOf(options.changeRequest);
    try {
      const octokit = await this.client.octokit();
      const { data } = await octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.repo,
        pull_number: number,
        ...(options.title === undefined ? {} : { title: options.title }),
        ...(options.body === undefined ? {} : { body: options.body }),
        ...this.signal(options),
      });
      return this.remember(data as unknown as PullRequestFields);
    } catch (error) {
      this.fail(`edit pull request #${number}`, error);
    }
  }

  async rerunChecks(
    options: CallOptions & { changeRequest: ChangeRequest; checks: readonly CheckResult[] },
  ): Promise<void> {
    try {
      await rerunFailedJobs(await this.client.octokit(), { ...this.repo, ...options });
    } catch (error) {
      this.fail('re-run failed checks', error);
    }
  }

  async listWorkflowRuns(
    options: CallOptions & { workflows: readonly string[]; perWorkflow: number },
  ): Promise<WorkflowRun[]> {
    try {
      return await listDefaultBranchRuns(await this.client.octokit(), { ...this.repo, ...options });
    } catch (error) {
      this.fail('list the watched workflow runs', error);
    }
  }

  async listFailedJobs(options: CallOptions & { run: WorkflowRun }): Promise<CheckResult[]> {
    try {
      return await listFailedRunJobs(await this.client.octokit(), { ...this.repo, ...options });
    } catch (error) {
      this.fail(`list the failed jobs of workflow run ${options.run.id}`, error);
    }
  }

  async getJobLog(
    options: CallOptions & { run: WorkflowRun; jobId: string; maxBytes: number },
  ): Promise<string> {
    try {
      return await readCheckLog(await this.client.octokit(), {
        ...this.repo,
        checkId: options.jobId,
        headSha: options.run.headSha,
        maxBytes: options.maxBytes,
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      this.fail(`read the log of job ${options.jobId}`, error);
    }
  }

  async getCheckLog(
    options: CallOptions & { changeRequest: ChangeRequest; checkId: string; maxBytes: number },
  ): Promise<string> {
    try {
      const octokit = await this.client.octokit();
      return await readCheckLog(octokit, {
        ...this.repo,
        checkId: options.checkId,
        headSha: options.changeRequest.headSha ?? null,
        maxBytes: options.maxBytes,
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      this.fail(`read the log of check ${options.checkId}`, error);
    }
  }

  async upsertComment(
    options: CallOptions & { changeRequest: ChangeRequest; key: string; body: string },
  ): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    const body = withMarker(options.body, options.key);
    try {
      const octokit = await this.client.octokit();
      const login = (await this.client.login()).toLowerCase();
      const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...this.repo,
        issue_number: number,
        per_page: 100,
        ...this.signal(options),
      });
      const existing = comments.find(
        (comment) => comment.user?.login.toLowerCase() === login && hasMarker(comment.body, options.key),
      );
      if (existing?.body === body) return;
      if (existing) {
        await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          ...this.repo,
          comment_id: existing.id,
          body,
          ...this.signal(options),
        });
      } else {
        await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...this.repo,
          issue_number: number,
          body,
          ...this.signal(options),
        });
      }
    } catch (error) {
      this.fail(`write the "${options.key}" comment on pull request #${number}`, error);
    }
  }

  /** A review thread is answered inside it; a review's summary (no thread) by a comment quoting it. */
  async replyToThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string; body: string },
  ): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    // Outside any thread, core cannot see the reply when it checks the thread before a retry:
    // keyed by the review, it is written once however often it is sent.
    if (options.threadId.startsWith('review:')) {
      await this.upsertComment({ ...options, key: `reply-to-${options.threadId}` });
      return;
    }
    try {
      const octokit = await this.client.octokit();
      await octokit.graphql(
        `mutation LoompaReplyToThread($thread: ID!, $body: String!) {
          addPullRequestReviewThreadReply(input: { pullRequestReviewThreadId: $thread, body: $body }) { comment { id } }
        }`,
        { thread: options.threadId, body: options.body, ...this.signal(options) },
      );
      this.reviewCache.delete(number);
    } catch (error) {
      this.fail(`reply in thread ${options.threadId} of pull request #${number}`, error);
    }
  }

  /** Resolves a review thread; a review's summary has nothing to resolve. */
  async resolveThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string },
  ): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    if (options.threadId.startsWith('review:')) return;
    try {
      const octokit = await this.client.octokit();
      await octokit.graphql(
        `mutation LoompaResolveThread($thread: ID!) {
          resolveReviewThread(input: { threadId: $thread }) { thread { id isResolved } }
        }`,
        { thread: options.threadId, ...this.signal(options) },
      );
      this.reviewCache.delete(number);
    } catch (error) {
      this.fail(`resolve thread ${options.threadId} of pull request #${number}`, error);
    }
  }

  /**
   * GitHub's "Update branch" by rebase, pinned to the head read just before. A conflict
   * fails with `details.rebaseFailed`: the branch then needs a local rebase (with the agent).
   */
  async updateBranch(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    try {
      const octokit = await this.client.octokit();
      const pull = await this.readPullRequest(octokit, number, options);
      try {
        await octokit.graphql(
          `mutation LoompaUpdateBranch($pull: ID!, $head: GitObjectID!) {
            updatePullRequestBranch(input: { pullRequestId: $pull, expectedHeadOid: $head, updateMethod: REBASE }) {
              pullRequest { headRefOid }
            }
          }`,
          { pull: pull.node_id, head: pull.head.sha, ...this.signal(options) },
        );
      } catch (error) {
        if (error instanceof Error && error.name === 'AbortError') throw error;
        throw new ScmError(
          `GitHub could not rebase pull request #${number} onto ${pull.base.ref}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, details: { pullRequest: number, rebaseFailed: true } },
        );
      }
    } catch (error) {
      this.fail(`update the branch of pull request #${number}`, error);
    }
  }

  /**
   * Merges only the head that was checked (`sha`): GitHub answers 409 when the branch moved,
   * and the next cycle reads the new head; nothing is ever forced.
   */
  async merge(
    options: CallOptions & { changeRequest: ChangeRequest; method: MergeMethod; expectedHeadSha: string },
  ): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    try {
      const octokit = await this.client.octokit();
      try {
        await octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
          ...this.repo,
          pull_number: number,
          sha: options.expectedHeadSha,
          merge_method: options.method,
          ...this.signal(options),
        });
      } catch (error) {
        if (isStatus(error, 409)) {
          throw new ScmError(
            `Pull request #${number} was not merged: its head is no longer ${options.expectedHeadSha.slice(0, 12)}`,
            { cause: error, details: { pullRequest: number, headMoved: true } },
          );
        }
        if (isStatus(error, 405)) {
          throw new ScmError(`GitHub refused to merge pull request #${number}: it is not mergeable`, {
            cause: error,
            details: { pullRequest: number, notMergeable: true },
          });
        }
        throw error;
      }
      this.reviewCache.delete(number);
      if (this.settings.closeIssuesAfterMerge ?? true)
        await this.closeIssuesOfMerged(octokit, number, options);
    } catch (error) {
      this.fail(`merge pull request #${number}`, error);
    }
  }

  /** GitHub closes `Closes #N` issues only for merges into the default branch; the others are closed here. */
  private async closeIssuesOfMerged(octokit: LoompaOctokitInstance, number: number, options: CallOptions) {
    const pull = await this.readPullRequest(octokit, number, options);
    const { defaultBranch } = await this.repositoryFacts(options);
    if (pull.base.ref === defaultBranch) return;
    for (const issueNumber of closingReferences(pull.body ?? '')) {
      const { data: issue } = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
        ...this.repo,
        issue_number: issueNumber,
        ...this.signal(options),
      });
      if (issue.state !== 'open' || issue.pull_request) continue;
      await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...this.repo,
        issue_number: issueNumber,
        state: 'closed',
        state_reason: 'completed',
        ...this.signal(options),
      });
    }
  }

  async closeChangeRequest(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void> {
    const number = this.numberOf(options.changeRequest);
    try {
      const octokit = await this.client.octokit();
      await octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.repo,
        pull_number: number,
        state: 'closed',
        ...this.signal(options),
      });
    } catch (error) {
      this.fail(`close pull request #${number}`, error);
    }
  }
}

export function createGitHubScm(settings: GitHubScmSettings): GitHubScmProvider {
  return new GitHubScmProvider(settings);
}
