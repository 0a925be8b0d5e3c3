import { createTestIssue } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import type { AgentRunError } from '../specifications/agent-backend.js';
import {
  type AttemptOutcome,
  attemptCounts,
  compareForDispatch,
  type DispatchRules,
  decideAfterAttempt,
  decideDueRetry,
  decideReconciliation,
  failureRetryDelayMs,
  ineligibilityReason,
  selectDispatches,
  summaryAfterContextOverflow,
} from './decisions.js';

const rules: DispatchRules = {
  activeStates: ['todo', 'in progress'],
  terminalStates: ['done', 'cancelled'],
  requiredLabels: [],
  assignee: null,
};
const noLimits = {
  maxConcurrentAgents: 10,
  maxConcurrentAgentsByState: {},
  runningTotal: 0,
  runningByState: {},
};

describe('dispatch order', () => {
  it('sorts by priority 1..4 with missing and out-of-range last, then oldest, then identifier', () => {
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
    const issues = [
      createTestIssue({ identifier: 'E', priority: null, createdAt: at(1) }),
      createTestIssue({ identifier: 'D', priority: 7, createdAt: at(0) }),
      createTestIssue({ identifier: 'C', priority: 2, createdAt: at(5) }),
      createTestIssue({ identifier: 'B', priority: 2, createdAt: at(3) }),
      createTestIssue({ identifier: 'A2', priority: 1, createdAt: at(9) }),
      createTestIssue({ identifier: 'A1', priority: 1, createdAt: at(9) }),
    ];
    expect([...issues].sort(compareForDispatch).map((issue) => issue.identifier)).toEqual([
      'A1',
      'A2',
      'B',
      'C',
      'D',
      'E',
    ]);
  });
});

describe('eligibility', () => {
  it('explains each reason an issue may not run', () => {
    const busy = new Set(['busy-1']);
    expect(ineligibilityReason(createTestIssue({ state: 'Done' }), rules, busy)).toBe(
      'state "Done" is not active',
    );
    expect(ineligibilityReason(createTestIssue({ state: 'backlog' }), rules, busy)).toBe(
      'state "backlog" is not active',
    );
    expect(ineligibilityReason(createTestIssue({ dispatchable: false }), rules, busy)).toBe(
      'the tracker marks it not dispatchable',
    );
    expect(
      ineligibilityReason(
        createTestIssue({ labels: ['bug'] }),
        { ...rules, requiredLabels: ['agent', 'bug'] },
        busy,
      ),
    ).toBe('missing required labels: agent');
    expect(
      ineligibilityReason(
        createTestIssue({ blockedBy: [{ id: 'x', identifier: 'X-1', state: 'In Progress' }] }),
        rules,
        busy,
      ),
    ).toBe('blocked by X-1 (In Progress)');
    expect(
      ineligibilityReason(
        createTestIssue({ blockedBy: [{ id: 'x', identifier: 'X-1', state: 'Done' }] }),
        rules,
        busy,
      ),
    ).toBeNull();
    expect(ineligibilityReason(createTestIssue({ id: 'busy-1' }), rules, busy)).toBe(
      'already running, retrying, awaiting or blocked',
    );
    expect(ineligibilityReason(createTestIssue({ title: '' }), rules, busy)).toBe(
      'missing id, identifier, title or state',
    );
    expect(ineligibilityReason(createTestIssue({ state: ' TODO ' }), rules, busy)).toBeNull();
  });

  it('compares required labels case-insensitively', () => {
    const issue = createTestIssue({ labels: ['Agent'] });
    expect(ineligibilityReason(issue, { ...rules, requiredLabels: ['agent'] }, new Set())).toBeNull();
  });
});

describe('slot limits', () => {
  it('takes exactly as many as the global limit allows', () => {
    const issues = Array.from({ length: 5 }, () => createTestIssue());
    const chosen = selectDispatches(issues, rules, new Set(), { ...noLimits, maxConcurrentAgents: 2 });
    expect(chosen).toHaveLength(2);
  });

  it('respects per-state limits and counts what already runs', () => {
    const issues = [
      ...Array.from({ length: 3 }, () => createTestIssue({ state: 'Todo' })),
      ...Array.from({ length: 3 }, () => createTestIssue({ state: 'In Progress' })),
    ];
    const chosen = selectDispatches(issues, rules, new Set(), {
      maxConcurrentAgents: 10,
      maxConcurrentAgentsByState: { todo: 1, 'in progress': 2 },
      runningTotal: 1,
      runningByState: { 'in progress': 1 },
    });
    expect(chosen.map((issue) => issue.state)).toEqual(['Todo', 'In Progress']);
  });
});

describe('retry backoff', () => {
  it('doubles from 10 s and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => failureRetryDelayMs(attempt, 300_000))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000,
    ]);
    expect(failureRetryDelayMs(50, 300_000)).toBe(300_000);
    expect(failureRetryDelayMs(3, 15_000)).toBe(15_000);
  });

  it('continues after a clean exit, retries failures, and blocks at max attempts', () => {
    const limits = { maxAttempts: 3, maxRetryBackoffMs: 300_000, continuationDelayMs: 1_000 };
    expect(decideAfterAttempt({ kind: 'completed' }, 0, null, limits)).toEqual({
      action: 'continue',
      attempt: 1,
      delayMs: 1_000,
    });
    expect(decideAfterAttempt({ kind: 'failed', reason: 'exit 1' }, 1, null, limits)).toEqual({
      action: 'retry',
      attempt: 1,
      delayMs: 10_000,
      reason: 'exit 1',
    });
    expect(decideAfterAttempt({ kind: 'failed', reason: 'exit 1' }, 2, 1, limits)).toMatchObject({
      action: 'retry',
      attempt: 2,
      delayMs: 20_000,
    });
    expect(decideAfterAttempt({ kind: 'failed', reason: 'exit 1' }, 3, 2, limits)).toEqual({
      action: 'block',
      reason: '3 failed attempts (agent.max_attempts is 3); last: exit 1',
    });
    expect(decideAfterAttempt({ kind: 'stopped', reason: 'terminal' }, 0, null, limits)).toEqual({
      action: 'release',
      reason: 'terminal',
    });
  });
});

describe('reconciliation', () => {
  it('stops and removes for terminal, stops and keeps for inactive, missing or unroutable', () => {
    expect(decideReconciliation(createTestIssue({ state: 'Done' }), rules)).toMatchObject({
      action: 'stop',
      removeWorkspace: true,
    });
    expect(decideReconciliation(createTestIssue({ state: 'Backlog' }), rules)).toMatchObject({
      action: 'stop',
      removeWorkspace: false,
    });
    expect(decideReconciliation(null, rules)).toMatchObject({ action: 'stop', removeWorkspace: false });
    expect(
      decideReconciliation(createTestIssue({ labels: [] }), { ...rules, requiredLabels: ['agent'] }),
    ).toMatchObject({ action: 'stop', removeWorkspace: false, reason: 'missing required labels: agent' });
    expect(decideReconciliation(createTestIssue({ state: 'In Progress' }), rules)).toEqual({
      action: 'keep',
    });
  });
});

describe('due retries', () => {
  it('releases, cleans up, requeues or dispatches', () => {
    expect(decideDueRetry(null, rules, true)).toMatchObject({ action: 'release', removeWorkspace: false });
    expect(decideDueRetry(createTestIssue({ state: 'Cancelled' }), rules, true)).toMatchObject({
      action: 'release',
      removeWorkspace: true,
    });
    expect(decideDueRetry(createTestIssue({ state: 'Backlog' }), rules, true)).toMatchObject({
      action: 'release',
      removeWorkspace: false,
    });
    expect(decideDueRetry(createTestIssue(), rules, false)).toEqual({
      action: 'requeue',
      reason: 'no available orchestrator slots',
    });
    expect(decideDueRetry(createTestIssue(), rules, true)).toEqual({ action: 'dispatch' });
  });
});

describe('decideAfterAttempt by agent error kind', () => {
  const limits = { maxAttempts: 3, maxRetryBackoffMs: 300_000, continuationDelayMs: 1_000 };
  const failed = (error: AgentRunError, lastText: string | null = null): AttemptOutcome => ({
    kind: 'failed',
    reason: error.message,
    error,
    lastText,
  });

  it('pauses the agent kind on an auth failure, probing again after the longest backoff, without counting', () => {
    const outcome = failed({ kind: 'auth', message: 'invalid x-api-key' });
    expect(decideAfterAttempt(outcome, 0, null, limits)).toEqual({
      action: 'pause-agent',
      reason: 'invalid x-api-key',
      probeDelayMs: 300_000,
    });
    expect(attemptCounts(outcome)).toBe(false);
  });

  it('waits out a rate limit with a retry-after, without counting; one without it is an ordinary failure', () => {
    const withRetryAfter = failed({ kind: 'rate-limit', message: '429', retryAfterMs: 7_000 });
    expect(decideAfterAttempt(withRetryAfter, 3, 2, limits)).toEqual({
      action: 'wait',
      attempt: 2,
      delayMs: 7_000,
      reason: 'the model provider asked to wait 7 s: 429',
    });
    expect(attemptCounts(withRetryAfter)).toBe(false);
    const without = failed({ kind: 'rate-limit', message: '429' });
    expect(attemptCounts(without)).toBe(true);
    expect(decideAfterAttempt(without, 1, null, limits).action).toBe('retry');
  });

  it('blocks with the question when the agent needs input', () => {
    expect(
      decideAfterAttempt(
        failed({ kind: 'input-required', message: 'Which database should I use?' }),
        1,
        null,
        limits,
      ),
    ).toEqual({
      action: 'block',
      reason: 'the agent needs a person to answer: Which database should I use?',
    });
  });

  it('after a context overflow, a fresh session gets a short summary of the last one', () => {
    const outcome = failed(
      { kind: 'context-overflow', message: 'prompt is too long' },
      `${'a'.repeat(5_000)}END`,
    );
    const summary = summaryAfterContextOverflow(outcome)!;
    expect(summary).toContain('ran out of context');
    expect(summary.endsWith('END')).toBe(true);
    expect(summary.length).toBeLessThan(2_300);
    expect(summaryAfterContextOverflow(failed({ kind: 'process', message: 'crash' }))).toBeNull();
    expect(decideAfterAttempt(outcome, 1, null, limits).action).toBe('retry');
  });
});
