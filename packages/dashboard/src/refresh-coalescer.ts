/** The answer to a refresh request. */
export interface RefreshAcceptance {
  queued: true;
  /** True when a refresh was already pending and this request joined it. */
  coalesced: boolean;
  requestedAt: string;
  operations: ['poll', 'reconcile'];
}

/**
 * Turns refresh requests into ticks, at most one pending at a time: requests that arrive
 * while one is pending join it instead of queueing another tick each, so a burst of webhooks
 * costs one poll of the tracker.
 */
export function createRefreshCoalescer(tick: () => Promise<void>, onError: (error: unknown) => void) {
  let pending: Promise<void> | null = null;
  return {
    request(): RefreshAcceptance {
      const requestedAt = new Date().toISOString();
      if (pending) return { queued: true, coalesced: true, requestedAt, operations: ['poll', 'reconcile'] };
      pending = (async () => {
        try {
          // Answer the request first; the tick runs on the next turn of the event loop.
          await new Promise((resolve) => setImmediate(resolve));
          await tick();
        } catch (error) {
          onError(error);
        } finally {
          pending = null;
        }
      })();
      return { queued: true, coalesced: false, requestedAt, operations: ['poll', 'reconcile'] };
    },
    /** Resolves when no refresh is pending (for a clean shutdown). */
    async settled(): Promise<void> {
      await pending;
    },
  };
}
