import { createTestIssue, MockTracker } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { claimOwnerFor } from '../src/orchestrator/scheduler/issue-claims.js';
import { createOrchestratorFixture, type Fixture } from './helpers/orchestrator-fixture.js';

/**
 * The orchestrator claims issues through a tracker that can: an issue another instance holds
 * is not dispatched, a dispatched issue is held while its item lives, and released when the
 * item ends and when the orchestrator stops.
 */

const waitOptions = { timeout: 30_000, interval: 25 };
const farFuture = Number.MAX_SAFE_INTEGER;

let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

describe('issue claims in the orchestrator', () => {
  it('skips an issue another instance holds and holds the one it dispatches until it stops', async () => {
    const held = createTestIssue({ id: 'held', identifier: 'CLM-1', priority: 1 });
    const free = createTestIssue({ id: 'free', identifier: 'CLM-2', priority: 2 });
    const tracker = new MockTracker({ issues: [held, free], claimable: true });
    tracker.leases.set('held', { owner: 'another-instance', expiresAt: farFuture });
    fixture = await createOrchestratorFixture({
      issues: [],
      agentCommand: 'cat > /dev/null',
      orchestrator: { trackers: { mock: tracker } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual(['CLM-2']);
    // The clean exit leaves a continuation waiting: the item lives, so the claim stays.
    expect(fixture.orchestrator.snapshot().retrying).toHaveLength(1);
    const owner = claimOwnerFor(fixture.stateDirectory);
    expect(tracker.leases.get('free')?.owner).toBe(owner);
    expect(tracker.recorder.callsOf('claimIssue')).toEqual(
      expect.arrayContaining([expect.objectContaining({ issueId: 'free', owner, leaseMs: 600_000 })]),
    );
    await fixture.orchestrator.stop();
    expect(tracker.leases.has('free')).toBe(false);
    expect(tracker.leases.get('held')?.owner).toBe('another-instance');
  });

  it('releases the claim when the item ends', async () => {
    const issue = createTestIssue({ id: 'ending', identifier: 'CLM-3' });
    const tracker = new MockTracker({ issues: [issue], claimable: true });
    fixture = await createOrchestratorFixture({
      issues: [],
      agentCommand: 'cat > /dev/null',
      frontMatter: { agent: { continuation_delay_ms: 50 } },
      orchestrator: { trackers: { mock: tracker } },
    });
    await fixture.orchestrator.runOnce();
    expect(tracker.leases.has('ending')).toBe(true);
    // A person finishes the issue; the due continuation sees it and releases the item.
    tracker.updateIssue('ending', { state: 'Done' });
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-released')).toHaveLength(1), waitOptions);
    await vi.waitFor(() => expect(tracker.leases.has('ending')).toBe(false), waitOptions);
  });

  it('takes over the lapsed claim of an instance that crashed', async () => {
    const issue = createTestIssue({ id: 'lapsed', identifier: 'CLM-4' });
    const tracker = new MockTracker({ issues: [issue], claimable: true });
    tracker.leases.set('lapsed', { owner: 'crashed-instance', expiresAt: 0 });
    fixture = await createOrchestratorFixture({
      issues: [],
      agentCommand: 'cat > /dev/null',
      orchestrator: { trackers: { mock: tracker } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual(['CLM-4']);
  });
});
