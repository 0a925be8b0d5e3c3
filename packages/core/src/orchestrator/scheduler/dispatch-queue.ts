import type { Issue } from '../../specifications/issue.js';
import type { QueuedItemSnapshot } from '../orchestrator-snapshot.js';

/**
 * The eligible issues that are not running yet, as of the last dispatch round (waiting for a
 * slot, the budget, or a paused dispatch), so a person sees the queue and not only the runs.
 * An issue keeps the time it joined while it stays queued.
 */
export class DispatchQueue {
  private readonly queued = new Map<string, QueuedItemSnapshot>();

  /** Replaces the queue with the issues still waiting after a dispatch round. */
  replace(issues: readonly Issue[], now: Date): void {
    const previous = new Map(this.queued);
    this.queued.clear();
    for (const issue of issues) this.add(issue, previous.get(issue.id)?.since ?? now);
  }

  add(issue: Pick<Issue, 'id' | 'identifier' | 'title' | 'state'>, since: Date): void {
    this.queued.set(issue.id, {
      issueId: issue.id,
      identifier: issue.identifier,
      title: issue.title,
      state: issue.state,
      since,
    });
  }

  remove(issueId: string): void {
    this.queued.delete(issueId);
  }

  snapshot(): QueuedItemSnapshot[] {
    return [...this.queued.values()];
  }
}
