import { type PendingThreadReply, threadHoldsReply } from '../../change-requests/pending-thread-reply.js';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { WorkItemRecord } from '../work-item-record.js';
import type { WorkItemStore } from '../work-item-store.js';

export interface ThreadRepliesContext {
  scm(): ScmProviderV1 | null;
  store: WorkItemStore;
  events: OrchestratorEvents;
  logger: Logger;
  now(): number;
  /** A dry run writes nothing to the forge: what is owed stays owed. */
  dryRun: boolean;
}

type IssueKey = Pick<Issue, 'id' | 'identifier'>;

/** An item that owes replies, with its failures in a row (kept in memory: a restart tries afresh). */
interface OwingItem {
  issue: IssueKey;
  failures: number;
  dueAt: number;
  sending: Promise<void> | null;
}

/** Failures in a row after which an item's owed replies are given up (a deleted thread never takes one). */
export const maximumThreadReplyFailures = 10;

/** The wait after the nth failure in a row: 1 s, 2 s, 4 s, … at most 5 minutes. */
export function threadReplyBackoffMs(failures: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, failures - 1), 300_000);
}

type Step = 'read' | 'reply' | 'resolve';

/**
 * Sends the replies and resolutions review reactions owe (`pendingThreadReplies` of the
 * record) until the forge took each one: right after the reaction's end is recorded, then on
 * every tick once its back-off is over, and again after a restart. Before replying it reads
 * the thread: a reply carrying the entry's marker is already there when the forge took it but
 * the answer (or the record of it) was lost, so it is never posted twice.
 */
export class ThreadReplies {
  private readonly owing = new Map<string, OwingItem>();

  constructor(private readonly context: ThreadRepliesContext) {}

  /** Items that owe replies now (for tests and the snapshot's curious). */
  get size(): number {
    return this.owing.size;
  }

  /** A record restored at start, or just written at a reaction's end, may owe replies: due now. */
  watch(record: Pick<WorkItemRecord, 'issueId' | 'identifier' | 'pendingThreadReplies'>): void {
    if (record.pendingThreadReplies.length === 0) return;
    const existing = this.owing.get(record.issueId);
    if (existing) existing.dueAt = this.context.now();
    else
      this.owing.set(record.issueId, {
        issue: { id: record.issueId, identifier: record.identifier },
        failures: 0,
        dueAt: this.context.now(),
        sending: null,
      });
  }

  /** Each tick: sends for every item whose back-off is over. */
  async sendDue(): Promise<void> {
    for (const [issueId, owing] of [...this.owing]) {
      if (owing.dueAt <= this.context.now()) await this.send(issueId);
    }
  }

  /** Sends an item's owed replies now; never two sendings for one item at once. Never throws. */
  async send(issueId: string): Promise<void> {
    const owing = this.owing.get(issueId);
    if (!owing || this.context.dryRun) return;
    owing.sending ??= this.sendOwed(owing)
      .catch((error: unknown) => this.failed(owing, '(all)', 'read', error))
      .finally(() => {
        owing.sending = null;
      });
    await owing.sending;
  }

  private async sendOwed(owing: OwingItem): Promise<void> {
    const { store } = this.context;
    const scm = this.context.scm();
    const record = await store.read(owing.issue);
    const changeRequest = record.changeRequest;
    // A merged, closed or replaced change request took its history, owed replies included.
    if (!scm || !changeRequest || record.pendingThreadReplies.length === 0) {
      this.owing.delete(owing.issue.id);
      return;
    }
    let status: ChangeRequestStatus;
    try {
      status = await scm.getStatus({ changeRequest });
    } catch (error) {
      this.failed(owing, record.pendingThreadReplies[0]!.threadId, 'read', error);
      return;
    }
    for (const reply of record.pendingThreadReplies) {
      const step = await this.settle(owing, scm, changeRequest, status, reply);
      if (step.failed) {
        this.failed(owing, reply.threadId, step.failed, step.error);
        if (owing.failures >= maximumThreadReplyFailures) await this.giveUp(owing, record);
        return;
      }
    }
    this.owing.delete(owing.issue.id);
  }

  /** One owed reply: replied (unless the thread holds it already), then resolved; recorded step by step. */
  private async settle(
    owing: OwingItem,
    scm: ScmProviderV1,
    changeRequest: ChangeRequest,
    status: ChangeRequestStatus,
    reply: PendingThreadReply,
  ): Promise<{ failed?: undefined } | { failed: Step; error: unknown }> {
    const { store, events } = this.context;
    const thread = status.review.threads.find((candidate) => candidate.id === reply.threadId);
    if (!reply.replied && !threadHoldsReply(thread, reply.marker)) {
      try {
        await scm.replyToThread?.({ changeRequest, threadId: reply.threadId, body: reply.body });
      } catch (error) {
        return { failed: 'reply', error };
      }
      await store.updatePendingThreadReplies(owing.issue, { replied: [reply.marker], settled: [] });
      // The forge answers again: the next failure waits from the start of the back-off.
      owing.failures = 0;
    }
    const resolvable = scm.resolveThread !== undefined && thread?.resolved !== true;
    if (resolvable) {
      try {
        await scm.resolveThread!({ changeRequest, threadId: reply.threadId });
      } catch (error) {
        return { failed: 'resolve', error };
      }
    }
    await store.updatePendingThreadReplies(owing.issue, { replied: [], settled: [reply.marker] });
    owing.failures = 0;
    events.publish('thread-replied', {
      issueId: owing.issue.id,
      issueIdentifier: owing.issue.identifier,
      threadId: reply.threadId,
      resolved: scm.resolveThread !== undefined,
    });
    return {};
  }

  private failed(owing: OwingItem, threadId: string, step: Step, error: unknown): void {
    owing.failures += 1;
    const gaveUp = owing.failures >= maximumThreadReplyFailures;
    const retryInMs = gaveUp ? null : threadReplyBackoffMs(owing.failures);
    owing.dueAt = this.context.now() + (retryInMs ?? 0);
    const message = describeError(error);
    this.context.logger.warn(
      gaveUp ? 'answering a review thread failed' : 'answering a review thread failed; trying again later',
      {
        issue: owing.issue.identifier,
        threadId,
        step,
        failures: owing.failures,
        retryInMs,
        message,
      },
    );
    this.context.events.publish('thread-reply-failed', {
      issueId: owing.issue.id,
      issueIdentifier: owing.issue.identifier,
      threadId,
      step,
      failures: owing.failures,
      retryInMs,
      message,
    });
  }

  /** Too many failures in a row: the replies still owed are dropped, saying so. */
  private async giveUp(owing: OwingItem, record: WorkItemRecord): Promise<void> {
    this.owing.delete(owing.issue.id);
    const settled = record.pendingThreadReplies.map((reply) => reply.marker);
    await this.context.store.updatePendingThreadReplies(owing.issue, { replied: [], settled });
    this.context.logger.error('gave up answering review threads after repeated failures', {
      issue: owing.issue.identifier,
      threads: record.pendingThreadReplies.map((reply) => reply.threadId),
      failures: owing.failures,
    });
  }
}
