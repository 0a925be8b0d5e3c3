import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { PauseSnapshot } from '../orchestrator-snapshot.js';

/** The store key of the pause; one per orchestrator state directory. */
export const pauseStoreKey = 'control/pause';

interface StoredPause {
  all: boolean;
  since: string;
  reason: string | null;
}

/**
 * Whether a person paused dispatch. Kept in the store, so a restart does not quietly resume
 * what a person stopped. Retries that fall due while paused are held, not dropped: resume
 * hands them back.
 */
export class DispatchPause {
  private state: { all: boolean; since: Date; reason: string | null } | null = null;
  private backend: OrchestratorStore | null = null;
  private readonly heldRetries = new Set<string>();

  /** Reads the pause a previous run left. */
  async restore(backend: OrchestratorStore): Promise<void> {
    this.backend = backend;
    const stored = await backend.get<StoredPause>(pauseStoreKey);
    this.state = stored ? { all: stored.all, since: new Date(stored.since), reason: stored.reason } : null;
  }

  /** No new issue starts (a due retry neither). */
  get dispatchPaused(): boolean {
    return this.state !== null;
  }

  /** The change-request loop waits too (no reactions, no merges). */
  get allPaused(): boolean {
    return this.state?.all ?? false;
  }

  async pause(all: boolean, reason: string | null, now: Date): Promise<void> {
    const state = { all, since: this.state?.since ?? now, reason };
    // Stored first: a refused write (this instance no longer leads) pauses nothing.
    await this.backend?.set(pauseStoreKey, {
      all,
      since: state.since.toISOString(),
      reason,
    } satisfies StoredPause);
    this.state = state;
  }

  /** Clears the pause and returns the retries held meanwhile. */
  async resume(): Promise<string[]> {
    this.state = null;
    await this.backend?.delete(pauseStoreKey);
    const held = [...this.heldRetries];
    this.heldRetries.clear();
    return held;
  }

  /** A retry fell due while paused: it runs on resume. */
  holdRetry(issueId: string): void {
    this.heldRetries.add(issueId);
  }

  snapshot(): PauseSnapshot {
    return {
      paused: this.state !== null,
      all: this.state?.all ?? false,
      since: this.state?.since ?? null,
      reason: this.state?.reason ?? null,
    };
  }
}
