import { createTestIssue, MockTracker } from '@loompa/testkit';
import { describe, expect, it, vi } from 'vitest';
import { TrackerError } from '../../errors/error-classes.js';
import { createSilentLogger } from '../../logging/logger.js';
import { claimOwnerFor, IssueClaims, type IssueClaimsContext } from './issue-claims.js';

const issue = { id: 'issue-1', identifier: 'CLM-1' };

/** Claims of one instance on a shared tracker, with a clock the test moves. */
function instance(
  tracker: MockTracker,
  owner: string,
  options: { living?: Set<string>; clock?: { now: number }; leaseMs?: number; dryRun?: boolean } = {},
) {
  const lost: string[] = [];
  const living = options.living ?? new Set<string>();
  const clock = options.clock ?? { now: 0 };
  const context: IssueClaimsContext = {
    tracker: () => tracker,
    owner: () => owner,
    leaseMs: () => options.leaseMs ?? 90,
    livingIssueIds: () => living,
    onClaimLost: (issueId) => lost.push(issueId),
    logger: createSilentLogger(),
    now: () => clock.now,
    dryRun: options.dryRun ?? false,
  };
  return { claims: new IssueClaims(context), lost, living };
}

function claimableTracker(clock: { now: number }) {
  return new MockTracker({ issues: [createTestIssue(issue)], claimable: true, now: () => clock.now });
}

describe('IssueClaims', () => {
  it('dispatches freely and writes nothing when the tracker cannot claim', async () => {
    const tracker = new MockTracker({ issues: [createTestIssue(issue)] });
    const { claims } = instance(tracker, 'a', { living: new Set([issue.id]) });
    expect(await claims.claim(issue)).toBe(true);
    await claims.renew();
    await claims.stop();
    expect(tracker.recorder.calls.map((call) => call.method)).toEqual([]);
  });

  it('gives an issue to one instance at a time; the other gets it after the release', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    const first = instance(tracker, 'a', { clock });
    const second = instance(tracker, 'b', { clock });
    expect(await first.claims.claim(issue)).toBe(true);
    expect(await second.claims.claim(issue)).toBe(false);
    expect(second.claims.heldIds()).toEqual([]);
    await first.claims.release(issue.id);
    expect(await second.claims.claim(issue)).toBe(true);
    expect(tracker.leases.get(issue.id)?.owner).toBe('b');
  });

  it('renews the claims of living items, so the lease outlasts its first term', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    const first = instance(tracker, 'a', { clock, living: new Set([issue.id]) });
    const second = instance(tracker, 'b', { clock });
    expect(await first.claims.claim(issue)).toBe(true);
    clock.now = 80;
    await first.claims.renew();
    clock.now = 100;
    // Without the renewal the 90 ms lease would have run out at 90.
    expect(await second.claims.claim(issue)).toBe(false);
    expect(tracker.leases.get(issue.id)).toEqual({ owner: 'a', expiresAt: 170 });
  });

  it('claims living items it does not hold yet (change requests restored after a restart)', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    const restarted = instance(tracker, 'a', { clock, living: new Set([issue.id]) });
    await restarted.claims.renew();
    expect(restarted.claims.heldIds()).toEqual([issue.id]);
    expect(tracker.leases.get(issue.id)?.owner).toBe('a');
  });

  it('lets go of a living item whose lapsed lease another instance took over', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    const first = instance(tracker, 'a', { clock, living: new Set([issue.id]) });
    const second = instance(tracker, 'b', { clock });
    expect(await first.claims.claim(issue)).toBe(true);
    clock.now = 1_000;
    expect(await second.claims.claim(issue)).toBe(true);
    await first.claims.renew();
    expect(first.lost).toEqual([issue.id]);
    expect(first.claims.heldIds()).toEqual([]);
    expect(tracker.leases.get(issue.id)?.owner).toBe('b');
  });

  it('releases a claim whose item ended unseen once it is a round old, never a dispatch under way', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    const { claims } = instance(tracker, 'a', { clock });
    expect(await claims.claim(issue)).toBe(true);
    clock.now = 10;
    await claims.renew();
    expect(claims.heldIds()).toEqual([issue.id]);
    clock.now = 30;
    await claims.renew();
    expect(claims.heldIds()).toEqual([]);
    expect(tracker.leases.has(issue.id)).toBe(false);
  });

  it('fails closed when the claim cannot be made', async () => {
    const tracker = new MockTracker({
      issues: [createTestIssue(issue)],
      claimIssue: () => {
        throw new TrackerError('the tracker is down');
      },
    });
    const { claims } = instance(tracker, 'a');
    expect(await claims.claim(issue)).toBe(false);
  });

  it('releases every claim on stop and claims nothing afterwards', async () => {
    const clock = { now: 0 };
    const tracker = claimableTracker(clock);
    tracker.addIssue(createTestIssue({ id: 'issue-2', identifier: 'CLM-2' }));
    const { claims } = instance(tracker, 'a', { clock });
    expect(await claims.claim(issue)).toBe(true);
    expect(await claims.claim({ id: 'issue-2', identifier: 'CLM-2' })).toBe(true);
    await claims.stop();
    expect(tracker.leases.size).toBe(0);
    expect(await claims.claim(issue)).toBe(false);
    expect(tracker.leases.size).toBe(0);
  });

  it('claims nothing in a dry run', async () => {
    const tracker = claimableTracker({ now: 0 });
    const { claims } = instance(tracker, 'a', { dryRun: true, living: new Set([issue.id]) });
    expect(await claims.claim(issue)).toBe(true);
    await claims.renew();
    expect(tracker.recorder.calls).toEqual([]);
  });

  it('renews on its own timer, every third of the lease', async () => {
    const tracker = new MockTracker({ issues: [createTestIssue(issue)], claimable: true });
    const { claims } = instance(tracker, 'a', { leaseMs: 30, living: new Set([issue.id]) });
    claims.startRenewing();
    try {
      await vi.waitFor(
        () => expect(tracker.recorder.callsOf('claimIssue').length).toBeGreaterThanOrEqual(2),
        {
          timeout: 20_000,
          interval: 10,
        },
      );
    } finally {
      await claims.stop();
    }
  });

  it('names the owner after the host and the state directory, the same after a restart', () => {
    expect(claimOwnerFor('/srv/loompa/state')).toBe(claimOwnerFor('/srv/loompa/state/'));
    expect(claimOwnerFor('/srv/loompa/state')).not.toBe(claimOwnerFor('/srv/other/state'));
  });
});
