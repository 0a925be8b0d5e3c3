import type { OrchestratorStore } from '@loompa/core';
import type { RenderedMessage } from './format-message.js';

/** A message waiting to go to one target; the URL is not in it (it is read from the environment). */
export interface OutboxEntry {
  target: string;
  key: string;
  event: string;
  messageId: string;
  message: RenderedMessage;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastFailure: string | null;
}

/** What became of a message: kept forever per key, so it is never sent twice. */
export interface SentRecord {
  at: string;
  outcome: 'delivered' | 'given-up';
  attempts: number;
}

const prefix = 'notifications/';

/**
 * The notifications' part of the orchestrator's store. A message is written to the outbox
 * before any attempt, and replaced by a sent record after its last one, so a crash at any
 * moment leaves it either still to send (and sent after the restart) or already recorded.
 */
export class NotificationOutbox {
  constructor(private readonly store: OrchestratorStore) {}

  /** Adds the message unless its key was already queued or sent to this target; true when added. */
  async add(entry: OutboxEntry): Promise<boolean> {
    const suffix = `${entry.target}/${entry.key}`;
    if ((await this.store.get(`${prefix}sent/${suffix}`)) !== undefined) return false;
    if ((await this.store.get(`${prefix}outbox/${suffix}`)) !== undefined) return false;
    await this.store.set(`${prefix}outbox/${suffix}`, entry);
    return true;
  }

  /** Messages waiting for `target`, oldest first. */
  async pending(target: string): Promise<OutboxEntry[]> {
    const entries = await this.store.list<OutboxEntry>(`${prefix}outbox/${target}/`);
    return entries
      .map(({ value }) => value)
      .filter((entry) => entry.target === target)
      .sort((left, right) => left.createdAt.localeCompare(right.createdAt));
  }

  async reschedule(entry: OutboxEntry): Promise<void> {
    await this.store.set(`${prefix}outbox/${entry.target}/${entry.key}`, entry);
  }

  /** Records the end of a message (delivered or given up) and takes it out of the outbox. */
  async finish(entry: OutboxEntry, outcome: SentRecord['outcome'], at: Date): Promise<void> {
    const suffix = `${entry.target}/${entry.key}`;
    const record: SentRecord = { at: at.toISOString(), outcome, attempts: entry.attempts };
    await this.store.set(`${prefix}sent/${suffix}`, record);
    await this.store.delete(`${prefix}outbox/${suffix}`);
  }

  /** A counter that tells apart two blocks of one issue, or two outages of one agent kind. */
  async generation(subject: string): Promise<{ value: number; announced: boolean }> {
    return (
      (await this.store.get<{ value: number; announced: boolean }>(`${prefix}generation/${subject}`)) ?? {
        value: 0,
        announced: false,
      }
    );
  }

  async setGeneration(subject: string, generation: { value: number; announced: boolean }): Promise<void> {
    await this.store.set(`${prefix}generation/${subject}`, generation);
  }
}
