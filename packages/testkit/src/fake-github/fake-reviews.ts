import type {
  FakeGitHubModel,
  FakeRepository,
  FakeReview,
  FakeReviewComment,
  FakeReviewThread,
} from './fake-github-model.js';
import type { PullRequestIssue } from './fake-pull-requests.js';
import { pullRequestJson } from './pull-request-shapes.js';
import { reviewCommentJson, reviewJson } from './review-shapes.js';

/**
 * Reviews, review comments and their threads, as people and bots make them through the REST
 * API, GraphQL or a test's seeding: each change is stored once and sends the webhook events
 * GitHub sends (`pull_request_review`, `pull_request_review_comment`,
 * `pull_request_review_thread`), and bumps the pull request's `updated_at` as GitHub does.
 */
export class FakeReviews {
  constructor(private readonly model: FakeGitHubModel) {}

  private pullJson(baseUrl: string, repository: FakeRepository, issue: PullRequestIssue) {
    return pullRequestJson(baseUrl, this.model, repository, issue, null);
  }

  submitReview(
    repository: FakeRepository,
    issue: PullRequestIssue,
    fields: {
      author: string;
      state: FakeReview['state'];
      body?: string;
      comments?: ReadonlyArray<{ path: string; line: number; body: string }>;
    },
  ): FakeReview {
    const review: FakeReview = {
      id: this.model.allocateId(),
      pullNumber: issue.number,
      author: fields.author,
      state: fields.state,
      body: fields.body ?? '',
      commitId: issue.pullRequest.headSha,
      submittedAt: this.model.currentTime(),
    };
    repository.reviews.push(review);
    for (const comment of fields.comments ?? [])
      this.addComment(repository, issue, { ...comment, author: fields.author, reviewId: review.id });
    this.model.touch(issue);
    this.model.ensureUser(fields.author);
    this.model.emit({
      event: 'pull_request_review',
      action: 'submitted',
      repository,
      sender: fields.author,
      build: (baseUrl) => ({
        review: reviewJson(baseUrl, this.model, repository, review),
        pull_request: this.pullJson(baseUrl, repository, issue),
      }),
    });
    return review;
  }

  /** A comment on a line (a new thread) or, with `inReplyTo`, a reply in that comment's thread. */
  addComment(
    repository: FakeRepository,
    issue: PullRequestIssue,
    fields: {
      author: string;
      body: string;
      path?: string;
      line?: number | null;
      inReplyTo?: number;
      reviewId?: number;
    },
  ): FakeReviewComment {
    const time = this.model.currentTime();
    const parent =
      fields.inReplyTo === undefined ? undefined : repository.reviewComments.get(fields.inReplyTo);
    if (fields.inReplyTo !== undefined && (!parent || parent.pullNumber !== issue.number)) {
      throw new Error(`fake GitHub: no review comment ${fields.inReplyTo} on #${issue.number}`);
    }
    let thread: FakeReviewThread;
    if (parent) {
      thread = repository.reviewThreads.get(parent.threadId)!;
    } else {
      thread = {
        id: this.model.allocateId(),
        pullNumber: issue.number,
        path: fields.path ?? 'README.md',
        line: fields.line ?? null,
        resolved: false,
        resolvedBy: null,
      };
      repository.reviewThreads.set(thread.id, thread);
    }
    const comment: FakeReviewComment = {
      id: this.model.allocateId(),
      pullNumber: issue.number,
      reviewId: fields.reviewId ?? this.submitReviewSilently(repository, issue, fields.author),
      threadId: thread.id,
      author: fields.author,
      body: fields.body,
      path: thread.path,
      line: thread.line,
      commitId: issue.pullRequest.headSha,
      inReplyToId: parent ? (parent.inReplyToId ?? parent.id) : null,
      createdAt: time,
      updatedAt: time,
    };
    repository.reviewComments.set(comment.id, comment);
    this.model.ensureUser(fields.author);
    this.model.touch(issue);
    this.model.emit({
      event: 'pull_request_review_comment',
      action: 'created',
      repository,
      sender: fields.author,
      build: (baseUrl) => ({
        comment: reviewCommentJson(baseUrl, this.model, repository, comment),
        pull_request: this.pullJson(baseUrl, repository, issue),
      }),
    });
    return comment;
  }

  /** A lone comment is a one-comment review of the "COMMENTED" kind on GitHub, without its own event. */
  private submitReviewSilently(repository: FakeRepository, issue: PullRequestIssue, author: string): number {
    const review: FakeReview = {
      id: this.model.allocateId(),
      pullNumber: issue.number,
      author,
      state: 'COMMENTED',
      body: '',
      commitId: issue.pullRequest.headSha,
      submittedAt: this.model.currentTime(),
    };
    repository.reviews.push(review);
    return review.id;
  }

  setThreadResolved(
    repository: FakeRepository,
    issue: PullRequestIssue,
    thread: FakeReviewThread,
    resolved: boolean,
    sender: string,
  ): void {
    if (thread.resolved === resolved) return;
    thread.resolved = resolved;
    thread.resolvedBy = resolved ? sender : null;
    this.model.touch(issue);
    this.model.emit({
      event: 'pull_request_review_thread',
      action: resolved ? 'resolved' : 'unresolved',
      repository,
      sender,
      build: (baseUrl) => ({
        thread: {
          node_id: Buffer.from(`PullRequestReviewThread:${thread.id}`).toString('base64'),
          comments: this.commentsOf(repository, thread.id).map((comment) =>
            reviewCommentJson(baseUrl, this.model, repository, comment),
          ),
        },
        pull_request: this.pullJson(baseUrl, repository, issue),
      }),
    });
  }

  commentsOf(repository: FakeRepository, threadId: number): FakeReviewComment[] {
    return [...repository.reviewComments.values()]
      .filter((comment) => comment.threadId === threadId)
      .sort((left, right) => left.id - right.id);
  }

  threadsOf(repository: FakeRepository, pullNumber: number): FakeReviewThread[] {
    return [...repository.reviewThreads.values()]
      .filter((thread) => thread.pullNumber === pullNumber)
      .sort((left, right) => left.id - right.id);
  }
}
