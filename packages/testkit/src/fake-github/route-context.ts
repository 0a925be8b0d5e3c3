import type { FakeCredentials, FakeIdentity } from './fake-credentials.js';
import type { FakeGitHubModel, FakeIssue, FakeRepository } from './fake-github-model.js';
import type { FakePullRequests } from './fake-pull-requests.js';
import type { FakeReviews } from './fake-reviews.js';

/** What a route handler gets: the matched operation, the parsed request, and the fake's state. */
export interface RouteContext {
  operationId: string;
  parameters: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  identity: FakeIdentity;
  model: FakeGitHubModel;
  credentials: FakeCredentials;
  baseUrl: string;
  requestUrl: URL;
  installationTokenLifetimeMs: number;
  /** The commit a branch (or a full SHA) names in the repository's git data, or null. */
  resolveReference(repository: FakeRepository, reference: string): Promise<string | null>;
  /** Pull requests kept alive with the repository's git data: heads, mergeability, merges. */
  pullRequests: FakePullRequests;
  reviews: FakeReviews;
}

/** A handler's answer. `items` asks the server to paginate a list and write the `link` header. */
export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  items?: unknown[];
}

export type RouteHandler = (context: RouteContext) => RouteResult | Promise<RouteResult>;

/** An error answer in GitHub's shape (`message`, `documentation_url`, optional `errors`). */
export class FakeGitHubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Array<Record<string, unknown>>,
  ) {
    super(message);
  }

  get body(): Record<string, unknown> {
    return {
      message: this.message,
      documentation_url: 'https://docs.github.com/rest',
      ...(this.errors ? { errors: this.errors } : {}),
      status: String(this.status),
    };
  }
}

export function notFound(): FakeGitHubHttpError {
  return new FakeGitHubHttpError(404, 'Not Found');
}

/**
 * The repository named by the path, if this identity may see it: installation tokens reach
 * only the repositories their App is installed on; App JWTs reach no repository content.
 */
export function repositoryFor(context: RouteContext, { write }: { write: boolean }): FakeRepository {
  const repository = context.model.findRepository(
    context.parameters.owner ?? '',
    context.parameters.repo ?? '',
  );
  if (!repository) throw notFound();
  const identity = context.identity;
  if (identity.kind === 'app') {
    throw new FakeGitHubHttpError(403, 'Resource not accessible by integration');
  }
  if (identity.kind === 'installation' && repository.installationId !== identity.installationId) {
    throw notFound();
  }
  if (write && identity.kind === 'user' && !context.model.canPush(repository, identity.login)) {
    throw new FakeGitHubHttpError(403, 'Must have admin rights to Repository.');
  }
  return repository;
}

export function issueFor(context: RouteContext, repository: FakeRepository): FakeIssue {
  const issue = repository.issues.get(Number(context.parameters.issue_number));
  if (!issue) throw notFound();
  return issue;
}

/** The login a write is attributed to. */
export function actingLogin(identity: FakeIdentity): string {
  return identity.kind === 'app' ? `app-${identity.appId}` : identity.login;
}
