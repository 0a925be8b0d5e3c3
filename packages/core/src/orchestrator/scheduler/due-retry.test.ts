import { createTestIssue, MockTracker } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../errors/error-classes.js';
import type { RetryItem } from '../work-items.js';
import { type DueRetryContext, stepForDueRetry } from './due-retry.js';

const rules = { activeStates: ['todo'], terminalStates: ['done'], requiredLabels: [], assignee: null };
const retry: RetryItem = {
  issueId: 'issue-1',
  identifier: 'DUE-1',
  attempt: 2,
  dueAt: new Date(0),
  reason: 'boom',
  continuation: true,
  timer: setTimeout(() => {}, 0),
};

function contextWith(tracker: MockTracker, slotFree = true): DueRetryContext {
  return { tracker: () => tracker, rules, maxRetryBackoffMs: 300_000, hasFreeSlot: () => slotFree };
}

describe('stepForDueRetry', () => {
  it('dispatches an issue that is still eligible when a slot is free', async () => {
    const tracker = new MockTracker({ issues: [createTestIssue({ id: 'issue-1', state: 'Todo' })] });
    expect(await stepForDueRetry(contextWith(tracker), retry)).toMatchObject({
      next: 'dispatch',
      issue: { id: 'issue-1' },
    });
  });

  it('waits one more backoff when no slot is free, keeping the continuation', async () => {
    const tracker = new MockTracker({ issues: [createTestIssue({ id: 'issue-1', state: 'Todo' })] });
    expect(await stepForDueRetry(contextWith(tracker, false), retry)).toMatchObject({
      next: 'retry',
      request: { attempt: 3, delayMs: 40_000, reason: 'no available orchestrator slots', continuation: true },
    });
  });

  it('waits one more backoff when the tracker cannot be read', async () => {
    const tracker = new MockTracker({
      getIssues: () => {
        throw new TrackerError('timeout');
      },
    });
    const step = await stepForDueRetry(contextWith(tracker), retry);
    expect(step).toMatchObject({
      next: 'retry',
      request: { issue: { id: 'issue-1', identifier: 'DUE-1' }, attempt: 3 },
    });
    expect(step.next === 'retry' && step.request.reason).toContain('refreshing the issue failed');
  });

  it('releases a terminal issue with its workspace, and a vanished one without', async () => {
    const done = new MockTracker({ issues: [createTestIssue({ id: 'issue-1', state: 'Done' })] });
    expect(await stepForDueRetry(contextWith(done), retry)).toMatchObject({
      next: 'release',
      removeWorkspace: true,
    });
    const empty = new MockTracker({ issues: [] });
    expect(await stepForDueRetry(contextWith(empty), retry)).toEqual({
      next: 'release',
      issue: null,
      removeWorkspace: false,
      reason: 'the issue is no longer in the tracker',
    });
  });
});
