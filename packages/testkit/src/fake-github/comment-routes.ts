import type { FakeComment, FakeRepository } from './fake-github-model.js';
import {
  actingLogin,
  FakeGitHubHttpError,
  issueFor,
  notFound,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';
import { commentJson } from './wire-shapes.js';

function json(context: RouteContext, repository: FakeRepository, comment: FakeComment) {
  return commentJson(context.baseUrl, context.model, repository, comment);
}

function commentFor(context: RouteContext, repository: FakeRepository): FakeComment {
  const comment = repository.comments.get(Number(context.parameters.comment_id));
  if (!comment) throw notFound();
  return comment;
}

const listComments: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = issueFor(context, repository);
  const since = context.query.since ? Date.parse(context.query.since) : null;
  const comments = context.model
    .commentsOf(repository, issue.number)
    .filter((comment) => since === null || comment.updatedAt >= since);
  return { status: 200, items: comments.map((comment) => json(context, repository, comment)) };
};

const createComment: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  const body = (context.body as { body: string }).body;
  if (body.length > 65_536) {
    throw new FakeGitHubHttpError(422, 'Validation Failed', [
      {
        resource: 'IssueComment',
        field: 'body',
        code: 'custom',
        message: 'body is too long (maximum is 65536 characters)',
      },
    ]);
  }
  const comment = context.model.addComment(repository, issue, body, actingLogin(context.identity));
  return { status: 201, body: json(context, repository, comment) };
};

const getComment: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return { status: 200, body: json(context, repository, commentFor(context, repository)) };
};

const updateComment: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const comment = commentFor(context, repository);
  comment.body = (context.body as { body: string }).body;
  comment.updatedAt = context.model.currentTime();
  const issue = repository.issues.get(comment.issueNumber)!;
  context.model.touch(issue);
  context.model.emit({
    event: 'issue_comment',
    action: 'edited',
    repository,
    issue,
    comment,
    sender: actingLogin(context.identity),
  });
  return { status: 200, body: json(context, repository, comment) };
};

const deleteComment: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const comment = commentFor(context, repository);
  repository.comments.delete(comment.id);
  const issue = repository.issues.get(comment.issueNumber)!;
  context.model.touch(issue);
  context.model.emit({
    event: 'issue_comment',
    action: 'deleted',
    repository,
    issue,
    comment,
    sender: actingLogin(context.identity),
  });
  return { status: 204 };
};

export const commentRoutes: Record<string, RouteHandler> = {
  'issues/list-comments': listComments,
  'issues/create-comment': createComment,
  'issues/get-comment': getComment,
  'issues/update-comment': updateComment,
  'issues/delete-comment': deleteComment,
};
