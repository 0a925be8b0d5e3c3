import type { FakeReview } from './fake-github-model.js';
import { pullRequestFor } from './pull-request-routes.js';
import { reviewCommentJson, reviewJson } from './review-shapes.js';
import {
  actingLogin,
  FakeGitHubHttpError,
  notFound,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';

const reviewStates: Record<string, FakeReview['state']> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
};

const listReviews: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  const reviews = repository.reviews.filter((review) => review.pullNumber === issue.number);
  return {
    status: 200,
    items: reviews.map((review) => reviewJson(context.baseUrl, context.model, repository, review)),
  };
};

const createReview: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  const body = (context.body ?? {}) as {
    event?: string;
    body?: string;
    comments?: Array<{ path: string; line?: number; body: string }>;
  };
  const author = actingLogin(context.identity);
  if (author.toLowerCase() === issue.author.toLowerCase() && body.event && body.event !== 'COMMENT') {
    throw new FakeGitHubHttpError(422, 'Unprocessable Entity', [
      { message: 'Can not approve your own pull request' } as Record<string, unknown>,
    ]);
  }
  const review = context.reviews.submitReview(repository, issue, {
    author,
    state: body.event ? (reviewStates[body.event] ?? 'COMMENTED') : 'PENDING',
    body: body.body ?? '',
    comments: (body.comments ?? []).map((comment) => ({
      path: comment.path,
      line: comment.line ?? 1,
      body: comment.body,
    })),
  });
  return { status: 200, body: reviewJson(context.baseUrl, context.model, repository, review) };
};

const listReviewComments: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  const comments = [...repository.reviewComments.values()]
    .filter((comment) => comment.pullNumber === issue.number)
    .sort((left, right) => left.id - right.id);
  return {
    status: 200,
    items: comments.map((comment) => reviewCommentJson(context.baseUrl, context.model, repository, comment)),
  };
};

const createReviewComment: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  const body = context.body as { body: string; path?: string; line?: number; in_reply_to?: number };
  if (body.in_reply_to === undefined && (!body.path || body.line === undefined)) {
    throw new FakeGitHubHttpError(422, 'Validation Failed', [
      { resource: 'PullRequestReviewComment', field: 'line', code: 'missing_field' },
    ]);
  }
  const comment = context.reviews.addComment(repository, issue, {
    author: actingLogin(context.identity),
    body: body.body,
    ...(body.in_reply_to === undefined
      ? { path: body.path!, line: body.line! }
      : { inReplyTo: body.in_reply_to }),
  });
  return { status: 201, body: reviewCommentJson(context.baseUrl, context.model, repository, comment) };
};

const createReply: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = pullRequestFor(context, repository);
  const parentId = Number(context.parameters.comment_id);
  const parent = repository.reviewComments.get(parentId);
  if (!parent || parent.pullNumber !== issue.number) throw notFound();
  const comment = context.reviews.addComment(repository, issue, {
    author: actingLogin(context.identity),
    body: (context.body as { body: string }).body,
    inReplyTo: parentId,
  });
  return { status: 201, body: reviewCommentJson(context.baseUrl, context.model, repository, comment) };
};

export const reviewRoutes: Record<string, RouteHandler> = {
  'pulls/list-reviews': listReviews,
  'pulls/create-review': createReview,
  'pulls/list-review-comments': listReviewComments,
  'pulls/create-review-comment': createReviewComment,
  'pulls/create-reply-for-review-comment': createReply,
};
