import { describeError } from '../../errors/loompa-error.js';
import type { Issue } from '../../specifications/issue.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import { type DispatchRules, decideDueRetry, failureRetryDelayMs } from '../decisions.js';
import type { RetryItem } from '../work-items.js';
import type { RetryRequest } from './retry-timers.js';

export interface DueRetryContext {
  tracker(): TrackerV1;
  rules: DispatchRules;
  maxRetryBackoffMs: number;
  /** True when one more run in `state` fits under the concurrency limits now. */
  hasFreeSlot(state: string): boolean;
}

/** What a due retry leads to. */
export type DueRetryStep =
  | { next: 'dispatch'; issue: Issue }
  | { next: 'retry'; request: RetryRequest }
  | { next: 'release'; issue: Issue | null; removeWorkspace: boolean; reason: string };

/**
 * A retry fell due: the issue is re-read and either runs now, waits another backoff (the
 * tracker failed, or no slot is free), or is released (gone, terminal or no longer eligible).
 */
export async function stepForDueRetry(context: DueRetryContext, retry: RetryItem): Promise<DueRetryStep> {
  const backoff = (reason: string, issue: Pick<Issue, 'id' | 'identifier'>): DueRetryStep => {
    const attempt = retry.attempt + 1;
    return {
      next: 'retry',
      request: {
        issue,
        attempt,
        delayMs: failureRetryDelayMs(attempt, context.maxRetryBackoffMs),
        reason,
        continuation: retry.continuation,
      },
    };
  };
  let refreshed: Issue | null;
  try {
    refreshed = (await context.tracker().getIssues({ ids: [retry.issueId] }))[0] ?? null;
  } catch (error) {
    return backoff(`refreshing the issue failed: ${describeError(error)}`, {
      id: retry.issueId,
      identifier: retry.identifier,
    });
  }
  const slotFree = refreshed !== null && context.hasFreeSlot(refreshed.state);
  const decision = decideDueRetry(refreshed, context.rules, slotFree);
  if (decision.action === 'release') {
    return {
      next: 'release',
      issue: refreshed,
      removeWorkspace: decision.removeWorkspace,
      reason: decision.reason,
    };
  }
  if (decision.action === 'requeue') return backoff(decision.reason, refreshed!);
  return { next: 'dispatch', issue: refreshed! };
}
