import { createTestIssue, MockTracker } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../errors/error-classes.js';
import { findStalledRuns, refreshRunningIssues } from './reconcile-running.js';

const rules = { activeStates: ['todo'], terminalStates: ['done'], requiredLabels: [], assignee: null };

describe('findStalledRuns', () => {
  const runs = [
    { issueId: 'quiet', lastActivityAt: 1_000, stopping: false },
    { issueId: 'busy', lastActivityAt: 9_500, stopping: false },
    { issueId: 'already-stopping', lastActivityAt: 0, stopping: true },
  ];

  it('names the runs silent for longer than the stall timeout', () => {
    expect(findStalledRuns(runs, 5_000, 10_000)).toEqual([
      { issueId: 'quiet', reason: 'stalled: no agent activity for 5000 ms' },
    ]);
  });

  it('finds none when the stall check is off', () => {
    expect(findStalledRuns(runs, 0, 10_000)).toEqual([]);
  });
});

describe('refreshRunningIssues', () => {
  it('keeps active issues, stops terminal ones with their workspace and missing ones without', async () => {
    const active = createTestIssue({ id: 'a', state: 'Todo' });
    const finished = createTestIssue({ id: 'b', state: 'Done' });
    const tracker = new MockTracker({ issues: [active, finished] });
    const outcome = await refreshRunningIssues(() => tracker, ['a', 'b', 'gone'], rules);
    expect(outcome).toEqual({
      ok: true,
      decisions: [
        { issueId: 'a', issue: expect.objectContaining({ id: 'a' }), decision: { action: 'keep' } },
        {
          issueId: 'b',
          issue: expect.objectContaining({ id: 'b' }),
          decision: {
            action: 'stop',
            removeWorkspace: true,
            reason: 'the issue moved to terminal state "Done"',
          },
        },
        {
          issueId: 'gone',
          issue: null,
          decision: {
            action: 'stop',
            removeWorkspace: false,
            reason: 'the issue is no longer in the tracker',
          },
        },
      ],
    });
  });

  it('reports a tracker failure instead of stopping anything', async () => {
    const tracker = new MockTracker({
      getIssues: () => {
        throw new TrackerError('the tracker is down');
      },
    });
    const outcome = await refreshRunningIssues(() => tracker, ['a'], rules);
    expect(outcome).toMatchObject({ ok: false, message: expect.stringContaining('the tracker is down') });
  });
});
