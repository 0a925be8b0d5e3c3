import type { FakeIdentity } from './fake-credentials.js';
import { FakeGitConflict } from './fake-git-operations.js';
import type {
  FakeGitHubModel,
  FakeRepository,
  FakeReviewComment,
  FakeReviewThread,
} from './fake-github-model.js';
import type { FakePullRequests, PullRequestIssue } from './fake-pull-requests.js';
import type { FakeReviews } from './fake-reviews.js';
import { actingLogin } from './route-context.js';
import { isoTime } from './wire-shapes.js';

/** GitHub's global node ids, as the fake writes them: base64 of `<Type>:<database id>`. */
export function nodeIdOf(type: string, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64');
}

function databaseIdOf(type: string, nodeId: string): number | null {
  const decoded = Buffer.from(nodeId, 'base64').toString('utf8');
  const [kind, id] = decoded.split(':');
  return kind === type && id && /^\d+$/.test(id) ? Number(id) : null;
}

interface Context {
  model: FakeGitHubModel;
  pullRequests: FakePullRequests;
  reviews: FakeReviews;
  identity: FakeIdentity;
  baseUrl: string;
}

function actor(model: FakeGitHubModel, login: string) {
  const user = model.ensureUser(login);
  return { __typename: user.type === 'Bot' ? 'Bot' : 'User', login: user.login };
}

/** `first`/`last` over a list, as a connection with `nodes` and `totalCount`. */
function connection<Item>(items: Item[], args: { first?: number; last?: number }) {
  const limited =
    args.last !== undefined
      ? items.slice(-args.last)
      : args.first !== undefined
        ? items.slice(0, args.first)
        : items;
  return { totalCount: items.length, nodes: limited };
}

function commentNode(context: Context, repository: FakeRepository, comment: FakeReviewComment) {
  return {
    __typename: 'PullRequestReviewComment',
    id: nodeIdOf('PullRequestReviewComment', comment.id),
    databaseId: comment.id,
    body: comment.body,
    author: actor(context.model, comment.author),
    path: comment.path,
    line: comment.line,
    createdAt: isoTime(comment.createdAt),
    updatedAt: isoTime(comment.updatedAt),
    url: `${context.baseUrl}/${repository.owner}/${repository.name}/pull/${comment.pullNumber}#discussion_r${comment.id}`,
  };
}

function threadNode(context: Context, repository: FakeRepository, thread: FakeReviewThread) {
  return {
    __typename: 'PullRequestReviewThread',
    id: nodeIdOf('PullRequestReviewThread', thread.id),
    isResolved: thread.resolved,
    isOutdated: false,
    path: thread.path,
    line: thread.line,
    originalLine: thread.line,
    resolvedBy: thread.resolvedBy ? actor(context.model, thread.resolvedBy) : null,
    comments: (args: { first?: number; last?: number }) =>
      connection(
        context.reviews
          .commentsOf(repository, thread.id)
          .map((comment) => commentNode(context, repository, comment)),
        args,
      ),
  };
}

/** `repository.pullRequest(number:)`: the fields Loompa reads (reviews, review threads, head). */
export function pullRequestNode(context: Context, repository: FakeRepository, issue: PullRequestIssue) {
  const pull = issue.pullRequest;
  return {
    __typename: 'PullRequest',
    id: nodeIdOf('PullRequest', issue.id),
    databaseId: issue.id + 1_000_000,
    number: issue.number,
    title: issue.title,
    state: pull.mergedAt !== null ? 'MERGED' : issue.state === 'open' ? 'OPEN' : 'CLOSED',
    isDraft: pull.draft,
    headRefName: pull.head,
    headRefOid: pull.headSha,
    baseRefName: pull.base,
    updatedAt: isoTime(issue.updatedAt),
    author: actor(context.model, issue.author),
    reviews: (args: { first?: number; last?: number }) =>
      connection(
        repository.reviews
          .filter((review) => review.pullNumber === issue.number && review.state !== 'PENDING')
          .map((review) => ({
            __typename: 'PullRequestReview',
            id: nodeIdOf('PullRequestReview', review.id),
            databaseId: review.id,
            state: review.state,
            body: review.body,
            author: actor(context.model, review.author),
            submittedAt: isoTime(review.submittedAt),
            commit: { oid: review.commitId },
          })),
        args,
      ),
    reviewThreads: (args: { first?: number; last?: number }) =>
      connection(
        context.reviews
          .threadsOf(repository, issue.number)
          .map((thread) => threadNode(context, repository, thread)),
        args,
      ),
  };
}

function findThread(context: Context, nodeId: string) {
  const id = databaseIdOf('PullRequestReviewThread', nodeId);
  for (const repository of context.model.repositories.values()) {
    const thread = id === null ? undefined : repository.reviewThreads.get(id);
    if (!thread) continue;
    const issue = repository.issues.get(thread.pullNumber) as PullRequestIssue;
    return { repository, thread, issue };
  }
  throw new Error(`Could not resolve to a node with the global id of '${nodeId}'`);
}

function findPullRequest(context: Context, nodeId: string) {
  const id = databaseIdOf('PullRequest', nodeId);
  for (const repository of context.model.repositories.values()) {
    for (const issue of repository.issues.values()) {
      if (issue.id === id && issue.pullRequest) return { repository, issue: issue as PullRequestIssue };
    }
  }
  throw new Error(`Could not resolve to a node with the global id of '${nodeId}'`);
}

/** The mutations the fake answers: reply in a thread, resolve it, update a branch (merge or rebase). */
export function pullRequestMutations(context: Context) {
  const sender = actingLogin(context.identity);
  return {
    addPullRequestReviewThreadReply: ({
      input,
    }: {
      input: { pullRequestReviewThreadId: string; body: string };
    }) => {
      const { repository, thread, issue } = findThread(context, input.pullRequestReviewThreadId);
      const first = context.reviews.commentsOf(repository, thread.id)[0]!;
      const comment = context.reviews.addComment(repository, issue, {
        author: sender,
        body: input.body,
        inReplyTo: first.id,
      });
      return { comment: commentNode(context, repository, comment) };
    },
    resolveReviewThread: ({ input }: { input: { threadId: string } }) => {
      const { repository, thread, issue } = findThread(context, input.threadId);
      context.reviews.setThreadResolved(repository, issue, thread, true, sender);
      return { thread: threadNode(context, repository, thread) };
    },
    unresolveReviewThread: ({ input }: { input: { threadId: string } }) => {
      const { repository, thread, issue } = findThread(context, input.threadId);
      context.reviews.setThreadResolved(repository, issue, thread, false, sender);
      return { thread: threadNode(context, repository, thread) };
    },
    updatePullRequestBranch: async ({
      input,
    }: {
      input: { pullRequestId: string; expectedHeadOid?: string; updateMethod?: 'MERGE' | 'REBASE' };
    }) => {
      const { repository, issue } = findPullRequest(context, input.pullRequestId);
      await context.pullRequests.refresh(repository, issue);
      if (input.expectedHeadOid && input.expectedHeadOid !== issue.pullRequest.headSha) {
        throw new Error('Expected head oid did not match the head of the pull request');
      }
      try {
        await context.pullRequests.updateBranch(repository, issue, {
          method: input.updateMethod === 'REBASE' ? 'rebase' : 'merge',
          sender,
        });
      } catch (error) {
        if (error instanceof FakeGitConflict) throw new Error('Could not update the branch: merge conflict');
        throw error;
      }
      await context.pullRequests.refresh(repository, issue);
      return { pullRequest: pullRequestNode(context, repository, issue) };
    },
  };
}
