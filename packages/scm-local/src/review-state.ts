import type { ReviewState } from '@loompa/core';
import type { VerdictRecord } from './change-request-record.js';

export interface ReviewSummary {
  state: ReviewState;
  /** Reviewers whose latest verdict approves exactly `headSha`. */
  approvalsOfHead: number;
}

/**
 * Folds verdicts the way forges do: each reviewer's latest verdict counts; a request for
 * changes stands until that reviewer gives a newer verdict; an approval counts only for the
 * head it was given on, so new commits need a new approval before a merge.
 */
export function summarizeReview(verdicts: readonly VerdictRecord[], headSha: string | null): ReviewSummary {
  const latest = new Map<string, VerdictRecord>();
  for (const verdict of verdicts) latest.set(verdict.reviewer, verdict);
  const decisions = [...latest.values()];
  const approvalsOfHead = decisions.filter(
    (verdict) => verdict.verdict === 'approved' && verdict.headSha === headSha,
  ).length;
  if (decisions.some((verdict) => verdict.verdict === 'changes_requested')) {
    return { state: 'changes_requested', approvalsOfHead };
  }
  return { state: approvalsOfHead > 0 ? 'approved' : 'none', approvalsOfHead };
}
