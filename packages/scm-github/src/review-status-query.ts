import type { ReviewComment, ReviewState, ReviewThread } from '@loompa/core';

/**
 * Reviews and review threads of one pull request in one GraphQL query (REST has no thread
 * resolution at all). Threads carry their node id, which `replyToThread` and
 * `resolveThread` take.
 */
export const reviewStatusQuery = `query LoompaPullRequestReviews($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      id
      headRefOid
      reviews(last: 100) {
        nodes { databaseId state body submittedAt author { login } commit { oid } }
      }
      reviewThreads(first: 100) {
        nodes {
          id
          isResolved
          path
          line
          originalLine
          comments(first: 100) {
            nodes { id databaseId body createdAt author { login } }
          }
        }
      }
    }
  }
}`;

interface ReviewNode {
  databaseId: number | null;
  state: string;
  body: string;
  submittedAt: string | null;
  author: { login: string } | null;
  commit: { oid: string } | null;
}

interface CommentNode {
  id: string;
  databaseId: number | null;
  body: string;
  createdAt: string;
  author: { login: string } | null;
}

interface ThreadNode {
  id: string;
  isResolved: boolean;
  path: string | null;
  line: number | null;
  originalLine: number | null;
  comments: { nodes: Array<CommentNode | null> | null };
}

export interface ReviewStatusAnswer {
  repository: {
    pullRequest: {
      id: string;
      headRefOid: string;
      reviews: { nodes: Array<ReviewNode | null> | null };
      reviewThreads: { nodes: Array<ThreadNode | null> | null };
    } | null;
  } | null;
}

/** A deleted account shows as GitHub's "ghost" user. */
function loginOf(author: { login: string } | null): string {
  return author?.login ?? 'ghost';
}

export interface ReviewSnapshot {
  pullRequestNodeId: string;
  state: ReviewState;
  approvals: number;
  threads: ReviewThread[];
}

/**
 * Each reviewer's latest deciding review counts (a later "commented" review changes
 * nothing, a dismissal withdraws). Any request for changes outweighs approvals. Review
 * threads, then review summaries that ask for something (a body on a "changes requested" or
 * "commented" review) as general feedback without a file, which cannot be resolved.
 */
export function toReviewSnapshot(answer: ReviewStatusAnswer): ReviewSnapshot | null {
  const pull = answer.repository?.pullRequest;
  if (!pull) return null;
  const reviews = (pull.reviews.nodes ?? []).filter((node): node is ReviewNode => node !== null);
  const deciding = new Map<string, string>();
  for (const review of reviews) {
    if (!['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(review.state)) continue;
    deciding.set(loginOf(review.author).toLowerCase(), review.state);
  }
  const decisions = [...deciding.values()];
  const approvals = decisions.filter((state) => state === 'APPROVED').length;
  const state: ReviewState = decisions.includes('CHANGES_REQUESTED')
    ? 'changes_requested'
    : approvals > 0
      ? 'approved'
      : 'none';
  const threads: ReviewThread[] = [];
  for (const thread of pull.reviewThreads.nodes ?? []) {
    if (!thread) continue;
    const comments: ReviewComment[] = (thread.comments.nodes ?? [])
      .filter((comment): comment is CommentNode => comment !== null)
      .map((comment) => ({
        id: comment.id,
        author: loginOf(comment.author),
        body: comment.body,
        createdAt: new Date(comment.createdAt),
      }));
    if (comments.length === 0) continue;
    threads.push({
      id: thread.id,
      path: thread.path,
      line: thread.line ?? thread.originalLine,
      resolved: thread.isResolved,
      comments,
    });
  }
  for (const review of reviews) {
    if (!['CHANGES_REQUESTED', 'COMMENTED'].includes(review.state) || review.body.trim() === '') continue;
    if (review.databaseId === null) continue;
    threads.push({
      id: `review:${review.databaseId}`,
      path: null,
      line: null,
      resolved: false,
      comments: [
        {
          id: `review:${review.databaseId}`,
          author: loginOf(review.author),
          body: review.body,
          createdAt: new Date(review.submittedAt ?? 0),
        },
      ],
    });
  }
  return { pullRequestNodeId: pull.id, state, approvals, threads };
}
