import type { AgentRunError } from '../specifications/agent-backend.js';
import { type Issue, normalizeName } from '../specifications/issue.js';

/**
 * The orchestrator's decisions as pure functions of what it knows, so every rule is testable
 * without processes, timers or trackers. The orchestrator gathers the facts, calls these,
 * and carries out the answer.
 */

/** The workflow facts that decide whether an issue may run. */
export interface DispatchRules {
  activeStates: readonly string[];
  terminalStates: readonly string[];
  requiredLabels: readonly string[];
  assignee: string | null;
}

const isIn = (states: readonly string[], state: string) => states.includes(normalizeName(state));

export function isActiveState(rules: DispatchRules, state: string): boolean {
  return isIn(rules.activeStates, state) && !isIn(rules.terminalStates, state);
}

export function isTerminalState(rules: DispatchRules, state: string): boolean {
  return isIn(rules.terminalStates, state);
}

/**
 * Why an issue may not be dispatched, or null when it may. `busy` holds the ids already
 * running, retrying, awaiting review or blocked.
 */
export function ineligibilityReason(
  issue: Issue,
  rules: DispatchRules,
  busy: ReadonlySet<string>,
): string | null {
  if (!issue.id || !issue.identifier || !issue.title || !issue.state)
    return 'missing id, identifier, title or state';
  if (!isActiveState(rules, issue.state)) return `state "${issue.state}" is not active`;
  if (!issue.dispatchable) return 'the tracker marks it not dispatchable';
  // Ticks run this for thousands of candidates: look at labels only when some are required.
  if (rules.requiredLabels.length > 0) {
    const missing = rules.requiredLabels.filter(
      (label) => !issue.labels.some((issueLabel) => normalizeName(issueLabel) === label),
    );
    if (missing.length > 0) return `missing required labels: ${missing.join(', ')}`;
  }
  if (
    rules.assignee !== null &&
    !issue.assignees.some((assignee) => normalizeName(assignee) === normalizeName(rules.assignee!))
  ) {
    return `not assigned to ${rules.assignee}`;
  }
  const blocker = issue.blockedBy.find(
    (reference) => reference.state !== null && !isTerminalState(rules, reference.state),
  );
  if (blocker) return `blocked by ${blocker.identifier ?? blocker.id} (${blocker.state})`;
  if (busy.has(issue.id)) return 'already running, retrying, awaiting or blocked';
  return null;
}

function priorityRank(priority: number | null): number {
  return priority !== null && Number.isInteger(priority) && priority >= 1 && priority <= 4 ? priority : 5;
}

/** Dispatch order: priority 1..4 ascending (missing or other values last), oldest first, then identifier. */
export function compareForDispatch(left: Issue, right: Issue): number {
  const byPriority = priorityRank(left.priority) - priorityRank(right.priority);
  if (byPriority !== 0) return byPriority;
  const leftTime = left.createdAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const rightTime = right.createdAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (leftTime !== rightTime) return leftTime < rightTime ? -1 : 1;
  return left.identifier < right.identifier ? -1 : left.identifier > right.identifier ? 1 : 0;
}

/** Concurrency limits and what is running now, per normalized state. */
export interface SlotUsage {
  maxConcurrentAgents: number;
  maxConcurrentAgentsByState: Readonly<Record<string, number>>;
  runningTotal: number;
  runningByState: Readonly<Record<string, number>>;
}

/** True when one more issue in `state` fits under the global and per-state limits. */
export function hasFreeSlot(usage: SlotUsage, state: string): boolean {
  if (usage.runningTotal >= usage.maxConcurrentAgents) return false;
  const key = normalizeName(state);
  const stateLimit = usage.maxConcurrentAgentsByState[key];
  return stateLimit === undefined || (usage.runningByState[key] ?? 0) < stateLimit;
}

/**
 * Picks which candidates to dispatch now: eligible ones in dispatch order, while slots
 * remain. Returns the chosen issues (slot usage is counted as they are taken).
 */
export function selectDispatches(
  candidates: readonly Issue[],
  rules: DispatchRules,
  busy: ReadonlySet<string>,
  usage: SlotUsage,
): Issue[] {
  // With every slot taken there is nothing to choose: skip sorting thousands of candidates.
  if (usage.runningTotal >= usage.maxConcurrentAgents) return [];
  const runningByState = { ...usage.runningByState };
  let runningTotal = usage.runningTotal;
  const chosen: Issue[] = [];
  const seen = new Set<string>();
  for (const issue of [...candidates].sort(compareForDispatch)) {
    if (runningTotal >= usage.maxConcurrentAgents) break;
    if (seen.has(issue.id) || ineligibilityReason(issue, rules, busy) !== null) continue;
    seen.add(issue.id);
    if (!hasFreeSlot({ ...usage, runningTotal, runningByState }, issue.state)) continue;
    const key = normalizeName(issue.state);
    runningByState[key] = (runningByState[key] ?? 0) + 1;
    runningTotal++;
    chosen.push(issue);
  }
  return chosen;
}

/** Base of the failure backoff: 10 s × 2^(attempt − 1). */
export const failureRetryBaseMs = 10_000;

/** Delay before retry number `attempt` (1, 2, …) after a failure, capped. */
export function failureRetryDelayMs(attempt: number, maxRetryBackoffMs: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(failureRetryBaseMs * 2 ** Math.min(exponent, 30), maxRetryBackoffMs);
}

/** What to do with a running issue after refreshing it from the tracker. */
export type ReconciliationDecision =
  | { action: 'keep' }
  | { action: 'stop'; removeWorkspace: boolean; reason: string };

/** Terminal → stop and remove the workspace; gone, inactive or unroutable → stop and keep it. */
export function decideReconciliation(refreshed: Issue | null, rules: DispatchRules): ReconciliationDecision {
  if (refreshed === null)
    return { action: 'stop', removeWorkspace: false, reason: 'the issue is no longer in the tracker' };
  if (isTerminalState(rules, refreshed.state)) {
    return {
      action: 'stop',
      removeWorkspace: true,
      reason: `the issue moved to terminal state "${refreshed.state}"`,
    };
  }
  if (!isActiveState(rules, refreshed.state)) {
    return {
      action: 'stop',
      removeWorkspace: false,
      reason: `the issue moved to inactive state "${refreshed.state}"`,
    };
  }
  const unroutable = ineligibilityReason(
    { ...refreshed, dispatchable: true, blockedBy: [] },
    rules,
    new Set(),
  );
  if (unroutable !== null) return { action: 'stop', removeWorkspace: false, reason: unroutable };
  return { action: 'keep' };
}

/** What a due retry does once its issue is re-fetched. */
export type RetryDecision =
  | { action: 'dispatch' }
  | { action: 'requeue'; reason: string }
  | { action: 'release'; removeWorkspace: boolean; reason: string };

export function decideDueRetry(
  refreshed: Issue | null,
  rules: DispatchRules,
  slotFree: boolean,
): RetryDecision {
  if (refreshed === null)
    return { action: 'release', removeWorkspace: false, reason: 'the issue is no longer in the tracker' };
  if (isTerminalState(rules, refreshed.state)) {
    return {
      action: 'release',
      removeWorkspace: true,
      reason: `the issue is in terminal state "${refreshed.state}"`,
    };
  }
  const reason = ineligibilityReason(refreshed, rules, new Set());
  if (reason !== null) return { action: 'release', removeWorkspace: false, reason };
  if (!slotFree) return { action: 'requeue', reason: 'no available orchestrator slots' };
  return { action: 'dispatch' };
}

/** How a worker's attempt ended. */
export type AttemptOutcome =
  | { kind: 'completed' }
  /** `error` when the agent itself reported why it failed: its kind changes what happens next. */
  | { kind: 'failed'; reason: string; error?: AgentRunError; lastText?: string | null }
  /** Stopped on purpose (reconciliation, budget, shutdown): not a failure. */
  | { kind: 'stopped'; reason: string };

export type AttemptDecision =
  | { action: 'continue'; attempt: number; delayMs: number }
  /** The agent kind cannot run at all (auth, configuration): pause it for every issue. */
  | { action: 'pause-agent'; reason: string; probeDelayMs: number }
  /** The provider asked to wait: wait that long, without counting an attempt. */
  | { action: 'wait'; attempt: number; delayMs: number; reason: string }
  | { action: 'retry'; attempt: number; delayMs: number; reason: string }
  | { action: 'block'; reason: string }
  | { action: 'release'; reason: string };

/**
 * After an attempt: a clean exit continues (attempt 1) after the continuation delay; a
 * failure retries with backoff until `maxAttempts` failures, then blocks for a human.
 */
/**
 * Whether a failed attempt uses up one of `agent.max_attempts`: not when the agent could not
 * run at all (auth) or the provider only asked to wait (a rate limit with a retry-after).
 */
export function attemptCounts(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'failed') return false;
  if (outcome.error?.kind === 'auth') return false;
  return !(outcome.error?.kind === 'rate-limit' && outcome.error.retryAfterMs !== undefined);
}

/** Characters of the last session's final words carried into a fresh one after a context overflow. */
const sessionSummaryCharacters = 2_000;

/** What a fresh session is told after the previous one ran out of context, or null. */
export function summaryAfterContextOverflow(outcome: AttemptOutcome): string | null {
  if (outcome.kind !== 'failed' || outcome.error?.kind !== 'context-overflow') return null;
  const last = (outcome.lastText ?? '').trim();
  const words = last.length > sessionSummaryCharacters ? `…${last.slice(-sessionSummaryCharacters)}` : last;
  return [
    'An earlier session on this issue ran out of context and was replaced by this fresh one.',
    'The work it did is in the worktree (see `git status` and `git diff`).',
    words ? `Its last words were:\n${words}` : 'It left no final message.',
  ].join(' ');
}

export function decideAfterAttempt(
  outcome: AttemptOutcome,
  failuresSoFar: number,
  previousAttempt: number | null,
  limits: { maxAttempts: number; maxRetryBackoffMs: number; continuationDelayMs: number },
): AttemptDecision {
  if (outcome.kind === 'stopped') return { action: 'release', reason: outcome.reason };
  if (outcome.kind === 'completed')
    return { action: 'continue', attempt: 1, delayMs: limits.continuationDelayMs };
  const error = outcome.error;
  if (error?.kind === 'auth') {
    // Every issue would fail the same way: pause the kind, and try again after the longest backoff.
    return { action: 'pause-agent', reason: error.message, probeDelayMs: limits.maxRetryBackoffMs };
  }
  if (error?.kind === 'rate-limit' && error.retryAfterMs !== undefined) {
    return {
      action: 'wait',
      attempt: previousAttempt ?? 0,
      delayMs: error.retryAfterMs,
      reason: `the model provider asked to wait ${Math.ceil(error.retryAfterMs / 1000)} s: ${error.message}`,
    };
  }
  if (error?.kind === 'input-required') {
    return { action: 'block', reason: `the agent needs a person to answer: ${error.message}` };
  }
  if (failuresSoFar >= limits.maxAttempts) {
    return {
      action: 'block',
      reason: `${failuresSoFar} failed attempts (agent.max_attempts is ${limits.maxAttempts}); last: ${outcome.reason}`,
    };
  }
  const attempt = (previousAttempt ?? 0) + 1;
  return {
    action: 'retry',
    attempt,
    delayMs: failureRetryDelayMs(attempt, limits.maxRetryBackoffMs),
    reason: outcome.reason,
  };
}
