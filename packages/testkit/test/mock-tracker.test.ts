import { LoompaError } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { createTestIssue, MockTracker, testTracker } from '../src/index.js';

testTracker({
  name: 'MockTracker with an issue store',
  async setup() {
    const tracker = new MockTracker({ issues: [] });
    return {
      tracker,
      async seedIssue(issue) {
        return tracker.addIssue({ ...issue, labels: issue.labels ?? [] });
      },
      async readComments(issueId) {
        return tracker.comments
          .filter((comment) => comment.issueId === issueId)
          .map((comment) => comment.body);
      },
    };
  },
});

testTracker({
  name: 'MockTracker that can watch',
  async setup() {
    const tracker = new MockTracker({ issues: [], watchable: true });
    return {
      tracker,
      async seedIssue(issue) {
        const added = tracker.addIssue({ ...issue, labels: issue.labels ?? [] });
        tracker.emitChange({ issueIds: [added.id] });
        return added;
      },
    };
  },
});

testTracker({
  name: 'MockTracker that can claim',
  async setup() {
    const tracker = new MockTracker({ issues: [], claimable: true });
    return {
      tracker,
      async seedIssue(issue) {
        return tracker.addIssue({ ...issue, labels: issue.labels ?? [] });
      },
    };
  },
});

describe('MockTracker', () => {
  it('serves a list of responses call by call and then says it ran out', async () => {
    const first = [createTestIssue()];
    const second = [createTestIssue(), createTestIssue()];
    const tracker = new MockTracker({ listIssues: [first, () => second] });
    expect(await tracker.listIssues({ states: ['todo'] })).toEqual(first);
    expect(await tracker.listIssues({ states: ['todo'] })).toEqual(second);
    await expect(tracker.listIssues({ states: ['todo'] })).rejects.toThrow(
      'MockTracker.listIssues was called 3 times but only 2 responses were configured',
    );
    expect(tracker.recorder.callsOf('listIssues')).toHaveLength(3);
  });

  it('throws a clear not-implemented error for anything not configured', async () => {
    const tracker = new MockTracker();
    const error = await tracker.getIssues({ ids: ['a'] }).catch((caught: unknown) => caught);
    expect(LoompaError.hasCode(error, 'not_implemented')).toBe(true);
    expect((error as Error).message).toContain('MockTracker.getIssues is not implemented');
    expect(tracker.transitionIssue).toBeUndefined();
    expect(tracker.watch).toBeUndefined();
  });

  it('upserts keyed comments instead of piling them up', async () => {
    const issue = createTestIssue();
    const tracker = new MockTracker({ issues: [issue] });
    await tracker.commentOnIssue!({ issueId: issue.id, body: 'one', key: 'status' });
    await tracker.commentOnIssue!({ issueId: issue.id, body: 'two', key: 'status' });
    await tracker.commentOnIssue!({ issueId: issue.id, body: 'plain' });
    expect(tracker.comments.map((comment) => comment.body)).toEqual(['two', 'plain']);
  });
});
