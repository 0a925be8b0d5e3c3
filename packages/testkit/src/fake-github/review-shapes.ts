import type { FakeGitHubModel, FakeRepository, FakeReview, FakeReviewComment } from './fake-github-model.js';
import { isoTime, repositoryUrl, userJson } from './wire-shapes.js';

function associationOf(repository: FakeRepository, login: string): string {
  if (login.toLowerCase() === repository.owner.toLowerCase()) return 'OWNER';
  return repository.collaborators.has(login.toLowerCase()) ? 'COLLABORATOR' : 'NONE';
}

/** `pull-request-review`. */
export function reviewJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  review: FakeReview,
): Record<string, unknown> {
  const pullUrl = `${repositoryUrl(baseUrl, repository)}/pulls/${review.pullNumber}`;
  const html = `${baseUrl}/${repository.owner}/${repository.name}/pull/${review.pullNumber}#pullrequestreview-${review.id}`;
  return {
    id: review.id,
    node_id: Buffer.from(`PullRequestReview:${review.id}`).toString('base64'),
    user: userJson(baseUrl, model.ensureUser(review.author)),
    body: review.body,
    state: review.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    submitted_at: isoTime(review.submittedAt),
    commit_id: review.commitId,
    author_association: associationOf(repository, review.author),
  };
}

/** `pull-request-review-comment`. */
export function reviewCommentJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  comment: FakeReviewComment,
): Record<string, unknown> {
  const url = `${repositoryUrl(baseUrl, repository)}/pulls/comments/${comment.id}`;
  const pullUrl = `${repositoryUrl(baseUrl, repository)}/pulls/${comment.pullNumber}`;
  const html = `${baseUrl}/${repository.owner}/${repository.name}/pull/${comment.pullNumber}#discussion_r${comment.id}`;
  return {
    url,
    pull_request_review_id: comment.reviewId,
    id: comment.id,
    node_id: Buffer.from(`PullRequestReviewComment:${comment.id}`).toString('base64'),
    diff_hunk: `@@ -${comment.line ?? 1},1 +${comment.line ?? 1},1 @@`,
    path: comment.path,
    commit_id: comment.commitId,
    original_commit_id: comment.commitId,
    ...(comment.inReplyToId === null ? {} : { in_reply_to_id: comment.inReplyToId }),
    user: userJson(baseUrl, model.ensureUser(comment.author)),
    body: comment.body,
    created_at: isoTime(comment.createdAt),
    updated_at: isoTime(comment.updatedAt),
    html_url: html,
    pull_request_url: pullUrl,
    author_association: associationOf(repository, comment.author),
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
    line: comment.line ?? undefined,
    original_line: comment.line ?? undefined,
    side: 'RIGHT',
    subject_type: 'line',
  };
}
