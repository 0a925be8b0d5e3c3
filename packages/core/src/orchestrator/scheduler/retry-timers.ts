import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Issue } from '../../specifications/issue.js';
import type { RetryingItemSnapshot } from '../orchestrator-snapshot.js';
import type { RetryItem } from '../work-items.js';

export interface RetryTimersContext {
  events: OrchestratorEvents;
  now(): number;
  /** Called when a retry falls due; the timers only keep time, the driver decides. */
  onDue(issueId: string): Promise<void>;
}

/** A retry to schedule: the issue, the attempt it will be, and why. */
export interface RetryRequest {
  issue: Pick<Issue, 'id' | 'identifier'>;
  attempt: number;
  delayMs: number;
  reason: string;
  /** A continuation resumes the agent's session after a clean exit; a failure retry starts fresh. */
  continuation: boolean;
}

/**
 * Issues waiting to run again after a backoff or a continuation delay. One timer per issue:
 * scheduling again replaces it. Handlers of due retries are kept until they settle, so a stop
 * can wait for a dispatch already under way.
 */
export class RetryTimers {
  private readonly retrying = new Map<string, RetryItem>();
  private readonly handlers = new Set<Promise<void>>();
  /** Issues whose due retry is being handled now (how many handlers each), see `ids`. */
  private readonly handling = new Map<string, number>();

  constructor(private readonly context: RetryTimersContext) {}

  has(issueId: string): boolean {
    return this.retrying.has(issueId);
  }

  /**
   * Issues waiting for a retry, and issues whose due retry is being handled: the handler took
   * the retry and is still reading the tracker, claiming, or dispatching, so the issue is not
   * running yet. Until it settles the issue stays busy here, or a tick in between would
   * dispatch it a second time (and a claim renewal would let it go).
   */
  ids(): IterableIterator<string> {
    return new Set([...this.retrying.keys(), ...this.handling.keys()]).values();
  }

  /** The retry waiting for `issueId`, left in place (a due retry is taken with `take`). */
  get(issueId: string): RetryItem | undefined {
    return this.retrying.get(issueId);
  }

  schedule(request: RetryRequest): void {
    const { issue, attempt, delayMs, reason, continuation } = request;
    const existing = this.retrying.get(issue.id);
    if (existing) clearTimeout(existing.timer);
    const dueAt = new Date(this.context.now() + delayMs);
    const timer = setTimeout(() => {
      this.handling.set(issue.id, (this.handling.get(issue.id) ?? 0) + 1);
      const handler = this.context.onDue(issue.id).finally(() => {
        this.handlers.delete(handler);
        const left = (this.handling.get(issue.id) ?? 1) - 1;
        if (left > 0) this.handling.set(issue.id, left);
        else this.handling.delete(issue.id);
      });
      this.handlers.add(handler);
    }, delayMs);
    this.retrying.set(issue.id, {
      issueId: issue.id,
      identifier: issue.identifier,
      attempt,
      dueAt,
      reason,
      continuation,
      timer,
    });
    this.context.events.publish('retry-scheduled', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      attempt,
      dueAt,
      delayMs,
      reason,
    });
  }

  /** Removes a due retry so it is handled once. */
  take(issueId: string): RetryItem | undefined {
    const retry = this.retrying.get(issueId);
    this.retrying.delete(issueId);
    return retry;
  }

  /** Drops a waiting retry before it falls due (a person cancelled the issue). */
  cancel(issueId: string): RetryItem | undefined {
    const retry = this.take(issueId);
    if (retry) clearTimeout(retry.timer);
    return retry;
  }

  clear(): void {
    for (const retry of this.retrying.values()) clearTimeout(retry.timer);
    this.retrying.clear();
  }

  /** Waits for the due retries being handled right now. */
  async settle(): Promise<void> {
    await Promise.all([...this.handlers]);
  }

  snapshot(): RetryingItemSnapshot[] {
    return [...this.retrying.values()].map(({ issueId, identifier, attempt, dueAt, reason }) => ({
      issueId,
      identifier,
      attempt,
      dueAt,
      reason,
    }));
  }
}
