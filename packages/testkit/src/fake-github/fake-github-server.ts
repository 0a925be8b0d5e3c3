import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { accountRoutes } from './account-routes.js';
import { checkRoutes, jobLogBlobPattern, signJobLogPath } from './check-routes.js';
import { commentRoutes } from './comment-routes.js';
import {
  ContentCreationLedger,
  type ContentCreationLimits,
  contentCreatingOperations,
  gitHubContentCreationLimits,
} from './content-creation-limits.js';
import { type FakeApp, FakeCredentials, type FakeIdentity } from './fake-credentials.js';
import { FakeGitOperations } from './fake-git-operations.js';
import {
  type FakeCheckRun,
  type FakeCommitStatus,
  FakeGitHubModel,
  type FakeIssue,
  type FakeRepository,
  type FakeReview,
  type FakeReviewComment,
} from './fake-github-model.js';
import { type FakeGitHubActions, FakePullRequests, type PullRequestIssue } from './fake-pull-requests.js';
import { FakeReviews } from './fake-reviews.js';
import {
  ensureBareRepository,
  type GitRequestTarget,
  gitRequestTarget,
  serveWithHttpBackend,
  tokenFromBasicAuthorization,
} from './git-smart-http.js';
import { answerGraphql, type GraphqlRequestBody } from './graphql-endpoint.js';
import { type FakeGitHubFault, type FaultMatch, FaultQueue } from './injected-faults.js';
import { issueRoutes } from './issue-routes.js';
import { paginate } from './link-pagination.js';
import { GitHubOpenApiValidator } from './openapi-validator.js';
import { pullRequestRoutes } from './pull-request-routes.js';
import { RateLimitLedger } from './rate-limit-ledger.js';
import { reviewRoutes } from './review-routes.js';
import { FakeGitHubHttpError, type RouteHandler, type RouteResult } from './route-context.js';
import {
  type FakeWebhook,
  type FakeWebhookDelivery,
  type ManualDelivery,
  WebhookDeliveries,
} from './webhook-deliveries.js';
import { seedWorkflowRun, workflowRunRoutes } from './workflow-run-routes.js';

export interface FakeGitHubOptions {
  /** Repositories created at start, as `owner/name`. */
  repositories?: readonly string[];
  /** Primary rate limit per identity and hour; GitHub's 5,000 by default. */
  rateLimit?: number;
  /** How long App installation tokens live; GitHub's hour by default. */
  installationTokenLifetimeMs?: number;
  /** Secondary limits on creating content; GitHub's 80 a minute and 500 an hour by default. */
  contentCreationLimits?: Partial<ContentCreationLimits>;
  /** The CI: runs on every pushed commit and reports GitHub Actions check runs (with logs). */
  actions?: FakeGitHubActions;
}

/** One request as the fake saw it. */
export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: string;
  operationId: string | null;
  status: number;
  /** Primary rate-limit points this request cost (0 for a 304 and for `GET /rate_limit`). */
  cost: number;
  identity: string | null;
  /** The JSON body of a write, as sent (tests check what a merge pinned, say). */
  body?: unknown;
}

export interface SeedIssueFields {
  title: string;
  body?: string | null;
  author?: string;
  labels?: readonly string[];
  assignees?: readonly string[];
  milestone?: string | null;
  state?: 'open' | 'closed';
  stateReason?: FakeIssue['stateReason'];
  type?: string | null;
  blockedBy?: readonly number[];
}

const execFileAsync = promisify(execFile);

const routes: Record<string, RouteHandler> = {
  ...issueRoutes,
  ...commentRoutes,
  ...accountRoutes,
  ...pullRequestRoutes,
  ...reviewRoutes,
  ...checkRoutes,
  ...workflowRunRoutes,
};

/** Requests GitHub does not count against the primary limit. */
const freeOperations = new Set(['rate-limit/get']);

const secondaryLimitMessage =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A GitHub that runs on 127.0.0.1 for tests and benchmarks. Created with `createFakeGitHub()`.
 * Every request and response is held to GitHub's OpenAPI description; an unknown route or an
 * invalid request is answered as GitHub would (404/422) and also recorded in `problems`, and
 * `close()` rejects while any are left, so the test that caused one fails loudly.
 */
export class FakeGitHub {
  readonly model: FakeGitHubModel;
  readonly credentials: FakeCredentials;
  readonly rateLimits: RateLimitLedger;
  /** Pull requests kept alive with the git data (heads, mergeability, merges, Actions). */
  readonly pullRequests: FakePullRequests;
  readonly reviews: FakeReviews;
  readonly requests: FakeGitHubRequest[] = [];
  /** Requests that broke GitHub's contract (or responses of the fake that did). */
  readonly problems: string[] = [];
  private readonly faults = new FaultQueue();
  private readonly contentCreation: ContentCreationLedger;
  private readonly webhooks: WebhookDeliveries;
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      this.problems.push(`fake GitHub crashed on ${request.method} ${request.url}: ${String(error)}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  private clockOffsetMs = 0;
  private baseUrlValue = '';
  private gitRoot: Promise<string> | null = null;
  private readonly bareRepositories = new Map<string, Promise<string>>();

  private constructor(
    private readonly validator: GitHubOpenApiValidator,
    private readonly options: FakeGitHubOptions,
  ) {
    const now = () => this.now();
    this.model = new FakeGitHubModel(now);
    this.credentials = new FakeCredentials(now);
    this.rateLimits = new RateLimitLedger(now, options.rateLimit ?? 5_000);
    this.contentCreation = new ContentCreationLedger(now, {
      ...gitHubContentCreationLimits,
      ...options.contentCreationLimits,
    });
    this.webhooks = new WebhookDeliveries(this.model, () => this.baseUrlValue);
    this.pullRequests = new FakePullRequests(
      this.model,
      new FakeGitOperations(),
      (fullName) => this.bareRepositoryPath(fullName),
      () => this.baseUrlValue,
      options.actions ?? null,
    );
    this.reviews = new FakeReviews(this.model);
    for (const fullName of options.repositories ?? ['octo/widgets']) this.model.createRepository(fullName);
  }

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const fake = new FakeGitHub(await GitHubOpenApiValidator.load(), options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.baseUrlValue = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The API root to give Octokit as `baseUrl`. */
  get url(): string {
    return this.baseUrlValue;
  }

  /** The fake's clock: real time plus whatever `advanceClock` added. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the fake's clock forward (token expiry, rate-limit resets, `updated_at`). */
  advanceClock(milliseconds: number): void {
    this.clockOffsetMs += milliseconds;
  }

  /** A personal access token for `login`, who gets push access to every repository. */
  createToken(login = 'loompa-bot', token?: string): string {
    this.model.ensureUser(login);
    // Forks belong to their owners; a maintainer reaches one only through `maintainer_can_modify`.
    for (const repository of this.model.repositories.values())
      if (repository.forkOf === null) repository.collaborators.add(login.toLowerCase());
    return this.credentials.issueUserToken(login, token);
  }

  revokeToken(token: string): void {
    this.credentials.revoke(token);
  }

  repository(fullName: string): FakeRepository {
    const [owner, name] = fullName.split('/');
    const repository = this.model.findRepository(owner ?? '', name ?? '');
    if (!repository) throw new Error(`fake GitHub: no repository ${fullName}`);
    return repository;
  }

  /** Creates an issue straight in the model, as a person on github.com would. */
  seedIssue(fullName: string, fields: SeedIssueFields): FakeIssue {
    const repository = this.repository(fullName);
    return this.model.createIssue(repository, {
      title: fields.title,
      body: fields.body ?? null,
      author: fields.author ?? repository.owner,
      labels: fields.labels ?? [],
      assignees: fields.assignees ?? [],
      milestoneNumber:
        fields.milestone === undefined || fields.milestone === null
          ? null
          : this.model.ensureMilestone(repository, fields.milestone).number,
      state: fields.state ?? 'open',
      stateReason: fields.stateReason ?? null,
      typeName: fields.type ?? null,
      blockedBy: fields.blockedBy ?? [],
    });
  }

  /** A pull request, which the issues endpoints list as an issue with a `pull_request` key. */
  seedPullRequest(
    fullName: string,
    fields: SeedIssueFields & {
      head: string;
      base?: string;
      headSha?: string;
      baseSha?: string;
      draft?: boolean;
      /** `owner/name` of a fork holding the head branch (see `createFork`). */
      headRepository?: string;
      maintainerCanModify?: boolean;
      /** Compute mergeability from the git data (as for pull requests opened through the API). */
      computeMergeability?: boolean;
    },
  ): FakeIssue {
    const repository = this.repository(fullName);
    const issue = this.model.createIssue(repository, {
      title: fields.title,
      body: fields.body ?? null,
      author: fields.author ?? repository.owner,
      labels: fields.labels ?? [],
      state: fields.state ?? 'open',
      pullRequest: {
        head: fields.head,
        base: fields.base ?? repository.defaultBranch,
        headSha: fields.headSha ?? '0'.repeat(40),
        baseSha: fields.baseSha ?? '0'.repeat(40),
        headRepository: fields.headRepository ?? null,
        maintainerCanModify: fields.maintainerCanModify ?? false,
        mergedAt: null,
        mergedBy: null,
        mergeCommitSha: null,
        draft: fields.draft ?? false,
        mergeable: true,
        mergeableState: 'clean',
        unknownReads: 0,
        gitMergeability: fields.computeMergeability
          ? { computedFor: null, conflict: false, behind: false }
          : null,
      },
    });
    // Seeded as if opened through the API: its head, once read from git, gets the Actions run
    // an opening triggers (`settle()` waits for it).
    if (fields.computeMergeability) {
      this.pullRequests.track(this.pullRequests.afterOpened(repository, issue as PullRequestIssue));
    }
    return issue;
  }

  /**
   * Sets what `GET /pulls/{number}` reports about mergeability; the first `unknownReads` reads
   * answer `mergeable: null` and `mergeable_state: "unknown"`, as GitHub does while it computes.
   */
  setMergeability(
    fullName: string,
    number: number,
    mergeability: { mergeable: boolean | null; mergeableState: string; unknownReads?: number },
  ): void {
    const pullRequest = this.repository(fullName).issues.get(number)?.pullRequest;
    if (!pullRequest) throw new Error(`fake GitHub: no pull request ${fullName}#${number}`);
    pullRequest.mergeable = mergeability.mergeable;
    pullRequest.mergeableState = mergeability.mergeableState;
    pullRequest.unknownReads = mergeability.unknownReads ?? 0;
  }

  /** A check run on a commit, as CI reports it. */
  seedCheckRun(
    fullName: string,
    fields: {
      headSha: string;
      name: string;
      status?: FakeCheckRun['status'];
      conclusion?: FakeCheckRun['conclusion'];
    },
  ): FakeCheckRun {
    const repository = this.repository(fullName);
    const status = fields.status ?? (fields.conclusion ? 'completed' : 'queued');
    const checkRun: FakeCheckRun = {
      id: this.model.allocateId(),
      headSha: fields.headSha,
      name: fields.name,
      status,
      conclusion: fields.conclusion ?? null,
      startedAt: this.model.currentTime(),
      completedAt: status === 'completed' ? this.model.currentTime() : null,
      headBranch: null,
      actions: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
    };
    repository.checkRuns.push(checkRun);
    this.pullRequests.emitCheckRun(repository, checkRun, status === 'completed' ? 'completed' : 'created');
    return checkRun;
  }

  /** A finished (by default scheduled) GitHub Actions run on a branch; see `workflow-run-routes.ts`. */
  seedWorkflowRun(fullName: string, fields: Parameters<typeof seedWorkflowRun>[2]): number {
    return seedWorkflowRun(this, fullName, fields);
  }

  /** A legacy commit status (the Status API some external CI still uses). */
  seedCommitStatus(
    fullName: string,
    fields: {
      sha: string;
      context: string;
      state: FakeCommitStatus['state'];
      description?: string;
      targetUrl?: string;
    },
  ): FakeCommitStatus {
    const repository = this.repository(fullName);
    const status: FakeCommitStatus = {
      id: this.model.allocateId(),
      sha: fields.sha,
      state: fields.state,
      context: fields.context,
      description: fields.description ?? null,
      targetUrl: fields.targetUrl ?? null,
      createdAt: this.model.currentTime(),
    };
    repository.commitStatuses.push(status);
    return status;
  }

  /** `login`'s fork of `fullName` (`login/<name>`): its own git repository, pushable by `login`. */
  createFork(fullName: string, login: string): FakeRepository {
    const parent = this.repository(fullName);
    const fork = this.model.createRepository(`${login}/${parent.name}`);
    fork.forkOf = `${parent.owner}/${parent.name}`;
    fork.defaultBranch = parent.defaultBranch;
    this.model.ensureUser(login);
    return fork;
  }

  /** Branch protection: approving reviews needed before `mergeable_state` is `clean`. */
  setRequiredApprovals(fullName: string, count: number): void {
    this.repository(fullName).requiredApprovals = count;
  }

  private pullRequestIssue(fullName: string, number: number): PullRequestIssue {
    const issue = this.repository(fullName).issues.get(number);
    if (!issue?.pullRequest) throw new Error(`fake GitHub: no pull request ${fullName}#${number}`);
    return issue as PullRequestIssue;
  }

  /** A review as `author` submits it on github.com, with inline comments (each a new thread). */
  submitReview(
    fullName: string,
    number: number,
    review: {
      author: string;
      state: FakeReview['state'];
      body?: string;
      comments?: ReadonlyArray<{ path: string; line: number; body: string }>;
    },
  ): FakeReview {
    return this.reviews.submitReview(
      this.repository(fullName),
      this.pullRequestIssue(fullName, number),
      review,
    );
  }

  /** An inline review comment: a new thread on `path`/`line`, or a reply with `inReplyTo`. */
  addReviewComment(
    fullName: string,
    number: number,
    comment: { author: string; body: string; path?: string; line?: number; inReplyTo?: number },
  ): FakeReviewComment {
    return this.reviews.addComment(
      this.repository(fullName),
      this.pullRequestIssue(fullName, number),
      comment,
    );
  }

  /** The review threads of a pull request with their comments, oldest first. */
  reviewThreads(fullName: string, number: number) {
    const repository = this.repository(fullName);
    return this.reviews.threadsOf(repository, number).map((thread) => ({
      ...thread,
      comments: this.reviews.commentsOf(repository, thread.id),
    }));
  }

  /** Waits for background work: mergeability being computed, Actions running, their webhooks. */
  async settle(): Promise<void> {
    await this.pullRequests.settle();
    await this.webhooks.settled();
  }

  /** Registers a GitHub App by its public key; `installApp` puts it on a repository. */
  registerApp(app: { appId: number; slug: string; publicKeyPem: string }): void {
    this.credentials.registerApp({ ...app, installations: new Map() } satisfies FakeApp);
  }

  installApp(appId: number, fullName: string): number {
    const app = this.credentials.apps.get(appId);
    if (!app) throw new Error(`fake GitHub: no app ${appId}`);
    const repository = this.repository(fullName);
    repository.installationId ??= this.model.allocateId();
    app.installations.set(fullName.toLowerCase(), repository.installationId);
    return repository.installationId;
  }

  /** The next `times` requests matching `match` fail with `fault`. */
  injectFault(fault: FakeGitHubFault, options: { match?: FaultMatch; times?: number } = {}): void {
    this.faults.add(fault, options.match ?? {}, options.times ?? 1);
  }

  get pendingFaults(): number {
    return this.faults.pending;
  }

  /** Number of requests seen, optionally only those of one operation or method. */
  requestCount(filter: { operationId?: string; method?: string } = {}): number {
    return this.requests.filter(
      (request) =>
        (!filter.operationId || request.operationId === filter.operationId) &&
        (!filter.method || request.method === filter.method.toUpperCase()),
    ).length;
  }

  /** Primary rate-limit points spent so far, over every identity. */
  get rateLimitCost(): number {
    return this.rateLimits.totalCost;
  }

  /** Sets the primary budget left for a user login (or an identity key such as `installation:42`). */
  setRateLimitRemaining(loginOrKey: string, remaining: number): void {
    const key = loginOrKey.includes(':') ? loginOrKey : `user:${loginOrKey.toLowerCase()}`;
    this.rateLimits.setRemaining(key, remaining);
  }

  /** Empties `problems` and returns what was there, for tests that provoke problems on purpose. */
  takeProblems(): string[] {
    return this.problems.splice(0, this.problems.length);
  }

  addWebhook(webhook: FakeWebhook): void {
    this.webhooks.hooks.push(webhook);
  }

  get webhookDeliveries(): readonly FakeWebhookDelivery[] {
    return this.webhooks.deliveries;
  }

  /** Sends one hand-made delivery (a bad signature, say) and resolves with the receiver's answer. */
  deliverWebhook(delivery: ManualDelivery): Promise<FakeWebhookDelivery> {
    return this.webhooks.deliver(delivery);
  }

  redeliverWebhook(deliveryId: string, secret: string): Promise<FakeWebhookDelivery> {
    return this.webhooks.redeliver(deliveryId, secret);
  }

  /** Resolves when every webhook delivery queued so far has been answered. */
  webhooksSettled(): Promise<void> {
    return this.webhooks.settled();
  }

  /** The clone URL of a repository, served over git's smart HTTP with token auth. */
  gitUrl(fullName: string): string {
    const repository = this.repository(fullName);
    return `${this.baseUrlValue}/${repository.owner}/${repository.name}.git`;
  }

  /**
   * Environment that makes git authenticate to the fake as `token`'s owner with an
   * `http.extraHeader` (as Loompa's push targets do): never in the URL or argv.
   */
  gitEnvironment(token: string): Record<string, string> {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    return {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      GIT_TERMINAL_PROMPT: '0',
    };
  }

  /** The bare repository on disk behind `gitUrl`, created on first use, for tests to inspect. */
  bareRepositoryPath(fullName: string): Promise<string> {
    const repository = this.repository(fullName);
    const key = `${repository.owner}/${repository.name}`.toLowerCase();
    let bare = this.bareRepositories.get(key);
    if (!bare) {
      this.gitRoot ??= mkdtemp(path.join(os.tmpdir(), 'loompa-fake-github-git-'));
      bare = this.gitRoot.then((root) =>
        ensureBareRepository(root, repository.owner, repository.name, repository.defaultBranch),
      );
      this.bareRepositories.set(key, bare);
    }
    return bare;
  }

  /** The commit `reference` (a branch or a full SHA) names in the repository's git data, or null. */
  async resolveReference(repository: FakeRepository, reference: string): Promise<string | null> {
    const bare = await this.bareRepositoryPath(`${repository.owner}/${repository.name}`);
    const candidate = /^[0-9a-f]{40}$/.test(reference) ? reference : `refs/heads/${reference}`;
    try {
      const { stdout } = await execFileAsync(
        'git',
        ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`],
        {
          cwd: bare,
        },
      );
      return stdout.trim() || null;
    } catch {
      return null;
    }
  }

  /** Stops the server. Rejects when requests broke GitHub's contract, naming each. */
  async close(): Promise<void> {
    await this.webhooks.settled();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.gitRoot) await rm(await this.gitRoot, { recursive: true, force: true });
    if (this.problems.length > 0) {
      throw new Error(`fake GitHub saw requests GitHub would not accept:\n- ${this.problems.join('\n- ')}`);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', this.baseUrlValue);
    const gitTarget = gitRequestTarget(requestUrl.pathname, requestUrl.searchParams);
    if (gitTarget) {
      await this.handleGit(request, response, requestUrl, gitTarget);
      return;
    }
    if (jobLogBlobPattern.test(requestUrl.pathname)) {
      this.serveJobLogBlob(requestUrl, response);
      return;
    }
    const rawBody = await readBody(request);
    const method = (request.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(requestUrl.searchParams.entries());
    const log: FakeGitHubRequest = {
      method,
      path: requestUrl.pathname,
      query: requestUrl.search,
      operationId: null,
      status: 0,
      cost: 0,
      identity: null,
    };
    this.requests.push(log);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      response.writeHead(status, {
        'x-github-request-id': randomUUID(),
        'x-github-media-type': 'github.v3; format=json',
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...headers,
      });
      response.end(text);
    };

    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        this.problems.push(`${method} ${requestUrl.pathname}: body is not JSON`);
        send(400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' });
        return;
      }
      log.body = body;
    }
    if (method === 'POST' && requestUrl.pathname === '/graphql') {
      await this.handleGraphql(request, body, log, send);
      return;
    }
    const validatable = {
      method,
      path: requestUrl.pathname,
      query,
      headers: request.headers as Record<string, string | string[]>,
      body,
    };
    const matched = this.validator.match(validatable);
    if (!matched || (!routes[matched.operationId] && matched.operationId !== 'rate-limit/get')) {
      this.problems.push(
        `${method} ${requestUrl.pathname}${requestUrl.search}: no such route in the fake GitHub`,
      );
      send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    log.operationId = matched.operationId;

    const fault = this.faults.take({ method, path: requestUrl.pathname, operationId: matched.operationId });
    if (fault?.kind === 'connection-reset') {
      log.status = -1;
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      send(fault.status, { message: 'Server Error' });
      return;
    }

    const authentication = this.credentials.authenticate(headerValue(request, 'authorization'));
    if (!authentication) {
      send(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    if (!authentication.ok) {
      send(401, { message: authentication.message, documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    const identity: FakeIdentity = authentication.identity;
    log.identity = identity.rateLimitKey;
    const rateHeaders = () => ({ ...this.rateLimits.headers(identity.rateLimitKey) });

    const contentWait = contentCreatingOperations.has(matched.operationId)
      ? this.contentCreation.attempt(identity.rateLimitKey)
      : null;
    if (fault?.kind === 'secondary-rate-limit' || contentWait !== null) {
      this.rateLimits.charge(identity.rateLimitKey, 1);
      log.cost = 1;
      const retryAfterSeconds =
        fault?.kind === 'secondary-rate-limit' ? (fault.retryAfterSeconds ?? 60) : contentWait!;
      send(
        fault?.kind === 'secondary-rate-limit' ? (fault.status ?? 403) : 403,
        {
          message: secondaryLimitMessage,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
        { ...rateHeaders(), 'retry-after': String(retryAfterSeconds) },
      );
      return;
    }
    if (fault?.kind === 'primary-rate-limit') this.rateLimits.setRemaining(identity.rateLimitKey, 0);
    const free = freeOperations.has(matched.operationId);
    if (!free && this.rateLimits.remaining(identity.rateLimitKey) === 0) {
      send(
        403,
        {
          message: `API rate limit exceeded for ${identity.rateLimitKey}. (But here's the good news: Authenticated requests get a higher rate limit.)`,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
        rateHeaders(),
      );
      return;
    }

    const requestProblem = this.validator.checkRequest(validatable, matched.operationId);
    if (requestProblem) {
      this.problems.push(
        `${method} ${requestUrl.pathname}${requestUrl.search} (${matched.operationId}): ${requestProblem}`,
      );
      if (!free) this.rateLimits.charge(identity.rateLimitKey, 1);
      send(
        422,
        {
          message: `Invalid request.\n\n${requestProblem}`,
          documentation_url: 'https://docs.github.com/rest',
        },
        rateHeaders(),
      );
      return;
    }

    let result: RouteResult;
    try {
      result =
        matched.operationId === 'rate-limit/get'
          ? this.rateLimitResult(identity)
          : await routes[matched.operationId]!({
              operationId: matched.operationId,
              parameters: matched.parameters,
              query,
              body,
              identity,
              model: this.model,
              credentials: this.credentials,
              baseUrl: this.baseUrlValue,
              requestUrl,
              installationTokenLifetimeMs: this.options.installationTokenLifetimeMs ?? 60 * 60 * 1000,
              resolveReference: (repository, reference) => this.resolveReference(repository, reference),
              pullRequests: this.pullRequests,
              reviews: this.reviews,
            });
    } catch (error) {
      if (!(error instanceof FakeGitHubHttpError)) throw error;
      result = { status: error.status, body: error.body };
    }

    const headers: Record<string, string> = { ...(result.headers ?? {}) };
    let responseBody = result.body;
    if (result.items) {
      const { page, link } = paginate(result.items, requestUrl, this.baseUrlValue);
      responseBody = page;
      if (link) headers.link = link;
    }
    const responseProblem = this.validator.checkResponse(matched.operationId, result.status, responseBody);
    if (responseProblem) {
      this.problems.push(
        `fake GitHub answered ${matched.operationId} with ${result.status} off the description: ${responseProblem}`,
      );
    }

    if (method === 'GET' && result.status === 200) {
      // Tied to the token and the body, as GitHub's are: another token never gets a 304.
      const etag = `W/"${createHash('sha256').update(authentication.token).update('\n').update(JSON.stringify(responseBody)).digest('hex')}"`;
      headers.etag = etag;
      if (headerValue(request, 'if-none-match') === etag) {
        send(304, undefined, { ...rateHeaders(), etag });
        return;
      }
    }
    if (!free) {
      this.rateLimits.charge(identity.rateLimitKey, 1);
      log.cost = 1;
    }
    if (fault?.kind === 'answer-withheld') {
      // Done, but never said: the client waits until it gives up or dies.
      log.status = -1;
      return;
    }
    send(result.status, responseBody, { ...rateHeaders(), ...headers });
  }

  /**
   * GraphQL, on its own budget: each query costs a point of the `graphql` resource, there
   * is no conditional request, and a query off GitHub's schema is a problem.
   */
  private async handleGraphql(
    request: IncomingMessage,
    body: unknown,
    log: FakeGitHubRequest,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): Promise<void> {
    log.operationId = 'graphql';
    const authentication = this.credentials.authenticate(headerValue(request, 'authorization'));
    if (!authentication?.ok) {
      send(401, {
        message: 'This endpoint requires you to be authenticated.',
        documentation_url: 'https://docs.github.com/graphql',
      });
      return;
    }
    const identity = authentication.identity;
    log.identity = identity.rateLimitKey;
    const budgetKey = `${identity.rateLimitKey}:graphql`;
    const window = this.rateLimits.window(budgetKey);
    const answer = await answerGraphql({
      body: (body ?? {}) as GraphqlRequestBody,
      identity,
      model: this.model,
      baseUrl: this.baseUrlValue,
      pullRequests: this.pullRequests,
      reviews: this.reviews,
      rateLimit: {
        limit: window.limit,
        remaining: Math.max(0, window.limit - window.used - 1),
        used: window.used + 1,
        resetAt: window.resetAt,
      },
    });
    if (answer.problem) this.problems.push(answer.problem);
    this.rateLimits.charge(budgetKey, 1);
    log.cost = 1;
    send(200, answer.body, { ...this.rateLimits.headers(budgetKey), 'x-ratelimit-resource': 'graphql' });
  }

  /**
   * Git over smart HTTP, as github.com serves it: Basic auth with the token as password,
   * a 401 challenge without it, pushes only with write access. Costs no REST rate limit.
   */
  private async handleGit(
    request: IncomingMessage,
    response: ServerResponse,
    requestUrl: URL,
    target: GitRequestTarget,
  ): Promise<void> {
    const log: FakeGitHubRequest = {
      method: (request.method ?? 'GET').toUpperCase(),
      path: requestUrl.pathname,
      query: requestUrl.search,
      operationId: `git/${target.service}`,
      status: 0,
      cost: 0,
      identity: null,
    };
    this.requests.push(log);
    const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
      log.status = status;
      request.resume();
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(`${message}\n`);
    };
    const repository = this.model.findRepository(target.owner, target.name);
    if (!repository) return refuse(404, 'Repository not found.');
    const token = tokenFromBasicAuthorization(headerValue(request, 'authorization'));
    const authentication = token ? this.credentials.authenticate(`token ${token}`) : null;
    if (!authentication?.ok) {
      return refuse(401, 'Invalid username or token.', { 'www-authenticate': 'Basic realm="GitHub"' });
    }
    const identity = authentication.identity;
    log.identity = identity.rateLimitKey;
    const reachable =
      identity.kind === 'user' ||
      (identity.kind === 'installation' && repository.installationId === identity.installationId);
    if (!reachable) return refuse(404, 'Repository not found.');
    if (
      target.service === 'git-receive-pack' &&
      identity.kind === 'user' &&
      !this.model.canPush(repository, identity.login) &&
      !this.maintainerMayPush(repository, identity.login)
    ) {
      return refuse(
        403,
        `Permission to ${repository.owner}/${repository.name}.git denied to ${identity.login}.`,
      );
    }
    const bare = await this.bareRepositoryPath(`${repository.owner}/${repository.name}`);
    // A push (the pack itself, not the ref advertisement before it) moves heads: pull requests
    // follow and Actions run. Registered before the push, so `settle()` right after it waits too.
    const pushing = target.service === 'git-receive-pack' && target.pathInfo === '/git-receive-pack';
    let pushed: (succeeded: boolean) => void = () => {};
    if (pushing) {
      this.pullRequests.track(
        new Promise<boolean>((resolve) => {
          pushed = resolve;
        }).then((succeeded) =>
          succeeded ? this.pullRequests.afterPush(repository, identity.login) : undefined,
        ),
      );
    }
    let status = 0;
    try {
      status = await serveWithHttpBackend({
        request,
        response,
        projectRoot: path.dirname(path.dirname(bare)),
        pathInfo: `/${path.basename(path.dirname(bare))}/${path.basename(bare)}${target.pathInfo}`,
        query: requestUrl.search.replace(/^\?/, ''),
        remoteUser: identity.login,
      });
    } finally {
      log.status = status;
      pushed(status === 200);
    }
  }

  /** A maintainer of the parent may push to a fork whose open pull request allows maintainers to edit it. */
  private maintainerMayPush(fork: FakeRepository, login: string): boolean {
    if (!fork.forkOf) return false;
    const parent = this.model.repositories.get(fork.forkOf.toLowerCase());
    if (!parent || !this.model.canPush(parent, login)) return false;
    return this.pullRequests
      .pullRequestsOf(parent)
      .some(
        (issue) =>
          issue.state === 'open' &&
          issue.pullRequest.maintainerCanModify &&
          issue.pullRequest.headRepository?.toLowerCase() === `${fork.owner}/${fork.name}`.toLowerCase(),
      );
  }

  /** A job log blob: no Authorization needed, only the signature the 302 carried, as GitHub's blob URLs. */
  private serveJobLogBlob(requestUrl: URL, response: ServerResponse): void {
    const log: FakeGitHubRequest = {
      method: 'GET',
      path: requestUrl.pathname,
      query: requestUrl.search,
      operationId: 'blob/job-log',
      status: 0,
      cost: 0,
      identity: null,
    };
    this.requests.push(log);
    const [, owner, name, id] = jobLogBlobPattern.exec(requestUrl.pathname)!;
    const run = this.model
      .findRepository(owner ?? '', name ?? '')
      ?.checkRuns.find((candidate) => candidate.id === Number(id));
    const signed = requestUrl.searchParams.get('sig') === signJobLogPath(requestUrl.pathname);
    const available = run?.status === 'completed' && typeof run.actions?.log === 'string';
    log.status = !signed ? 403 : available ? 200 : 404;
    response.writeHead(log.status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(
      log.status === 200 ? run!.actions!.log : log.status === 403 ? 'AuthenticationFailed' : 'BlobNotFound',
    );
  }

  private rateLimitResult(identity: FakeIdentity): RouteResult {
    const window = this.rateLimits.window(identity.rateLimitKey);
    const core = {
      limit: window.limit,
      remaining: Math.max(0, window.limit - window.used),
      used: window.used,
      reset: Math.ceil(window.resetAt / 1000),
    };
    const reset = Math.ceil((this.now() + 60 * 60 * 1000) / 1000);
    return {
      status: 200,
      body: {
        resources: {
          core,
          search: { limit: 30, remaining: 30, used: 0, reset },
          graphql: { limit: 5_000, remaining: 5_000, used: 0, reset },
        },
        rate: core,
      },
    };
  }
}

/** Starts a fake GitHub on 127.0.0.1; `close()` it when done. */
export function createFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  return FakeGitHub.start(options);
}
