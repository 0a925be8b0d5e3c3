import { FakeGitConflict, type FakeGitOperations } from './fake-git-operations.js';
import type {
  FakeCheckAnnotation,
  FakeCheckRun,
  FakeGitHubModel,
  FakeIssue,
  FakePullRequestPart,
  FakeRepository,
} from './fake-github-model.js';
import { checkRunJson, pullRequestJson } from './pull-request-shapes.js';

export type PullRequestIssue = FakeIssue & { pullRequest: FakePullRequestPart };

/** One job a fake GitHub Actions workflow runs on a pushed commit. */
export interface FakeGitHubActionsJob {
  name: string;
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | 'neutral';
  /** The job's log; null leaves the job without a log (annotations only, say). */
  log?: string | null;
  annotations?: Array<{ path: string; line: number; message: string; title?: string }>;
  /** What a re-run of the job (`rerun-failed-jobs`) concludes; absent: the same again. */
  rerun?: { conclusion: FakeGitHubActionsJob['conclusion']; log?: string | null };
}

/**
 * The CI of the fake: called for every commit pushed to a branch (by git or by a merge or
 * branch update the fake made); the jobs it returns become GitHub Actions check runs on the
 * commit. Null runs nothing, as for a branch no workflow triggers on.
 */
export type FakeGitHubActions = (commit: {
  repository: string;
  branch: string;
  sha: string;
  readFile(filePath: string): Promise<string | null>;
}) => Promise<{ workflowName?: string; jobs: FakeGitHubActionsJob[] } | null>;

const closingKeywordPattern = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b/gi;

/**
 * Pull requests as GitHub keeps them alive on the server: heads followed after pushes (forks
 * included, copied to `refs/pull/<n>/head`), mergeability computed in the background from
 * the git data, Actions run on pushed commits, merges and branch updates made with real git,
 * closing keywords honoured on merges into the default branch, and the webhook events each
 * of these sends. Background work is tracked so `settle()` can wait for it.
 */
export class FakePullRequests {
  private readonly background = new Set<Promise<unknown>>();
  private readonly knownBranches = new Map<string, Map<string, string>>();
  private readonly actionsRunFor = new Set<string>();

  constructor(
    private readonly model: FakeGitHubModel,
    private readonly git: FakeGitOperations,
    private readonly bareRepositoryPath: (fullName: string) => Promise<string>,
    private readonly baseUrl: () => string,
    private readonly actions: FakeGitHubActions | null,
  ) {}

  /** Waits until no background work (mergeability, Actions, webhooks of them) is left. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Runs `work` in the background; `settle()` waits for it. */
  track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {}).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  fullName(repository: FakeRepository): string {
    return `${repository.owner}/${repository.name}`;
  }

  pullRequestsOf(repository: FakeRepository): PullRequestIssue[] {
    return [...repository.issues.values()].filter(
      (issue): issue is PullRequestIssue => issue.pullRequest !== null,
    );
  }

  headRepositoryOf(repository: FakeRepository, issue: PullRequestIssue): FakeRepository {
    const headName = issue.pullRequest.headRepository;
    if (!headName) return repository;
    const [owner, name] = headName.split('/');
    return this.model.findRepository(owner ?? '', name ?? '') ?? repository;
  }

  /** Reads the head and base commits from git (an open pull request follows its branches). */
  async refresh(repository: FakeRepository, issue: PullRequestIssue): Promise<void> {
    const pull = issue.pullRequest;
    if (issue.state !== 'open') return;
    const headRepository = this.headRepositoryOf(repository, issue);
    const bare = await this.bareRepositoryPath(this.fullName(repository));
    const headBare = await this.bareRepositoryPath(this.fullName(headRepository));
    const headSha = await this.git.resolve(headBare, `refs/heads/${pull.head}`);
    const baseSha = await this.git.resolve(bare, `refs/heads/${pull.base}`);
    if (headSha && headSha !== pull.headSha) {
      if (headBare !== bare)
        await this.git.fetchInto(bare, headBare, headSha, `refs/pull/${issue.number}/head`);
      pull.headSha = headSha;
    }
    if (baseSha) pull.baseSha = baseSha;
  }

  /** Approving reviews that count: each reviewer's latest deciding review, approving. */
  approvals(repository: FakeRepository, issue: PullRequestIssue): number {
    const latest = new Map<string, string>();
    for (const review of repository.reviews) {
      if (review.pullNumber !== issue.number) continue;
      if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
      latest.set(review.author.toLowerCase(), review.state);
    }
    return [...latest.values()].filter((state) => state === 'APPROVED').length;
  }

  private failingChecks(repository: FakeRepository, sha: string): boolean {
    const failed = new Set(['failure', 'cancelled', 'timed_out', 'action_required']);
    return (
      repository.checkRuns.some((run) => run.headSha === sha && failed.has(run.conclusion ?? '')) ||
      repository.commitStatuses.some(
        (status) => status.sha === sha && (status.state === 'failure' || status.state === 'error'),
      )
    );
  }

  /**
   * `mergeable` and `mergeable_state` as a read of the pull request sees them. Reading starts
   * the computation when the base or head moved since the last one; until it ends, null and
   * "unknown", as on GitHub.
   */
  async mergeabilityOf(
    repository: FakeRepository,
    issue: PullRequestIssue,
  ): Promise<{ mergeable: boolean | null; mergeableState: string }> {
    const pull = issue.pullRequest;
    if (pull.unknownReads > 0) {
      pull.unknownReads -= 1;
      return { mergeable: null, mergeableState: 'unknown' };
    }
    const computed = pull.gitMergeability;
    if (computed === null || issue.state !== 'open') {
      return {
        mergeable: pull.mergeable,
        mergeableState: issue.state === 'open' ? pull.mergeableState : 'unknown',
      };
    }
    const key = `${pull.baseSha}:${pull.headSha}`;
    if (computed.computedFor !== key) {
      computed.computedFor = null;
      this.track(
        (async () => {
          const bare = await this.bareRepositoryPath(this.fullName(repository));
          const result = await this.git.mergeability(bare, pull.baseSha, pull.headSha);
          if (`${pull.baseSha}:${pull.headSha}` !== key) return;
          Object.assign(computed, result, { computedFor: key });
        })(),
      );
      return { mergeable: null, mergeableState: 'unknown' };
    }
    if (computed.conflict) return { mergeable: false, mergeableState: 'dirty' };
    if (pull.draft) return { mergeable: true, mergeableState: 'draft' };
    if (computed.behind) return { mergeable: true, mergeableState: 'behind' };
    if (this.approvals(repository, issue) < repository.requiredApprovals)
      return { mergeable: true, mergeableState: 'blocked' };
    if (this.failingChecks(repository, pull.headSha)) return { mergeable: true, mergeableState: 'unstable' };
    return { mergeable: true, mergeableState: 'clean' };
  }

  /** Sends a pull request event with the pull request as it is now. */
  emitPullRequest(
    repository: FakeRepository,
    issue: PullRequestIssue,
    action: string,
    sender: string,
    extra: Record<string, unknown> = {},
  ): void {
    const pull = pullRequestJson(this.baseUrl(), this.model, repository, issue, {
      mergeable: null,
      mergeableState: 'unknown',
    });
    this.model.emit({
      event: 'pull_request',
      action,
      repository,
      sender,
      build: () => ({ number: issue.number, pull_request: pull, ...extra }),
    });
  }

  /** A compact pull request reference, as `check_run.pull_requests` lists them (never for forks). */
  private pullRequestReferences(repository: FakeRepository, sha: string): Array<Record<string, unknown>> {
    const repositoryReference = {
      id: repository.id,
      url: `${this.baseUrl()}/repos/${this.fullName(repository)}`,
      name: repository.name,
    };
    return this.pullRequestsOf(repository)
      .filter((issue) => issue.state === 'open' && issue.pullRequest.headSha === sha)
      .filter((issue) => issue.pullRequest.headRepository === null)
      .map((issue) => ({
        id: issue.id + 1_000_000,
        number: issue.number,
        url: `${this.baseUrl()}/repos/${this.fullName(repository)}/pulls/${issue.number}`,
        head: { ref: issue.pullRequest.head, sha: issue.pullRequest.headSha, repo: repositoryReference },
        base: { ref: issue.pullRequest.base, sha: issue.pullRequest.baseSha, repo: repositoryReference },
      }));
  }

  emitCheckRun(repository: FakeRepository, run: FakeCheckRun, action: 'created' | 'completed'): void {
    this.model.emit({
      event: 'check_run',
      action,
      repository,
      sender: 'github-actions[bot]',
      build: (baseUrl) => ({
        check_run: {
          ...checkRunJson(baseUrl, repository, run),
          pull_requests: this.pullRequestReferences(repository, run.headSha),
        },
      }),
    });
  }

  /**
   * After a push to `repository` (git, or a merge or update the fake made): open pull
   * requests whose head moved get `synchronize`, and Actions run on every new commit.
   */
  async afterPush(repository: FakeRepository, sender: string): Promise<void> {
    const bare = await this.bareRepositoryPath(this.fullName(repository));
    const key = this.fullName(repository).toLowerCase();
    const before = this.knownBranches.get(key) ?? new Map<string, string>();
    const after = await this.git.branches(bare);
    this.knownBranches.set(key, after);
    for (const [branch, sha] of after) {
      if (before.get(branch) === sha) continue;
      // The pull requests whose head is this branch, in this repository or, for a fork, its parent.
      const targets = [...this.model.repositories.values()].flatMap((candidate) =>
        this.pullRequestsOf(candidate)
          .filter(
            (issue) =>
              issue.state === 'open' &&
              issue.pullRequest.head === branch &&
              (issue.pullRequest.headRepository ?? this.fullName(candidate)).toLowerCase() === key,
          )
          .map((issue) => ({ repository: candidate, issue })),
      );
      for (const target of targets) {
        const previous = target.issue.pullRequest.headSha;
        await this.refresh(target.repository, target.issue);
        if (target.issue.pullRequest.headSha !== previous) {
          this.model.touch(target.issue);
          this.emitPullRequest(target.repository, target.issue, 'synchronize', sender, {
            before: previous,
            after: target.issue.pullRequest.headSha,
          });
        }
      }
      const ciRepositories = new Map<string, FakeRepository>();
      if (repository.forkOf === null) ciRepositories.set(key, repository);
      for (const target of targets)
        ciRepositories.set(this.fullName(target.repository).toLowerCase(), target.repository);
      for (const ciRepository of ciRepositories.values()) this.runActions(ciRepository, bare, branch, sha);
    }
  }

  /**
   * A pull request was opened: GitHub runs the base repository's `pull_request` workflows on
   * its head, a fork's head included. Without this, whether a fork's commits ever get checks
   * would depend on whether the push's own follow-up ran before or after the opening.
   */
  async afterOpened(repository: FakeRepository, issue: PullRequestIssue): Promise<void> {
    await this.refresh(repository, issue);
    const pull = issue.pullRequest;
    if (issue.state !== 'open' || !/^[0-9a-f]{40}$/.test(pull.headSha) || /^0+$/.test(pull.headSha)) return;
    const headBare = await this.bareRepositoryPath(this.fullName(this.headRepositoryOf(repository, issue)));
    this.runActions(repository, headBare, pull.head, pull.headSha);
  }

  /** Runs the fake's Actions on a commit once per repository, as check runs of GitHub Actions. */
  private runActions(repository: FakeRepository, bare: string, branch: string, sha: string): void {
    const actions = this.actions;
    const key = `${this.fullName(repository).toLowerCase()}:${sha}`;
    if (!actions || this.actionsRunFor.has(key)) return;
    this.actionsRunFor.add(key);
    this.track(
      (async () => {
        const definition = await actions({
          repository: this.fullName(repository),
          branch,
          sha,
          readFile: (filePath) => this.git.readFile(bare, sha, filePath),
        });
        if (!definition) return;
        const runId = this.model.allocateId();
        const workflowName = definition.workflowName ?? 'CI';
        const runs = definition.jobs.map((job) => {
          const run: FakeCheckRun = {
            id: this.model.allocateId(),
            headSha: sha,
            name: job.name,
            status: 'in_progress',
            conclusion: null,
            startedAt: this.model.currentTime(),
            completedAt: null,
            headBranch: branch,
            actions: { runId, workflowName, log: job.log ?? null, rerun: job.rerun ?? null },
            output: { title: null, summary: null, text: null },
            annotations: (job.annotations ?? []).map(
              (annotation): FakeCheckAnnotation => ({
                path: annotation.path,
                startLine: annotation.line,
                endLine: annotation.line,
                level: 'failure',
                title: annotation.title ?? null,
                message: annotation.message,
              }),
            ),
          };
          repository.checkRuns.push(run);
          this.emitCheckRun(repository, run, 'created');
          return { run, job };
        });
        // Jobs finish after they started: a reader may see them in progress first.
        await new Promise((resolve) => setImmediate(resolve));
        for (const { run, job } of runs) {
          run.status = 'completed';
          run.conclusion = job.conclusion;
          run.completedAt = this.model.currentTime();
          run.output = {
            title: job.conclusion === 'success' ? 'Passed' : `${job.name} ${job.conclusion}`,
            summary: job.annotations?.[0]?.message ?? null,
            text: null,
          };
          this.emitCheckRun(repository, run, 'completed');
        }
        const conclusion = runs.some(
          ({ job }) => job.conclusion !== 'success' && job.conclusion !== 'skipped',
        )
          ? 'failure'
          : 'success';
        const pullRequests = this.pullRequestReferences(repository, sha);
        this.model.emit({
          event: 'check_suite',
          action: 'completed',
          repository,
          sender: 'github-actions[bot]',
          build: () => ({
            check_suite: {
              id: runId + 1,
              head_branch: branch,
              head_sha: sha,
              status: 'completed',
              conclusion,
              pull_requests: pullRequests,
            },
          }),
        });
        this.model.emit({
          event: 'workflow_run',
          action: 'completed',
          repository,
          sender: 'github-actions[bot]',
          build: () => ({
            workflow_run: {
              id: runId,
              name: workflowName,
              head_branch: branch,
              head_sha: sha,
              status: 'completed',
              conclusion,
              pull_requests: pullRequests,
            },
          }),
        });
      })(),
    );
  }

  /** Merges with real git; the base branch moves, the pull request closes as merged. */
  async merge(
    repository: FakeRepository,
    issue: PullRequestIssue,
    options: { method: 'merge' | 'squash' | 'rebase'; sender: string; title?: string },
  ): Promise<string> {
    const pull = issue.pullRequest;
    const bare = await this.bareRepositoryPath(this.fullName(repository));
    const headReference = pull.headRepository ? `refs/pull/${issue.number}/head` : pull.headSha;
    const headSha = (await this.git.resolve(bare, headReference)) ?? pull.headSha;
    const message =
      options.method === 'squash'
        ? `${options.title ?? issue.title} (#${issue.number})`
        : `Merge pull request #${issue.number} from ${this.headRepositoryOf(repository, issue).owner}/${pull.head}`;
    const mergedSha = await this.git.merge(bare, {
      baseSha: pull.baseSha,
      headSha,
      method: options.method,
      message,
    });
    await this.git.setReference(bare, `refs/heads/${pull.base}`, mergedSha, pull.baseSha);
    const time = this.model.currentTime();
    Object.assign(pull, { mergedAt: time, mergedBy: options.sender, mergeCommitSha: mergedSha });
    Object.assign(issue, { state: 'closed', stateReason: null, closedAt: time });
    this.model.touch(issue);
    this.emitPullRequest(repository, issue, 'closed', options.sender);
    if (pull.base === repository.defaultBranch) this.closeReferencedIssues(repository, issue, options.sender);
    await this.afterPush(repository, options.sender);
    return mergedSha;
  }

  /** GitHub closes the issues a merged pull request's body names with a closing keyword (default branch only). */
  private closeReferencedIssues(repository: FakeRepository, issue: PullRequestIssue, sender: string): void {
    for (const match of (issue.body ?? '').matchAll(closingKeywordPattern)) {
      const referenced = repository.issues.get(Number(match[1]));
      if (!referenced || referenced.pullRequest || referenced.state !== 'open') continue;
      Object.assign(referenced, {
        state: 'closed',
        stateReason: 'completed',
        closedAt: this.model.currentTime(),
      });
      this.model.touch(referenced);
      this.model.emit({ event: 'issues', action: 'closed', repository, issue: referenced, sender });
    }
  }

  /**
   * Brings the head up to date with the base: a merge commit (REST "update branch") or a
   * rebase (GraphQL `updateMethod: REBASE`). Throws `FakeGitConflict` when it clashes.
   */
  async updateBranch(
    repository: FakeRepository,
    issue: PullRequestIssue,
    options: { method: 'merge' | 'rebase'; sender: string },
  ): Promise<string> {
    const pull = issue.pullRequest;
    const bare = await this.bareRepositoryPath(this.fullName(repository));
    const headRepository = this.headRepositoryOf(repository, issue);
    const headBare = await this.bareRepositoryPath(this.fullName(headRepository));
    const headSha = pull.headRepository ? `refs/pull/${issue.number}/head` : pull.headSha;
    const updated =
      options.method === 'rebase'
        ? await this.git.rebase(bare, headSha, pull.baseSha)
        : await this.git.mergeBaseInto(
            bare,
            headSha,
            pull.baseSha,
            `Merge branch '${pull.base}' into ${pull.head}`,
          );
    if (headBare !== bare) await this.git.fetchInto(headBare, bare, updated, `refs/heads/${pull.head}`);
    else await this.git.setReference(bare, `refs/heads/${pull.head}`, updated, pull.headSha);
    await this.afterPush(headRepository, options.sender);
    return updated;
  }
}

export { FakeGitConflict };
