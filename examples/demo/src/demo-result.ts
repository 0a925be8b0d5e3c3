import { type ChangeRequestStatus, type OrchestratorEvent, totalTokens } from '@loompa/core';
import type { ReportedStatus } from './status-recorder.js';

/** One row of the closing table. */
export interface DemoResult {
  task: string;
  branch: string | null;
  /** What the checks last reported on the branch: `passed`, `passed after 1 fix`, `failed`… */
  checks: string;
  /** What the review last reported on the branch: `approved`, `changes requested`, `none yet`. */
  review: string;
  merged: boolean;
  turns: number;
  tokens: number;
  costUsd: number;
  /** Times the branch was rebased onto a main that moved on (conflicts resolved by the agent included). */
  rebases: number;
}

const plural = (count: number, word: string, suffix = 's') => `${count} ${word}${count === 1 ? '' : suffix}`;

function describeChecks(status: ChangeRequestStatus | null, fixes: number): string {
  const afterFixes = fixes === 0 ? '' : ` after ${plural(fixes, 'fix', 'es')}`;
  switch (status?.continuousIntegration.state) {
    case undefined:
      return 'not run';
    case 'none':
      return 'none reported';
    case 'pending':
      return `running${afterFixes}`;
    case 'success':
      return `passed${afterFixes}`;
    case 'failure':
      return `failed${afterFixes}`;
  }
}

function describeReview(status: ChangeRequestStatus | null, rounds: number): string {
  switch (status?.review.state) {
    case 'approved':
      return rounds === 0 ? 'approved' : `approved after ${plural(rounds, 'round')}`;
    case 'changes_requested':
      return 'changes requested';
    default:
      return 'none yet';
  }
}

/**
 * One task's row, from the orchestrator's events (runs, reactions, merge) and the statuses
 * the SCM provider reported for its branch. Checks and review are what the provider last
 * reported while the change request was open, so a merge without them shows as such.
 */
export function summarizeTask(
  identifier: string,
  events: readonly OrchestratorEvent[],
  reported: readonly ReportedStatus[],
): DemoResult {
  const mine = events.filter(
    (event) => (event.payload as { issueIdentifier?: string }).issueIdentifier === identifier,
  );
  const reactions = mine.flatMap((event) =>
    event.type === 'reaction-started' ? [event.payload.reaction] : [],
  );
  const runs = mine.flatMap((event) => (event.type === 'agent-run-finished' ? [event.payload.result] : []));
  const opened = mine.flatMap((event) =>
    event.type === 'change-request-opened' ? [event.payload.changeRequest] : [],
  )[0];
  const branch = opened?.branch ?? null;
  const statuses = reported.filter((entry) => entry.branch === branch).map((entry) => entry.status);
  // The status a merge was decided on is the last one read while the change request was open.
  const lastOpen = statuses.filter((status) => status.state === 'open').at(-1) ?? statuses.at(-1) ?? null;
  return {
    task: identifier,
    branch,
    checks: describeChecks(lastOpen, reactions.filter((reaction) => reaction === 'ci-failure').length),
    review: describeReview(lastOpen, reactions.filter((reaction) => reaction === 'review').length),
    merged: mine.some((event) => event.type === 'change-request-merged'),
    turns: runs.reduce((sum, result) => sum + result.turns, 0),
    tokens: runs.reduce((sum, result) => sum + totalTokens(result.usage), 0),
    costUsd: runs.reduce((sum, result) => sum + (result.costUsd ?? 0), 0),
    rebases: reactions.filter((reaction) => reaction === 'conflict').length,
  };
}
