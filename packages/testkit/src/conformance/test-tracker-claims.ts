import { expect, it, vi } from 'vitest';
import type { TrackerConformanceFixture } from './test-tracker.js';

const tenMinutes = 600_000;
const shortLeaseMs = 3_000;

/**
 * The claim cases of the tracker suite: a lease held by one owner at a time, renewed by its
 * owner, taken over once expired, freed by its owner's release, and won by exactly one of
 * several claimers racing. A tracker without `claimIssue`/`releaseIssue` reports them skipped.
 */
export function testTrackerClaims(start: () => Promise<TrackerConformanceFixture>): void {
  const claimable = async () => {
    const fixture = await start();
    const { tracker } = fixture;
    if (!tracker.claimIssue || !tracker.releaseIssue) return null;
    const issue = await fixture.seedIssue({ title: 'Claimed', state: 'todo' });
    return {
      claim: (owner: string, leaseMs = tenMinutes) =>
        tracker.claimIssue!({ issueId: issue.id, owner, leaseMs }),
      release: (owner: string) => tracker.releaseIssue!({ issueId: issue.id, owner }),
    };
  };

  it('holds a claim for one owner at a time, renewed by that owner (when it can claim)', async (context) => {
    const lease = await claimable();
    if (!lease) return context.skip();
    expect(await lease.claim('owner-a')).toBe(true);
    expect(await lease.claim('owner-b')).toBe(false);
    expect(await lease.claim('owner-a')).toBe(true);
    expect(await lease.claim('owner-b')).toBe(false);
  });

  it('frees a claim on its owner’s release, not on anyone else’s (when it can claim)', async (context) => {
    const lease = await claimable();
    if (!lease) return context.skip();
    expect(await lease.claim('owner-a')).toBe(true);
    await lease.release('owner-b');
    expect(await lease.claim('owner-b')).toBe(false);
    await lease.release('owner-a');
    expect(await lease.claim('owner-b')).toBe(true);
  });

  it('lets another owner take over an expired claim (when it can claim)', async (context) => {
    const lease = await claimable();
    if (!lease) return context.skip();
    // Long enough for a tracker that checks its own claim after writing it (GitLab's lease
    // notes) to still see it standing; short enough to wait out.
    expect(await lease.claim('owner-a', shortLeaseMs)).toBe(true);
    await vi.waitFor(async () => expect(await lease.claim('owner-b')).toBe(true), {
      timeout: 60_000,
      interval: 250,
    });
    expect(await lease.claim('owner-a')).toBe(false);
  }, 90_000);

  it('gives a claim raced for by several owners to exactly one (when it can claim)', async (context) => {
    const lease = await claimable();
    if (!lease) return context.skip();
    const owners = Array.from({ length: 8 }, (_, index) => `owner-${index}`);
    const results = await Promise.all(owners.map((owner) => lease.claim(owner)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
}
