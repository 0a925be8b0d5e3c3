import type { FakeIssue, FakePullRequestPart, FakeRepository } from './fake-github-model.js';
import { pullRequestJson } from './pull-request-shapes.js';
import {
  actingLogin,
  FakeGitHubHttpError,
  notFound,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';

type PullRequestIssue = FakeIssue & { pullRequest: FakePullRequestPart };

function pullRequestsOf(repository: FakeRepository): PullRequestIssue[] {
  return [...repository.issues.values()].filter(
    (issue): issue is PullRequestIssue => issue.pullRequest !== null,
  );
}

function invalid(field: string, message?: string): FakeGitHubHttpError {
  return new FakeGitHubHttpError(422, 'Validation Failed', [
    { resource: 'PullRequest', field, code: message ? 'custom' : 'invalid', ...(message ? { message } : {}) },
  ]);
}

/** `head` as GitHub reads it in `GET /pulls`: only `owner:branch` filters; a bare name is not a filter. */
function headFilter(head: string | undefined): { owner: string; branch: string } | null {
  if (!head?.includes(':')) return null;
  const [owner, ...branch] = head.split(':');
  return { owner: owner!, branch: branch.join(':') };
}

const listPullRequests: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const state = context.query.state ?? 'open';
  const head = headFilter(context.query.head);
  const pulls = pullRequestsOf(repository)
    .filter((issue) => state === 'all' || issue.state === state)
    .filter(
      (issue) =>
        !head ||
        (head.owner.toLowerCase() === repository.owner.toLowerCase() &&
          issue.pullRequest.head === head.branch),
    )
    .filter((issue) => !context.query.base || issue.pullRequest.base === context.query.base)
    .sort((left, right) =>
      context.query.direction === 'asc' ? left.createdAt - right.createdAt : right.createdAt - left.createdAt,
    );
  return {
    status: 200,
    items: pulls.map((issue) => pullRequestJson(context.baseUrl, context.model, repository, issue, null)),
  };
};

const getPullRequest: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = repository.issues.get(Number(context.parameters.pull_number));
  if (!issue?.pullRequest) throw notFound();
  const pull = issue.pullRequest;
  // Reading the pull request is what starts GitHub's mergeability job; until it ends, null.
  let detail = { mergeable: pull.mergeable, mergeableState: pull.mergeableState };
  if (pull.unknownReads > 0) {
    pull.unknownReads -= 1;
    detail = { mergeable: null, mergeableState: 'unknown' };
  }
  return {
    status: 200,
    body: pullRequestJson(context.baseUrl, context.model, repository, issue as PullRequestIssue, detail),
  };
};

async function createPullRequestIn(context: RouteContext) {
  const repository = repositoryFor(context, { write: true });
  const body = context.body as {
    title?: string;
    head: string;
    base: string;
    body?: string;
    draft?: boolean;
    issue?: number;
  };
  const headBranch = body.head.includes(':') ? body.head.split(':').slice(1).join(':') : body.head;
  if (body.head.includes(':') && body.head.split(':')[0]!.toLowerCase() !== repository.owner.toLowerCase()) {
    throw invalid('head');
  }
  const [headSha, baseSha] = await Promise.all([
    context.resolveReference(repository, headBranch),
    context.resolveReference(repository, body.base),
  ]);
  if (!headSha) throw invalid('head');
  if (!baseSha) throw invalid('base');
  if (headSha === baseSha) throw invalid('head', `No commits between ${body.base} and ${headBranch}`);
  const existing = pullRequestsOf(repository).find(
    (issue) =>
      issue.state === 'open' && issue.pullRequest.head === headBranch && issue.pullRequest.base === body.base,
  );
  if (existing) {
    throw invalid('head', `A pull request already exists for ${repository.owner}:${headBranch}.`);
  }
  if (!body.title) throw invalid('title');
  const issue = context.model.createIssue(repository, {
    title: body.title,
    body: body.body ?? null,
    author: actingLogin(context.identity),
    pullRequest: {
      head: headBranch,
      base: body.base,
      headSha,
      baseSha,
      mergedAt: null,
      draft: body.draft ?? false,
      mergeable: true,
      mergeableState: 'clean',
      unknownReads: 1,
    },
  }) as PullRequestIssue;
  return {
    status: 201,
    body: pullRequestJson(context.baseUrl, context.model, repository, issue, {
      mergeable: null,
      mergeableState: 'unknown',
    }),
  };
}

export const pullRequestRoutes: Record<string, RouteHandler> = {
  'pulls/list': listPullRequests,
  'pulls/get': getPullRequest,
  'pulls/create': createPullRequestIn,
};
