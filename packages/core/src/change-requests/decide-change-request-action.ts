import type { ChangeRequestStatus, CheckResult, ReviewThread } from '../specifications/change-request.js';

/**
 * The reaction loop's decision as a pure function of a change request's status and the
 * item's history, so every combination has a unit test and the orchestrator only carries
 * out answers.
 */

/** What the item remembers about its change request (kept in the store across restarts). */
export interface ChangeRequestHistory {
  /** The head Loompa pushed last; a different head means someone else pushed. */
  lastPushedHead: string | null;
  /** CI reactions since the head was last pushed by someone else. */
  ciAttempts: number;
  reviewAttempts: number;
  conflictAttempts: number;
  /** Heads on which the agent failed to resolve a conflict: never retried on the same head. */
  failedConflictHeads: readonly string[];
  /** Review comments already acted on. */
  handledCommentIds: readonly string[];
}

export interface ReactionPolicy {
  ci: { enabled: boolean; max_attempts: number };
  review: { enabled: boolean; max_attempts: number; reviewers: readonly string[] };
  conflict: { enabled: boolean; max_attempts: number };
  autoMerge: boolean;
  /** Comments by this author are Loompa's own and never acted on. */
  botName: string;
}

export type ChangeRequestAction =
  | { action: 'done'; reason: string }
  | { action: 'release'; reason: string }
  | { action: 'wait'; reason: string }
  | { action: 'react-to-ci'; failedChecks: CheckResult[] }
  | { action: 'react-to-review'; threads: ReviewThread[]; commentIds: string[] }
  | { action: 'rebase'; reason: 'conflict' | 'behind' }
  | { action: 'merge'; headSha: string }
  | { action: 'block'; reason: string };

/** Review comments that ask for work: unresolved, not ours, from an allowed reviewer, not yet handled. */
export function newReviewFeedback(
  threads: readonly ReviewThread[],
  history: Pick<ChangeRequestHistory, 'handledCommentIds'>,
  policy: Pick<ReactionPolicy, 'review' | 'botName'>,
): { threads: ReviewThread[]; commentIds: string[] } {
  const handled = new Set(history.handledCommentIds);
  const allowed = new Set(policy.review.reviewers.map((reviewer) => reviewer.toLowerCase()));
  const selected: ReviewThread[] = [];
  const commentIds: string[] = [];
  for (const thread of threads) {
    if (thread.resolved) continue;
    const fresh = thread.comments.filter(
      (comment) =>
        !handled.has(comment.id) &&
        comment.author.toLowerCase() !== policy.botName.toLowerCase() &&
        (allowed.size === 0 || allowed.has(comment.author.toLowerCase())),
    );
    if (fresh.length === 0) continue;
    selected.push(thread);
    commentIds.push(...fresh.map((comment) => comment.id));
  }
  return { threads: selected, commentIds };
}

export function decideChangeRequestAction(
  status: ChangeRequestStatus,
  history: ChangeRequestHistory,
  policy: ReactionPolicy,
): ChangeRequestAction {
  if (status.state === 'merged') return { action: 'done', reason: 'the change request was merged' };
  if (status.state === 'closed')
    return { action: 'release', reason: 'the change request was closed without merging' };
  const head = status.headSha;
  if (head === null) return { action: 'wait', reason: 'the head commit is not known yet' };
  const ownHead = head === history.lastPushedHead;

  if (status.continuousIntegration.state === 'failure') {
    if (!policy.ci.enabled) return { action: 'wait', reason: 'checks failed; CI reactions are disabled' };
    const attempts = ownHead ? history.ciAttempts : 0;
    if (attempts >= policy.ci.max_attempts) {
      return {
        action: 'block',
        reason: `checks still fail after ${attempts} fix attempts (reactions.ci.max_attempts is ${policy.ci.max_attempts})`,
      };
    }
    return {
      action: 'react-to-ci',
      failedChecks: status.continuousIntegration.checks.filter((check) => check.state === 'failure'),
    };
  }

  const feedback = newReviewFeedback(status.review.threads, history, policy);
  if (feedback.threads.length > 0 && policy.review.enabled) {
    if (history.reviewAttempts >= policy.review.max_attempts) {
      return {
        action: 'block',
        reason: `review feedback remains after ${history.reviewAttempts} rounds (reactions.review.max_attempts is ${policy.review.max_attempts})`,
      };
    }
    return { action: 'react-to-review', threads: feedback.threads, commentIds: feedback.commentIds };
  }

  if (status.mergeability === 'conflict' || status.mergeability === 'behind') {
    if (!policy.conflict.enabled)
      return {
        action: 'wait',
        reason: `the branch is ${status.mergeability}; conflict reactions are disabled`,
      };
    if (history.failedConflictHeads.includes(head)) {
      return {
        action: 'block',
        reason: `resolving the conflict on ${head.slice(0, 12)} failed; a person needs to resolve it`,
      };
    }
    if (history.conflictAttempts >= policy.conflict.max_attempts) {
      return {
        action: 'block',
        reason: `the branch is still ${status.mergeability} after ${history.conflictAttempts} rebases (reactions.conflict.max_attempts is ${policy.conflict.max_attempts})`,
      };
    }
    return { action: 'rebase', reason: status.mergeability };
  }

  if (status.continuousIntegration.state === 'pending')
    return { action: 'wait', reason: 'checks are running' };
  if (status.mergeability === 'computing' || status.mergeability === 'unknown') {
    return { action: 'wait', reason: `mergeability is ${status.mergeability}` };
  }
  if (status.review.state === 'changes_requested') {
    return { action: 'wait', reason: 'changes were requested; waiting for the reviewer to look again' };
  }
  if (status.mergeability === 'blocked') return { action: 'wait', reason: 'waiting for an approving review' };
  // Every check passed (or there are none), nothing is requested, and the branch merges cleanly.
  if (!policy.autoMerge)
    return { action: 'wait', reason: 'ready to merge; waiting for a person (scm.auto_merge is off)' };
  return { action: 'merge', headSha: head };
}
