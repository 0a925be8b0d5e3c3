import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { describeError } from '../../errors/loompa-error.js';
import type { Logger } from '../../logging/logger.js';
import type { Issue } from '../../specifications/issue.js';
import type { TrackerV1 } from '../../specifications/tracker.js';

export interface IssueClaimsContext {
  tracker(): TrackerV1;
  /** Who claims: see `claimOwnerFor`. */
  owner(): string;
  /** The lease length in force (`tracker.claim_lease_ms`). */
  leaseMs(): number;
  /** Issues whose items live here now: running, reacting, waiting for a retry, awaiting a change request. */
  livingIssueIds(): Iterable<string>;
  /** A living item's issue is claimed by another instance now (this one's lease lapsed): let it go. */
  onClaimLost(issueId: string): void;
  logger: Logger;
  now(): number;
  /** A dry run writes nothing to the tracker, claims included. */
  dryRun: boolean;
}

/**
 * The claim owner of one orchestrator instance: its host and state directory. A restart on the
 * same state is the same owner, so it takes its issues straight back instead of waiting for
 * its own leases to expire; any other instance (another state directory or host) is another
 * owner. Two instances sharing one state directory would count as one, but they cannot share
 * a state directory anyway.
 */
export function claimOwnerFor(stateDirectory: string): string {
  const digest = createHash('sha256').update(path.resolve(stateDirectory)).digest('hex').slice(0, 16);
  return `${os.hostname()}/${digest}`;
}

/**
 * Claims on issues, so two Loompa instances never work the same issue (trackers with
 * `claimIssue`; without it every claim succeeds and nothing is written). An issue is claimed
 * before it is dispatched, the claim is renewed every third of the lease while its item lives,
 * and released when the item ends and when the orchestrator stops. A crashed instance's claims
 * simply expire.
 */
export class IssueClaims {
  /** Claims this instance holds: issue id → when the claim was last made or renewed. */
  private readonly held = new Map<string, number>();
  /** Releases under way, so a new claim of the same issue waits for them instead of being undone. */
  private readonly releasing = new Map<string, Promise<void>>();
  private renewalTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** This instance stopped leading: it claims and renews nothing until it leads again. */
  private suspended = false;

  constructor(private readonly context: IssueClaimsContext) {}

  private get claimable(): boolean {
    return !this.context.dryRun && this.context.tracker().claimIssue !== undefined;
  }

  /** Ids of the issues claimed now. */
  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Claims the issue before dispatch. False when another instance holds it, or when the claim
   * could not be made (fail closed: the issue is offered again next tick).
   */
  async claim(issue: Pick<Issue, 'id' | 'identifier'>): Promise<boolean> {
    if (this.stopped || this.suspended) return false;
    if (!this.claimable) return true;
    await this.releasing.get(issue.id);
    try {
      const claimed = await this.context.tracker().claimIssue!({
        issueId: issue.id,
        owner: this.context.owner(),
        leaseMs: this.context.leaseMs(),
      });
      if (!claimed) {
        this.context.logger.info('another instance has claimed the issue; not dispatched here', {
          issue: issue.identifier,
        });
        return false;
      }
      this.held.set(issue.id, this.context.now());
      // Stopping began while the tracker answered: the claim is not kept past the stop.
      if (this.stopped) {
        await this.release(issue.id);
        return false;
      }
      return true;
    } catch (error) {
      this.context.logger.warn('claiming the issue failed; not dispatched this tick', {
        issue: issue.identifier,
        message: describeError(error),
      });
      return false;
    }
  }

  /** The item ended (done, released, blocked): another instance may take the issue. */
  release(issueId: string): Promise<void> {
    if (!this.held.delete(issueId)) return this.releasing.get(issueId) ?? Promise.resolve();
    const releasing = this.releaseNow(issueId).finally(() => {
      if (this.releasing.get(issueId) === releasing) this.releasing.delete(issueId);
    });
    this.releasing.set(issueId, releasing);
    return releasing;
  }

  /**
   * One renewal round: every living item's issue is claimed again (which renews a held claim and
   * takes up items restored after a restart); a held claim whose item is gone without a release
   * is released once it is a round old (younger ones belong to a dispatch under way).
   */
  async renew(): Promise<void> {
    if (!this.claimable || this.stopped || this.suspended) return;
    const living = new Set(this.context.livingIssueIds());
    const interval = this.renewalIntervalMs();
    for (const [issueId, claimedAt] of [...this.held]) {
      if (!living.has(issueId) && this.context.now() - claimedAt >= interval) await this.release(issueId);
    }
    for (const issueId of living) {
      if (this.stopped) return;
      await this.releasing.get(issueId);
      let claimed: boolean;
      try {
        claimed = await this.context.tracker().claimIssue!({
          issueId,
          owner: this.context.owner(),
          leaseMs: this.context.leaseMs(),
        });
      } catch (error) {
        // The lease still runs for two more rounds: the next one tries again.
        this.context.logger.warn('renewing a claim failed; trying again next round', {
          issueId,
          message: describeError(error),
        });
        continue;
      }
      if (!claimed) {
        this.held.delete(issueId);
        this.context.logger.warn('another instance took over the issue; letting it go here', { issueId });
        this.context.onClaimLost(issueId);
        continue;
      }
      this.held.set(issueId, this.context.now());
      // The item may have ended (and released) while the tracker renewed.
      if (!new Set(this.context.livingIssueIds()).has(issueId)) await this.release(issueId);
    }
  }

  /** Renews every third of the lease (read again each round, so a workflow reload applies). */
  startRenewing(): void {
    if (this.renewalTimer || this.stopped || this.context.dryRun) return;
    const schedule = () => {
      this.renewalTimer = setTimeout(() => {
        void this.renew()
          .catch((error) =>
            this.context.logger.error('renewing claims failed', { message: describeError(error) }),
          )
          .finally(() => {
            if (!this.stopped) schedule();
          });
      }, this.renewalIntervalMs());
      // Claims never keep a process alive on their own.
      this.renewalTimer.unref();
    };
    schedule();
  }

  /**
   * This instance stopped leading a shared store: its claims belong to the next leader (the
   * same claim owner), so they are forgotten, not released, and nothing is renewed until `resume`.
   */
  suspend(): void {
    this.suspended = true;
    this.held.clear();
  }

  /** This instance leads again: the next renewal round claims its living items. */
  resume(): void {
    this.suspended = false;
  }

  /** The orchestrator stops: no more renewals, and every claim is released. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    this.renewalTimer = null;
    await Promise.all([...this.held.keys()].map((issueId) => this.release(issueId)));
    await Promise.all([...this.releasing.values()]);
  }

  private renewalIntervalMs(): number {
    return Math.max(1, Math.floor(this.context.leaseMs() / 3));
  }

  private async releaseNow(issueId: string): Promise<void> {
    const tracker = this.context.tracker();
    if (!tracker.releaseIssue) return;
    try {
      await tracker.releaseIssue({ issueId, owner: this.context.owner() });
    } catch (error) {
      // The lease expires on its own; nothing else depends on the release.
      this.context.logger.warn('releasing a claim failed; it expires on its own', {
        issueId,
        message: describeError(error),
      });
    }
  }
}
