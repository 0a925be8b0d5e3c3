import type { FakeIssue, FakePullRequestPart, FakeRepository } from './fake-github-model.js';
import { FakeGitConflict } from './fake-pull-requests.js';
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

function headOwnerOf(repository: FakeRepository, issue: PullRequestIssue): string {
  return (issue.pullRequest.headRepository?.split('/')[0] ?? repository.owner).toLowerCase();
}

export function pullRequestFor(context: RouteContext, repository: FakeRepository): PullRequestIssue {
  const issue = repository.issues.get(Number(context.parameters.pull_number));
  if (!issue?.pullRequest) throw notFound();
  return issue as PullRequestIssue;
}

async function detailedJson(context: RouteContext, repository: FakeRepository, issue: PullRequestIssue) {
  await context.pullRequests.refresh(repository, issue);
  const detail = await context.pullRequests.mergeabilityOf(repository, issue);
  return pullRequestJson(context.baseUrl, context.model, repository, issue, detail);
}

const listPullRequests: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: false });
  const state = context.query.state ?? 'open';
  const head = headFilter(context.query.head);
  const pulls = context.pullRequests
    .pullRequestsOf(repository)
    .filter((issue) => state === 'all' || issue.state === state)
    .filter(
      (issue) =>
        !head ||
        (head.owner.toLowerCase() === headOwnerOf(repository, issue) &&
          issue.pullRequest.head === head.branch),
    )
    .filter((issue) => !context.query.base || issue.pullRequest.base === context.query.base)
    .sort((left, right) =>
      context.query.direction === 'asc' ? left.createdAt - right.createdAt : right.createdAt - left.createdAt,
    );
  for (const issue of pulls) await context.pullRequests.refresh(repository, issue);
  return {
    status: 200,
    items: pulls.map((issue) => pullRequestJson(context.baseUrl, context.model, repository, issue, null)),
  };
};

const getPullRequest: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  return { status: 200, body: await detailedJson(context, repository, issue) };
};

async function createPullRequestIn(context: RouteContext) {
  const repository = repositoryFor(context, { write: true });
  const body = context.body as {
    title?: string;
    head: string;
    base: string;
    body?: string;
    draft?: boolean;
    maintainer_can_modify?: boolean;
  };
  const headBranch = body.head.includes(':') ? body.head.split(':').slice(1).join(':') : body.head;
  const headOwner = body.head.includes(':') ? body.head.split(':')[0]! : repository.owner;
  // A head in another owner's namespace is that owner's fork of this repository.
  const headRepository =
    headOwner.toLowerCase() === repository.owner.toLowerCase()
      ? repository
      : context.model.findRepository(headOwner, repository.name);
  if (!headRepository) throw invalid('head');
  if (
    headRepository !== repository &&
    headRepository.forkOf?.toLowerCase() !== `${repository.owner}/${repository.name}`.toLowerCase()
  ) {
    throw invalid('head');
  }
  const [headSha, baseSha] = await Promise.all([
    context.resolveReference(headRepository, headBranch),
    context.resolveReference(repository, body.base),
  ]);
  if (!headSha) throw invalid('head');
  if (!baseSha) throw invalid('base');
  if (headSha === baseSha) throw invalid('head', `No commits between ${body.base} and ${headBranch}`);
  const existing = context.pullRequests
    .pullRequestsOf(repository)
    .find(
      (issue) =>
        issue.state === 'open' &&
        issue.pullRequest.head === headBranch &&
        headOwnerOf(repository, issue) === headOwner.toLowerCase() &&
        issue.pullRequest.base === body.base,
    );
  if (existing) {
    throw invalid('head', `A pull request already exists for ${headOwner}:${headBranch}.`);
  }
  if (!body.title) throw invalid('title');
  const author = actingLogin(context.identity);
  const issue = context.model.createIssue(repository, {
    title: body.title,
    body: body.body ?? null,
    author,
    pullRequest: {
      head: headBranch,
      base: body.base,
      headSha: '',
      baseSha,
      headRepository: headRepository === repository ? null : `${headRepository.owner}/${headRepository.name}`,
      maintainerCanModify: headRepository !== repository && (body.maintainer_can_modify ?? true),
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      draft: body.draft ?? false,
      mergeable: null,
      mergeableState: 'unknown',
      unknownReads: 0,
      gitMergeability: { computedFor: null, conflict: false, behind: false },
    },
  }) as PullRequestIssue;
  await context.pullRequests.afterOpened(repository, issue);
  context.pullRequests.emitPullRequest(repository, issue, 'opened', author);
  return {
    status: 201,
    body: pullRequestJson(context.baseUrl, context.model, repository, issue, {
      mergeable: null,
      mergeableState: 'unknown',
    }),
  };
}

const updatePullRequest: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = pullRequestFor(context, repository);
  const body = context.body as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string };
  if (issue.pullRequest.mergedAt !== null && body.state === 'open') {
    throw invalid('state', 'Cannot reopen a merged pull request');
  }
  const sender = actingLogin(context.identity);
  if (body.title !== undefined) issue.title = body.title;
  if (body.body !== undefined) issue.body = body.body;
  if (body.base !== undefined) {
    if (!(await context.resolveReference(repository, body.base))) throw invalid('base');
    issue.pullRequest.base = body.base;
  }
  let action = 'edited';
  if (body.state !== undefined && body.state !== issue.state) {
    action = body.state === 'closed' ? 'closed' : 'reopened';
    issue.state = body.state;
    issue.closedAt = body.state === 'closed' ? context.model.currentTime() : null;
  }
  context.model.touch(issue);
  context.pullRequests.emitPullRequest(repository, issue, action, sender);
  return { status: 200, body: await detailedJson(context, repository, issue) };
};

const mergePullRequest: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = pullRequestFor(context, repository);
  const body = (context.body ?? {}) as {
    sha?: string;
    merge_method?: 'merge' | 'squash' | 'rebase';
    commit_title?: string;
  };
  const documentation = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request';
  if (issue.state !== 'open') {
    return {
      status: 405,
      body: { message: 'Pull Request is not mergeable', documentation_url: documentation },
    };
  }
  await context.pullRequests.refresh(repository, issue);
  if (body.sha !== undefined && body.sha !== issue.pullRequest.headSha) {
    return {
      status: 409,
      body: {
        message: 'Head branch was modified. Review and try the merge again.',
        documentation_url: documentation,
      },
    };
  }
  const mergeability = await context.pullRequests.mergeabilityOf(repository, issue);
  if (mergeability.mergeable === false || ['blocked', 'draft'].includes(mergeability.mergeableState)) {
    return {
      status: 405,
      body: { message: 'Pull Request is not mergeable', documentation_url: documentation },
    };
  }
  try {
    const sha = await context.pullRequests.merge(repository, issue, {
      method: body.merge_method ?? 'merge',
      sender: actingLogin(context.identity),
      ...(body.commit_title ? { title: body.commit_title } : {}),
    });
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  } catch (error) {
    if (!(error instanceof FakeGitConflict)) throw error;
    return {
      status: 405,
      body: { message: 'Pull Request is not mergeable', documentation_url: documentation },
    };
  }
};

const updatePullRequestBranch: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = pullRequestFor(context, repository);
  const expected = (context.body as { expected_head_sha?: string } | undefined)?.expected_head_sha;
  await context.pullRequests.refresh(repository, issue);
  if (expected !== undefined && expected !== issue.pullRequest.headSha) {
    throw new FakeGitHubHttpError(422, 'expected head sha didn’t match current head ref.');
  }
  try {
    await context.pullRequests.updateBranch(repository, issue, {
      method: 'merge',
      sender: actingLogin(context.identity),
    });
  } catch (error) {
    if (!(error instanceof FakeGitConflict)) throw error;
    throw new FakeGitHubHttpError(422, 'merge conflict between base and head');
  }
  return {
    status: 202,
    body: {
      message: 'Updating pull request branch.',
      url: `${context.baseUrl}/${repository.owner}/${repository.name}/pull/${issue.number}`,
    },
  };
};

export const pullRequestRoutes: Record<string, RouteHandler> = {
  'pulls/list': listPullRequests,
  'pulls/get': getPullRequest,
  'pulls/create': createPullRequestIn,
  'pulls/update': updatePullRequest,
  'pulls/merge': mergePullRequest,
  'pulls/update-branch': updatePullRequestBranch,
};
