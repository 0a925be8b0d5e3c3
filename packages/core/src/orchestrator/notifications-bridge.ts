import { describeError } from '../errors/loompa-error.js';
import type { OrchestratorEvent, OrchestratorEvents } from '../events/orchestrator-events.js';
import type { Logger } from '../logging/logger.js';
import type { BlockedIssueRecord, NotifierV1 } from '../specifications/notifier.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import { recordKeyPrefix, type WorkItemRecord } from './work-item-record.js';

/** How long a stopping orchestrator lets queued notifications go out; the rest wait in the outbox. */
const flushTimeoutMs = 5_000;

export interface NotificationsBridgeContext {
  events: OrchestratorEvents;
  /** The notifier for the workflow in force (re-created when `notifications:` changes), or null. */
  notifier(): NotifierV1 | null;
  /** The durable store once it exists; null before, and in a dry run (which sends nothing). */
  store(): OrchestratorStore | null;
  logger: Logger;
}

/**
 * Hands every orchestrator event to the notifier in force. A notifier only queues, and any
 * error it throws is logged here: notifications never slow or break the orchestrator.
 */
export class NotificationsBridge {
  private current: NotifierV1 | null = null;

  constructor(private readonly context: NotificationsBridgeContext) {
    context.events.on('event', (event) => this.forward(event));
  }

  /** Gives a stopping orchestrator's notifications a bounded time to go out. */
  async flush(): Promise<void> {
    await this.current?.flush?.({ timeoutMs: flushTimeoutMs }).catch((error: unknown) => {
      this.context.logger.warn('notifications could not be flushed', { message: describeError(error) });
    });
  }

  private forward(event: OrchestratorEvent): void {
    const store = this.context.store();
    if (store === null) return;
    try {
      const notifier = this.context.notifier();
      if (notifier === null) return;
      if (notifier !== this.current) {
        this.current = notifier;
        notifier.resume?.({ store, blockedIssues: () => blockedIssuesIn(store) });
      }
      notifier.notify(event, { store });
    } catch (error) {
      this.context.logger.warn('the notifier failed to take an event', {
        event: event.type,
        message: describeError(error),
      });
    }
  }
}

/** Issues whose durable record says blocked, read from the store rather than from memory. */
async function blockedIssuesIn(store: OrchestratorStore): Promise<BlockedIssueRecord[]> {
  const records = await store.list<WorkItemRecord>(recordKeyPrefix);
  return records.flatMap(({ value }) =>
    value.blocked
      ? [
          {
            issueId: value.issueId,
            issueIdentifier: value.identifier,
            reason: value.blocked.reason,
            since: new Date(value.blocked.since),
          },
        ]
      : [],
  );
}
