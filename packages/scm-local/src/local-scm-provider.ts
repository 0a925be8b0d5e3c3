import path from 'node:path';
import {
  buildRestrictedEnvironment,
  type CallOptions,
  type ChangeRequest,
  type ChangeRequestStatus,
  type CheckResult,
  createSilentLogger,
  describeError,
  InvalidArgumentError,
  isProcessAlive,
  type Logger,
  type MergeMethod,
  type PushTarget,
  ScmError,
  type ScmProviderV1,
  type WorkflowRun,
} from '@loompa/core';
import {
  type ChangeRequestRecord,
  type KeyedCommentRecord,
  nextItemId,
  type ReviewVerdict,
  toChangeRequest,
  toReviewThread,
} from './change-request-record.js';
import { ChangeRequestStore } from './change-request-store.js';
import { CheckRuns } from './check-runs.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LocalScmSettings } from './local-scm-settings.js';
import { mergeIntoBase } from './merge-into-base.js';
import { countCommitsAhead, relateToBase } from './mergeability.js';
import type { ReviewAnswer } from './parse-review-answer.js';
import { type ReviewRecordFile, readReviewFiles, writeReviewFile } from './review-record-files.js';
import { summarizeReview } from './review-state.js';
import { type AgentReviewer, reviewWithAgent } from './review-with-agent.js';
import { firstAuthorOf, resolveCommit } from './run-git.js';
import { TemporaryWorktrees } from './temporary-worktree.js';

/** A comment in a person's request for changes; without a path it is about the whole change. */
export interface LocalReviewComment {
  path?: string | null;
  line?: number | null;
  body: string;
}

export interface PersonReviewOptions {
  branch: string;
  reviewer: string;
  /** The commit reviewed; the branch's current head when omitted. */
  headSha?: string;
}

/** The comment key under which scm-local reports a reviewer agent that could not review. */
export const reviewerProblemCommentKey = 'scm-local-reviewer';

const maximumAgentReviewAttempts = 2;

/**
 * `ScmProviderV1` without a forge. A change request is a branch of the source checkout plus a
 * record under the state directory; checks run locally, review comes from a reviewer agent
 * and/or people, and merging lands the branch on its base. See the package README.
 */
export class LocalScmProvider implements ScmProviderV1 {
  readonly specificationVersion = 'scm-provider-v1' as const;
  readonly name = 'local';
  /** Checks are registered when the branch is read and approvals are enforced here, so neither default applies. */
  readonly mergeDefaults = { requiredApprovals: 0, checksSettleMs: 0 };

  private readonly repositoryPath: string;
  private readonly stateDirectory: string;
  private readonly store: ChangeRequestStore;
  private readonly worktrees: TemporaryWorktrees;
  private readonly checkRuns: CheckRuns;
  private readonly reviewer: AgentReviewer | null;
  private readonly requiredApprovals: number;
  private readonly authorName: string;
  private readonly logger: Logger;
  private readonly reviewsRunning = new Map<string, Promise<void>>();
  private readonly followUps = new Set<Promise<void>>();
  private readonly mergeMutex = new KeyedMutex();
  private readonly changeListeners = new Set<(change: { branch?: string }) => void>();
  private readonly abortController = new AbortController();

  constructor(settings: LocalScmSettings) {
    if (!settings.repositoryPath) throw new InvalidArgumentError('createLocalScm needs repositoryPath');
    if (!settings.stateDirectory) throw new InvalidArgumentError('createLocalScm needs stateDirectory');
    this.repositoryPath = path.resolve(settings.repositoryPath);
    this.stateDirectory = path.resolve(settings.stateDirectory);
    this.logger = settings.logger ?? createSilentLogger();
    this.store = new ChangeRequestStore(this.stateDirectory);
    this.worktrees = new TemporaryWorktrees(this.repositoryPath, this.stateDirectory);
    this.checkRuns = new CheckRuns({
      stateDirectory: this.stateDirectory,
      worktrees: this.worktrees,
      checks: (settings.checks ?? []).map((check) =>
        typeof check === 'string' ? { name: check, command: check } : check,
      ),
      defaultTimeoutMs: settings.checkTimeoutMs ?? 600_000,
      killGraceMs: settings.checkKillGraceMs ?? 5_000,
      logger: this.logger,
      onCompleted: (headSha) => this.afterChecksCompleted(headSha),
      // Checks run the agent's code: core's restricted policy, never the full environment.
      environment: settings.checkEnvironment ?? (() => buildRestrictedEnvironment({ source: process.env })),
    });
    this.reviewer = settings.reviewer
      ? {
          agent: settings.reviewer.agent,
          model: settings.reviewer.model ?? null,
          prompt: settings.reviewer.prompt ?? null,
          name: settings.reviewer.name ?? 'reviewer',
          maxTurns: settings.reviewer.maxTurns ?? 20,
          timeoutMs: settings.reviewer.timeoutMs ?? 900_000,
          maxDiffBytes: settings.reviewer.maxDiffBytes ?? 200_000,
          ...(settings.reviewer.environment ? { environment: settings.reviewer.environment } : {}),
        }
      : null;
    this.requiredApprovals = settings.requiredApprovals ?? (this.reviewer ? 1 : 0);
    this.authorName = settings.authorName ?? 'loompa';
  }

  async findChangeRequest(options: CallOptions & { branch: string }): Promise<ChangeRequest | null> {
    const records = (await this.store.list()).filter((record) => record.branch === options.branch);
    const chosen = records.find((record) => record.state === 'open') ?? records.at(-1);
    return chosen ? toChangeRequest(chosen) : null;
  }

  /** Opening twice returns the open request: a restart between open and bookkeeping is harmless. */
  async openChangeRequest(
    options: CallOptions & { branch: string; baseBranch: string; title: string; body: string },
  ): Promise<ChangeRequest> {
    if (options.branch === options.baseBranch) {
      throw new InvalidArgumentError(`A change request cannot merge "${options.branch}" into itself`);
    }
    for (const branch of [options.branch, options.baseBranch]) {
      if (!(await resolveCommit(this.repositoryPath, `refs/heads/${branch}`))) {
        throw new ScmError(`Branch "${branch}" does not exist in ${this.repositoryPath}`, {
          details: { reason: 'branch_missing', branch },
        });
      }
    }
    const existing = (await this.store.list()).find(
      (record) => record.branch === options.branch && record.state === 'open',
    );
    if (existing) return toChangeRequest(existing);
    const record = await this.store.create(options);
    this.logger.info('scm-local opened a change request', { id: record.id, branch: record.branch });
    return toChangeRequest(record);
  }

  async getPushTarget(_options: CallOptions = {}): Promise<PushTarget | null> {
    return null;
  }

  /**
   * Open change requests among `numbers`, with their head and the author of the branch's
   * first commit (scm-local records no opener). scm-local has no labels, so `label` selects
   * nothing: open a change request for the branch (`openChangeRequest`, or
   * `loompa babysit <branch>`) and babysit it by number.
   */
  async listBabysitCandidates(
    options: CallOptions & { numbers: readonly number[]; label: string | null },
  ): Promise<ChangeRequest[]> {
    const wanted = new Set(options.numbers);
    const candidates: ChangeRequest[] = [];
    for (const record of await this.store.list()) {
      if (record.state !== 'open' || !wanted.has(record.number)) continue;
      const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${record.branch}`);
      // A deleted branch closes its change request on the next status read.
      if (!headSha) continue;
      candidates.push({
        ...toChangeRequest(record),
        headSha,
        author: await firstAuthorOf(this.repositoryPath, record.baseBranch, headSha),
        headRepositoryUrl: null,
        pushable: true,
      });
    }
    return candidates;
  }

  async updateChangeRequest(
    options: CallOptions & { changeRequest: ChangeRequest; title?: string; body?: string },
  ): Promise<ChangeRequest> {
    const { record } = await this.store.update(options.changeRequest.id, (record) => {
      if (options.title !== undefined) record.title = options.title;
      if (options.body !== undefined) record.body = options.body;
    });
    return toChangeRequest(record);
  }

  async getStatus(options: CallOptions & { changeRequest: ChangeRequest }): Promise<ChangeRequestStatus> {
    let record = await this.ingestReviewFiles(options.changeRequest.id);
    if (record.state !== 'open') return this.finishedStatus(record);

    const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${record.branch}`);
    if (!headSha) {
      // Forges close a pull request whose branch is deleted; so does scm-local.
      record = (
        await this.store.update(record.id, (stored) => {
          stored.state = 'closed';
        })
      ).record;
      this.logger.warn('scm-local closed a change request whose branch is gone', { id: record.id });
      return this.finishedStatus(record);
    }
    const baseSha = await resolveCommit(this.repositoryPath, `refs/heads/${record.baseBranch}`);
    if (baseSha) {
      const ahead = await countCommitsAhead(this.repositoryPath, baseSha, headSha);
      if (ahead === 0 && record.seenAhead) {
        // Every commit of the branch is on the base: a person merged it by hand.
        record = (
          await this.store.update(record.id, (stored) => {
            stored.state = 'merged';
            stored.finalHeadSha = headSha;
            stored.mergedSha = baseSha;
          })
        ).record;
        return this.finishedStatus(record);
      }
      if (ahead > 0 && !record.seenAhead) {
        record = (
          await this.store.update(record.id, (stored) => {
            stored.seenAhead = true;
          })
        ).record;
      }
    }

    const continuousIntegration = await this.checkRuns.snapshot(headSha);
    const checksPassed = continuousIntegration.state === 'success' || continuousIntegration.state === 'none';
    if (checksPassed && baseSha && this.reviewer) await this.maybeStartAgentReview(record, headSha, baseSha);
    const review = summarizeReview(record.verdicts, headSha);

    let mergeability: ChangeRequestStatus['mergeability'] = 'unknown';
    if (baseSha) {
      mergeability = await relateToBase(this.repositoryPath, baseSha, headSha);
      if (
        mergeability === 'clean' &&
        (review.state === 'changes_requested' || review.approvalsOfHead < this.requiredApprovals)
      ) {
        mergeability = 'blocked';
      }
    }
    return {
      state: 'open',
      headSha,
      continuousIntegration,
      review: { state: review.state, threads: record.threads.map(toReviewThread) },
      mergeability,
    };
  }

  private async finishedStatus(record: ChangeRequestRecord): Promise<ChangeRequestStatus> {
    return {
      state: record.state,
      headSha: record.finalHeadSha,
      continuousIntegration: { state: 'none', checks: [] },
      review: {
        state: summarizeReview(record.verdicts, record.finalHeadSha).state,
        threads: record.threads.map(toReviewThread),
      },
      mergeability: 'unknown',
    };
  }

  /** Runs the given failed checks again on their head; they report under new ids. */
  async rerunChecks(
    options: CallOptions & { changeRequest: ChangeRequest; checks: readonly CheckResult[] },
  ): Promise<void> {
    await this.checkRuns.rerun(options.checks.map((check) => check.id));
  }

  /**
   * Without a forge there are no scheduled workflows: each name in `triage.workflows` is a
   * branch, and its run is the configured checks on the branch's tip (started when listed).
   */
  async listWorkflowRuns(options: CallOptions & { workflows: readonly string[] }): Promise<WorkflowRun[]> {
    const runs: WorkflowRun[] = [];
    for (const branch of options.workflows) {
      const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${branch}`);
      if (!headSha) continue;
      const checks = await this.checkRuns.snapshot(headSha);
      if (checks.state === 'none') continue;
      runs.push({
        id: `${branch}@${headSha}`,
        workflow: branch,
        headSha,
        branch,
        state: checks.state,
        url: null,
        createdAt: new Date(),
      });
    }
    return runs;
  }

  async listFailedJobs(options: CallOptions & { run: WorkflowRun }): Promise<CheckResult[]> {
    const checks = await this.checkRuns.snapshot(options.run.headSha);
    return checks.checks.filter((check) => check.state === 'failure');
  }

  async getJobLog(
    options: CallOptions & { run: WorkflowRun; jobId: string; maxBytes: number },
  ): Promise<string> {
    return this.checkRuns.logTail(options.jobId, options.maxBytes);
  }

  async getCheckLog(
    options: CallOptions & { changeRequest: ChangeRequest; checkId: string; maxBytes: number },
  ): Promise<string> {
    return this.checkRuns.logTail(options.checkId, options.maxBytes);
  }

  async upsertComment(
    options: CallOptions & { changeRequest: ChangeRequest; key: string; body: string },
  ): Promise<void> {
    await this.store.update(options.changeRequest.id, (record) => {
      upsertKeyedComment(record, options.key, options.body, this.authorName);
    });
  }

  /** Loompa's keyed comments on a change request (the status comment, say). */
  async listComments(options: CallOptions & { changeRequest: ChangeRequest }): Promise<KeyedCommentRecord[]> {
    return (await this.store.get(options.changeRequest.id)).comments;
  }

  async replyToThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string; body: string },
  ): Promise<void> {
    await this.store.update(options.changeRequest.id, (record) => {
      const thread = findThread(record, options.threadId);
      thread.comments.push({
        id: nextItemId(record, 'c'),
        author: this.authorName,
        body: options.body,
        createdAt: new Date().toISOString(),
      });
    });
  }

  async resolveThread(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string },
  ): Promise<void> {
    await this.store.update(options.changeRequest.id, (record) => {
      findThread(record, options.threadId).resolved = true;
    });
  }

  async closeChangeRequest(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void> {
    const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${options.changeRequest.branch}`);
    await this.store.update(options.changeRequest.id, (record) => {
      if (record.state !== 'open') return;
      record.state = 'closed';
      record.finalHeadSha = headSha;
    });
    this.notifyChange(options.changeRequest.branch);
  }

  /**
   * Lands the change on its base branch: refuses unless the head is still
   * `expectedHeadSha`, every check passed on it, and the review allows it (the provider
   * fails closed even if a caller forgot the policy). See `mergeIntoBase` for how the base
   * branch and a checkout of it move.
   */
  merge(
    options: CallOptions & { changeRequest: ChangeRequest; method: MergeMethod; expectedHeadSha: string },
  ): Promise<void> {
    return this.mergeMutex.run('merge', async () => {
      const record = await this.store.get(options.changeRequest.id);
      const refuse = (reason: string, message: string) =>
        new ScmError(`Cannot merge change request #${record.number} (${record.branch}): ${message}`, {
          details: { reason, id: record.id, branch: record.branch },
        });
      if (record.state !== 'open') throw refuse('not_open', `it is ${record.state}`);
      const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${record.branch}`);
      if (headSha !== options.expectedHeadSha) {
        throw refuse(
          'head_moved',
          `its head is ${headSha ?? 'gone'}, not the expected ${options.expectedHeadSha}`,
        );
      }
      const checks = await this.checkRuns.snapshot(headSha);
      if (checks.state !== 'success' && checks.state !== 'none') {
        throw refuse('checks_not_passed', `its checks are ${checks.state} on ${headSha.slice(0, 12)}`);
      }
      const review = summarizeReview(record.verdicts, headSha);
      if (review.state === 'changes_requested') throw refuse('review_required', 'changes were requested');
      if (review.approvalsOfHead < this.requiredApprovals) {
        throw refuse(
          'review_required',
          `it has ${review.approvalsOfHead} of ${this.requiredApprovals} required approvals of ${headSha.slice(0, 12)}`,
        );
      }
      const mergedSha = await mergeIntoBase({
        repositoryPath: this.repositoryPath,
        worktrees: this.worktrees,
        baseBranch: record.baseBranch,
        branch: record.branch,
        headSha,
        method: options.method,
        message:
          `${record.title}\n\n${record.body.trim()}\n\nChange request #${record.number} (${record.branch})`.replace(
            /\n{3,}/g,
            '\n\n',
          ),
      });
      await this.store.update(record.id, (stored) => {
        stored.state = 'merged';
        stored.finalHeadSha = headSha;
        stored.mergedSha = mergedSha;
      });
      this.logger.info('scm-local merged a change request', { id: record.id, mergedSha });
      this.notifyChange(record.branch);
    });
  }

  /** Records a person's approval of the branch's current head (or of `headSha`). */
  async approve(options: PersonReviewOptions): Promise<void> {
    await this.recordPersonReview(options, 'approved', []);
  }

  /** The slot's way to a person's approval (`Orchestrator.approve`): the current head of the change request's branch. */
  async approveChangeRequest(options: { changeRequest: ChangeRequest; reviewer: string }): Promise<void> {
    await this.approve({ branch: options.changeRequest.branch, reviewer: options.reviewer });
  }

  /** Records a person's request for changes; each comment becomes a review thread. */
  async requestChanges(
    options: PersonReviewOptions & { comments: string | readonly LocalReviewComment[] },
  ): Promise<void> {
    const comments = typeof options.comments === 'string' ? [{ body: options.comments }] : options.comments;
    await this.recordPersonReview(options, 'changes_requested', comments);
  }

  private async recordPersonReview(
    options: PersonReviewOptions,
    verdict: ReviewVerdict,
    comments: readonly LocalReviewComment[],
  ): Promise<void> {
    const changeRequest = await this.findChangeRequest({ branch: options.branch });
    if (changeRequest?.state !== 'open') {
      throw new ScmError(`There is no open change request for branch "${options.branch}"`, {
        details: { reason: 'not_found', branch: options.branch },
      });
    }
    if (!options.reviewer.trim()) throw new InvalidArgumentError('A review needs the reviewer’s name');
    await writeReviewFile(this.stateDirectory, {
      branch: options.branch,
      reviewer: options.reviewer,
      verdict,
      head_sha: options.headSha ?? null,
      comments: comments.map((comment) => ({
        path: comment.path ?? null,
        line: comment.line ?? null,
        body: comment.body,
      })),
      created_at: new Date().toISOString(),
    });
    await this.ingestReviewFiles(changeRequest.id);
    this.notifyChange(options.branch);
  }

  /** Folds review files written since the last read into the record, each exactly once. */
  private async ingestReviewFiles(id: string): Promise<ChangeRequestRecord> {
    const current = await this.store.get(id);
    if (current.state !== 'open') return current;
    const files = await readReviewFiles(this.stateDirectory);
    const pending = files.filter(
      (file) =>
        !current.ingestedReviewFiles.includes(file.name) &&
        (file.review === null || file.review.branch === current.branch),
    );
    for (const file of pending.filter((candidate) => candidate.problem !== null)) {
      this.logger.warn('scm-local skipped an unreadable review file', {
        file: path.join(this.stateDirectory, 'reviews', file.name),
        problem: file.problem,
      });
    }
    const usable = pending.filter((file) => file.review !== null);
    if (usable.length === 0) return current;
    const headSha = await resolveCommit(this.repositoryPath, `refs/heads/${current.branch}`);
    const { record } = await this.store.update(id, (record) => {
      for (const file of usable) {
        if (record.ingestedReviewFiles.includes(file.name)) continue;
        applyPersonReview(record, file.review!, headSha);
        record.ingestedReviewFiles.push(file.name);
      }
    });
    return record;
  }

  private async maybeStartAgentReview(
    record: ChangeRequestRecord,
    headSha: string,
    baseSha: string,
  ): Promise<void> {
    const key = `${record.id}:${headSha}`;
    if (this.reviewsRunning.has(key) || this.abortController.signal.aborted) return;
    const { result: started } = await this.store.update(record.id, (stored) => {
      const previous = stored.agentReviews.find((review) => review.headSha === headSha);
      if (previous?.state === 'done') return false;
      if (previous?.state === 'failed' && previous.attempts >= maximumAgentReviewAttempts) return false;
      if (
        previous?.state === 'running' &&
        previous.processId !== null &&
        previous.processId !== process.pid &&
        isProcessAlive(previous.processId)
      ) {
        return false;
      }
      if (previous?.state === 'running' && previous.processId === process.pid) return false;
      const entry = previous ?? {
        headSha,
        attempts: 0,
        state: 'running' as const,
        processId: null,
        error: null,
        updatedAt: '',
      };
      entry.attempts += 1;
      entry.state = 'running';
      entry.processId = process.pid;
      entry.updatedAt = new Date().toISOString();
      if (!previous) stored.agentReviews.push(entry);
      return true;
    });
    if (!started) return;
    const run = this.runAgentReview(record, headSha, baseSha)
      .catch((error) => {
        this.logger.error('scm-local reviewer bookkeeping failed', {
          id: record.id,
          error: describeError(error),
        });
      })
      .finally(() => {
        this.reviewsRunning.delete(key);
        this.notifyChange(record.branch);
      });
    this.reviewsRunning.set(key, run);
  }

  private async runAgentReview(record: ChangeRequestRecord, headSha: string, baseSha: string): Promise<void> {
    const reviewer = this.reviewer!;
    let outcome: Awaited<ReturnType<typeof reviewWithAgent>>;
    try {
      outcome = await reviewWithAgent({
        reviewer,
        repositoryPath: this.repositoryPath,
        worktrees: this.worktrees,
        agentStateDirectory: path.join(this.stateDirectory, 'reviewer-agent'),
        baseSha,
        headSha,
        title: record.title,
        body: record.body,
        abortSignal: this.abortController.signal,
      });
    } catch (error) {
      outcome = { answer: null, error: describeError(error) };
    }
    if (this.abortController.signal.aborted) {
      // Shutting down: leave the head unreviewed so the next start reviews it.
      await this.store.update(record.id, (stored) => {
        const entry = stored.agentReviews.find((review) => review.headSha === headSha);
        if (entry) {
          entry.state = 'failed';
          entry.attempts -= 1;
          entry.processId = null;
        }
      });
      return;
    }
    await this.store.update(record.id, (stored) => {
      const entry = stored.agentReviews.find((review) => review.headSha === headSha)!;
      entry.processId = null;
      entry.updatedAt = new Date().toISOString();
      if (outcome.answer) {
        entry.state = 'done';
        entry.error = null;
        applyAgentReview(stored, outcome.answer, reviewer.name, headSha);
      } else {
        entry.state = 'failed';
        entry.error = outcome.error;
        upsertKeyedComment(
          stored,
          reviewerProblemCommentKey,
          `The reviewer agent could not review ${headSha.slice(0, 12)} (attempt ${entry.attempts} of ${maximumAgentReviewAttempts}): ${outcome.error}`,
          this.authorName,
        );
      }
    });
    if (outcome.error) {
      this.logger.warn('scm-local reviewer agent failed', { id: record.id, headSha, error: outcome.error });
    }
  }

  /** Checks that pass start the review of that head right away, not at the next status read. */
  private afterChecksCompleted(headSha: string): void {
    this.notifyChange(undefined);
    if (!this.reviewer || this.abortController.signal.aborted) return;
    const followUp = (async () => {
      for (const record of await this.store.list()) {
        if (record.state !== 'open') continue;
        const branchHead = await resolveCommit(this.repositoryPath, `refs/heads/${record.branch}`);
        if (branchHead !== headSha) continue;
        const checks = await this.checkRuns.snapshot(headSha);
        const baseSha = await resolveCommit(this.repositoryPath, `refs/heads/${record.baseBranch}`);
        if (checks.state === 'success' && baseSha) await this.maybeStartAgentReview(record, headSha, baseSha);
      }
    })()
      .catch((error) => {
        this.logger.error('scm-local could not start a review after checks', { error: describeError(error) });
      })
      .finally(() => this.followUps.delete(followUp));
    this.followUps.add(followUp);
  }

  /** Reports changes (checks finished, a review arrived, a merge) until the signal aborts. */
  watch(
    options: Required<CallOptions> & {
      onChange: (change: { branch?: string }) => void;
      onError?: (error: unknown) => void;
    },
  ): void {
    if (options.abortSignal.aborted) return;
    const listener = options.onChange;
    this.changeListeners.add(listener);
    options.abortSignal.addEventListener('abort', () => this.changeListeners.delete(listener), {
      once: true,
    });
  }

  private notifyChange(branch: string | undefined): void {
    for (const listener of this.changeListeners) {
      try {
        listener(branch === undefined ? {} : { branch });
      } catch (error) {
        this.logger.warn('scm-local change listener threw', { error: describeError(error) });
      }
    }
  }

  /**
   * Resolves once every check run and agent review this instance started has finished,
   * including reviews started by checks that finish meanwhile. For tests and for a clean
   * shutdown; `getStatus` itself never waits.
   */
  async waitForIdle(): Promise<void> {
    for (;;) {
      await this.checkRuns.waitForIdle();
      if (this.reviewsRunning.size === 0 && this.followUps.size === 0) return;
      await Promise.all([...this.reviewsRunning.values(), ...this.followUps]);
    }
  }

  /** Stops background work: running checks are killed and will run again on the next start. */
  async close(): Promise<void> {
    this.abortController.abort();
    await this.checkRuns.close();
    await Promise.all([...this.reviewsRunning.values(), ...this.followUps]);
    this.changeListeners.clear();
  }
}

function findThread(record: ChangeRequestRecord, threadId: string) {
  const thread = record.threads.find((candidate) => candidate.id === threadId);
  if (!thread) {
    throw new ScmError(`Change request #${record.number} has no review thread "${threadId}"`, {
      details: { reason: 'not_found', threadId },
    });
  }
  return thread;
}

function upsertKeyedComment(record: ChangeRequestRecord, key: string, body: string, author: string): void {
  const now = new Date().toISOString();
  const existing = record.comments.find((comment) => comment.key === key);
  if (existing) {
    existing.body = body;
    existing.updatedAt = now;
  } else {
    record.comments.push({ key, id: nextItemId(record, 'c'), author, body, createdAt: now, updatedAt: now });
  }
}

function addThread(
  record: ChangeRequestRecord,
  thread: {
    path: string | null;
    line: number | null;
    body: string;
    author: string;
    headSha: string | null;
    createdAt: string;
  },
): void {
  record.threads.push({
    id: nextItemId(record, 't'),
    path: thread.path,
    line: thread.line,
    resolved: false,
    headSha: thread.headSha,
    comments: [
      { id: nextItemId(record, 'c'), author: thread.author, body: thread.body, createdAt: thread.createdAt },
    ],
  });
}

function applyPersonReview(
  record: ChangeRequestRecord,
  review: ReviewRecordFile,
  branchHead: string | null,
): void {
  const createdAt = review.created_at ? new Date(review.created_at).toISOString() : new Date().toISOString();
  const headSha = review.head_sha ?? branchHead;
  for (const comment of review.comments) {
    addThread(record, { ...comment, author: review.reviewer, headSha, createdAt });
  }
  if (review.verdict && headSha) {
    record.verdicts.push({
      id: nextItemId(record, 'v'),
      reviewer: review.reviewer,
      verdict: review.verdict,
      headSha,
      source: 'person',
      createdAt,
    });
  }
}

function applyAgentReview(
  record: ChangeRequestRecord,
  answer: ReviewAnswer,
  reviewer: string,
  headSha: string,
): void {
  const createdAt = new Date().toISOString();
  if (answer.verdict === 'changes_requested') {
    const comments =
      answer.comments.length > 0 || answer.summary !== ''
        ? answer.comments
        : [{ path: null, line: null, body: 'The reviewer asked for changes without saying which.' }];
    if (answer.summary !== '')
      addThread(record, {
        path: null,
        line: null,
        body: answer.summary,
        author: reviewer,
        headSha,
        createdAt,
      });
    for (const comment of comments) addThread(record, { ...comment, author: reviewer, headSha, createdAt });
  }
  record.verdicts.push({
    id: nextItemId(record, 'v'),
    reviewer,
    verdict: answer.verdict,
    headSha,
    source: 'agent',
    createdAt,
  });
}
