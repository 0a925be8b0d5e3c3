import type { OrchestratorEvent } from '../events/orchestrator-events.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';

/** What a notifier is handed with each event: the orchestrator's durable store, for an outbox. */
export interface NotifierContext {
  /**
   * The orchestrator's store (files under the state directory by default). A notifier keeps
   * its outbox and what it already sent here, so a restart neither loses nor repeats a message.
   */
  store: OrchestratorStore;
}

/** An issue blocked now, as the orchestrator's store has it. */
export interface BlockedIssueRecord {
  issueId: string;
  issueIdentifier: string;
  reason: string;
  since: Date;
}

export interface NotifierResumeContext extends NotifierContext {
  /**
   * The issues blocked now. A crash can come between blocking an issue and queueing its
   * notification; a notifier that announces these (once per block, by its own keys) loses none.
   */
  blockedIssues(): Promise<BlockedIssueRecord[]>;
}

/**
 * A notifier tells people about events that need them (an issue blocked, work merged, the
 * budget exhausted, an agent kind unavailable). It is the one plugin of its slot, configured
 * from WORKFLOW.md's `notifications:` section (which it validates, like the budget owns
 * `budget:`). The orchestrator hands it every event in order; it must only queue work and
 * return, never making the orchestrator wait for a delivery.
 */
export interface NotifierV1 {
  readonly specificationVersion: 'notifier-v1';
  /** Called synchronously with every event; queues what to send and returns at once. */
  notify(event: OrchestratorEvent, context: NotifierContext): void;
  /**
   * Called once per instance before its first event (at start, and when a reload replaced the
   * instance): delivers what an earlier process or instance left undelivered.
   */
  resume?(context: NotifierResumeContext): void;
  /** The orchestrator is stopping: give queued deliveries up to `timeoutMs`; the rest stays queued. */
  flush?(options: { timeoutMs: number }): Promise<void>;
  /** Stops deliveries and timers (the instance is replaced or the orchestrator stopped). */
  close?(): void | Promise<void>;
}
