/**
 * GitHub's secondary limit on creating content (issues, comments, pull requests, reviews):
 * about 80 requests a minute and 500 an hour per identity. Past either, GitHub answers 403
 * "secondary rate limit" with a `retry-after`. Counted on the fake's clock.
 */

export interface ContentCreationLimits {
  perMinute: number;
  perHour: number;
}

export const gitHubContentCreationLimits: ContentCreationLimits = { perMinute: 80, perHour: 500 };

/** Operations that create content, as GitHub's secondary limits count them. */
export const contentCreatingOperations = new Set([
  'issues/create',
  'issues/create-comment',
  'pulls/create',
  'pulls/create-review-comment',
  'pulls/create-reply-for-review-comment',
]);

export class ContentCreationLedger {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly limits: ContentCreationLimits,
  ) {}

  /** Seconds to wait when `identity` may not create content now; null when it may (and the creation is counted). */
  attempt(identity: string): number | null {
    const now = this.now();
    const recent = (this.times.get(identity) ?? []).filter((time) => now - time < 60 * 60 * 1000);
    this.times.set(identity, recent);
    const lastMinute = recent.filter((time) => now - time < 60 * 1000);
    if (lastMinute.length >= this.limits.perMinute) {
      return Math.max(1, Math.ceil((lastMinute[0]! + 60 * 1000 - now) / 1000));
    }
    if (recent.length >= this.limits.perHour) {
      return Math.max(1, Math.ceil((recent[0]! + 60 * 60 * 1000 - now) / 1000));
    }
    recent.push(now);
    return null;
  }
}
