import type { ChangeRequestStatus, CheckResult, ReviewThread } from '../specifications/change-request.js';
import type { CheckFailureClassification } from './classify-check-failure.js';

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
  /** When Loompa pushed `lastPushedHead` (ms since the epoch); null when unknown. */
  lastPushedAt?: number | null;
}

/**
 * When a change request may merge. Fails closed: checks register on a forge seconds after a
 * push, so "no check reported" means "not yet" unless the workflow opts out explicitly.
 */
export interface MergePolicy {
  /** Check names that must have succeeded on the head; null: every reported check. */
  requiredChecks: readonly string[] | null;
  /** Approving reviews needed; 0 leaves approval to the provider (its mergeability says blocked). */
  requiredApprovals: number;
  /** After a push, how long to wait for checks to register before trusting the CI state. */
  checksSettleMs: number;
  /** Merge with no check at all (after the settle window): `scm.allow_merge_without_checks`. */
  allowWithoutChecks: boolean;
}

/** Merging as before this policy existed, for callers and tests that do not care. */
export const permissiveMergePolicy: MergePolicy = {
  requiredChecks: null,
  requiredApprovals: 0,
  checksSettleMs: 0,
  allowWithoutChecks: true,
};

export interface ReactionPolicy {
  ci: { enabled: boolean; max_attempts: number };
  review: { enabled: boolean; max_attempts: number; reviewers: readonly string[] };
  conflict: { enabled: boolean; max_attempts: number };
  autoMerge: boolean;
  /** Comments by this author are Loompa's own and never acted on. */
  botName: string;
  /** When merging is allowed; absent means `permissiveMergePolicy`. */
  merge?: MergePolicy;
}

export type ChangeRequestAction =
  | { action: 'done'; reason: string }
  | { action: 'release'; reason: string }
  | { action: 'wait'; reason: string }
  | {
      action: 'react-to-ci';
      failedChecks: CheckResult[];
      /** How each failed check was classified before the reaction (said in the prompt). */
      classifications?: CheckFailureClassification[];
    }
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

/**
 * Why the head may not merge yet under `merge`, or null when it may. Only called once no
 * check failed or is running, nothing conflicts and no review asks for changes.
 */
export function reasonNotToMergeYet(
  status: ChangeRequestStatus,
  history: ChangeRequestHistory,
  merge: MergePolicy,
  now: number,
): string | null {
  const head = status.headSha ?? '';
  const checks = status.continuousIntegration.checks;
  const pushedAt = head === history.lastPushedHead ? (history.lastPushedAt ?? null) : null;
  const settling = pushedAt !== null && now < pushedAt + merge.checksSettleMs;
  if (status.continuousIntegration.state === 'none' || checks.length === 0) {
    if (!merge.allowWithoutChecks) {
      return `no check has reported on ${head.slice(0, 12)} yet; nothing merges unchecked (scm.allow_merge_without_checks is off)`;
    }
    if (settling) return 'waiting for checks to register after the push (scm.checks_settle_ms)';
  } else if (settling) {
    return 'more checks may still register after the push (scm.checks_settle_ms)';
  }
  for (const name of merge.requiredChecks ?? []) {
    const check = checks.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
    if (!check)
      return `the required check "${name}" has not reported on ${head.slice(0, 12)} (scm.required_checks)`;
    if (check.state !== 'success')
      return `the required check "${name}" is ${check.state} (scm.required_checks)`;
  }
  if (merge.requiredApprovals > 0) {
    const approvals = status.review.state === 'approved' ? (status.review.approvals ?? 1) : 0;
    if (approvals < merge.requiredApprovals) {
      return `waiting for ${merge.requiredApprovals} approving review${merge.requiredApprovals === 1 ? '' : 's'} (has ${approvals}; scm.required_approvals)`;
    }
  }
  return null;
}

export function decideChangeRequestAction(
  status: ChangeRequestStatus,
  history: ChangeRequestHistory,
  policy: ReactionPolicy,
  now: number = Date.now(),
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
  const notYet = reasonNotToMergeYet(status, history, policy.merge ?? permissiveMergePolicy, now);
  if (notYet !== null) return { action: 'wait', reason: notYet };
  // Every check passed (or none is required), nothing is requested, and the branch merges cleanly.
  if (!policy.autoMerge)
    return { action: 'wait', reason: 'ready to merge; waiting for a person (scm.auto_merge is off)' };
  return { action: 'merge', headSha: head };
}
