import { describeError } from '../../errors/loompa-error.js';
import type { Issue } from '../../specifications/issue.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import { type DispatchRules, decideReconciliation, type ReconciliationDecision } from '../decisions.js';

/** What reconciliation needs to know about one run in flight. */
export interface RunningFacts {
  issueId: string;
  lastActivityAt: number;
  stopping: boolean;
}

/** Runs with no agent activity for longer than the stall timeout (0 turns the check off). */
export function findStalledRuns(
  runs: Iterable<RunningFacts>,
  stallTimeoutMs: number,
  now: number,
): Array<{ issueId: string; reason: string }> {
  if (stallTimeoutMs <= 0) return [];
  const stalled: Array<{ issueId: string; reason: string }> = [];
  for (const run of runs) {
    if (run.stopping) continue;
    if (now - run.lastActivityAt > stallTimeoutMs) {
      stalled.push({ issueId: run.issueId, reason: `stalled: no agent activity for ${stallTimeoutMs} ms` });
    }
  }
  return stalled;
}

export type RefreshOutcome =
  | {
      ok: true;
      decisions: Array<{ issueId: string; issue: Issue | null; decision: ReconciliationDecision }>;
    }
  | { ok: false; message: string };

/**
 * Re-reads running issues from the tracker and decides for each whether its run goes on.
 * A failed refresh is reported, not thrown: every run keeps going until the tracker answers.
 */
export async function refreshRunningIssues(
  tracker: () => TrackerV1,
  issueIds: readonly string[],
  rules: DispatchRules,
): Promise<RefreshOutcome> {
  let refreshed: Issue[];
  try {
    refreshed = await tracker().getIssues({ ids: [...issueIds] });
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
  const byId = new Map(refreshed.map((issue) => [issue.id, issue]));
  return {
    ok: true,
    decisions: issueIds.map((issueId) => {
      const issue = byId.get(issueId) ?? null;
      return { issueId, issue, decision: decideReconciliation(issue, rules) };
    }),
  };
}
