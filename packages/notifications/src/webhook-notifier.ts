import {
  describeError,
  type Logger,
  type NotifierContext,
  type NotifierResumeContext,
  type NotifierV1,
  type OrchestratorEvent,
  type OrchestratorStore,
  registerSecret,
} from '@loompa/core';
import { deliverWebhook } from './deliver-webhook.js';
import { describeNotification } from './describe-notification.js';
import { formatMessage, messageIdOf } from './format-message.js';
import { NotificationOutbox, type OutboxEntry } from './notification-outbox.js';
import type { NotificationSettings, NotificationTargetSettings } from './notification-settings.js';

export interface WebhookNotifierOptions {
  settings: NotificationSettings;
  logger: Logger;
  /** Where `url_variable` and `secret_variable` are read; `process.env` by default. */
  environment?: NodeJS.ProcessEnv;
}

interface Target {
  name: string;
  settings: NotificationTargetSettings;
  url: string | null;
  signingKey: string | null;
}

/**
 * Sends notifications to webhook targets. `notify` only queues (in a promise chain, so events
 * are handled in order); each target has one delivery loop, so a slow or failing receiver
 * delays only its own messages. Every message goes through the store's outbox first.
 */
export class WebhookNotifier implements NotifierV1 {
  readonly specificationVersion = 'notifier-v1' as const;
  private readonly targets: Target[];
  private readonly logger: Logger;
  private outbox: NotificationOutbox | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly loopAgain = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stopping = new AbortController();
  /** The agent kind of each issue's current run, to notice a paused kind working again. */
  private readonly agentKindOfIssue = new Map<string, string>();

  constructor(private readonly options: WebhookNotifierOptions) {
    const environment = options.environment ?? process.env;
    this.logger = options.logger;
    this.targets = Object.entries(options.settings.targets).map(([name, settings]) => {
      const url = environment[settings.url_variable]?.trim() || null;
      const signingKey =
        settings.secret_variable === null ? null : environment[settings.secret_variable] || null;
      // Registered so no log line, event or error can carry them.
      registerSecret(url);
      registerSecret(signingKey);
      return { name, settings, url, signingKey };
    });
  }

  /**
   * Announces issues blocked now unless their block was already queued or sent (a crash may
   * have come between the block and its notification), then delivers what waits in the outbox.
   */
  resume(context: NotifierResumeContext): void {
    if (this.targets.length === 0) return;
    this.useStore(context.store);
    this.enqueue(async () => {
      for (const blocked of await context.blockedIssues()) {
        await this.take({
          type: 'issue-blocked',
          at: blocked.since,
          payload: {
            issueId: blocked.issueId,
            issueIdentifier: blocked.issueIdentifier,
            reason: blocked.reason,
          },
        });
      }
      for (const target of this.targets) this.startLoop(target);
    });
  }

  notify(event: OrchestratorEvent, context: NotifierContext): void {
    if (this.targets.length === 0 || this.stopping.signal.aborted) return;
    this.useStore(context.store);
    this.enqueue(() => this.take(event));
  }

  async flush(options: { timeoutMs: number }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
    });
    const work = (async () => {
      await this.chain;
      for (const target of this.targets) this.startLoop(target);
      await Promise.all([...this.loops.values()]);
    })();
    await Promise.race([work, timeout]);
    clearTimeout(timer);
  }

  close(): void {
    this.stopping.abort();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  // ---------------------------------------------------------------- taking events

  private useStore(store: OrchestratorStore): void {
    this.outbox ??= new NotificationOutbox(store);
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.logger.warn('a notification could not be queued', { message: describeError(error) });
    });
  }

  private async take(event: OrchestratorEvent): Promise<void> {
    const outbox = this.outbox!;
    const generationSubject = await this.advanceGenerations(event, outbox);
    if (generationSubject === undefined) return;
    const generation = generationSubject === null ? null : await outbox.generation(generationSubject);
    const notification = describeNotification(event, generation?.value ?? 0);
    if (notification === null) return;
    if (generationSubject !== null && generation && !generation.announced) {
      await outbox.setGeneration(generationSubject, { value: generation.value, announced: true });
    }
    for (const target of this.targets) {
      if (!target.settings.events.includes(notification.event)) continue;
      const now = new Date().toISOString();
      const added = await outbox.add({
        target: target.name,
        key: notification.key,
        event: notification.event,
        messageId: messageIdOf(target.name, notification.key),
        message: formatMessage(notification, target.settings.format, target.name),
        createdAt: now,
        attempts: 0,
        nextAttemptAt: now,
        lastFailure: null,
      });
      if (added) this.startLoop(target);
    }
  }

  /**
   * Moves the counters that separate one block (or outage) from the next, and returns the
   * subject whose counter keys this event's notification: null when none does, undefined when
   * the event makes no notification at all.
   */
  private async advanceGenerations(
    event: OrchestratorEvent,
    outbox: NotificationOutbox,
  ): Promise<string | null | undefined> {
    const next = async (subject: string) => {
      const generation = await outbox.generation(subject);
      if (generation.announced)
        await outbox.setGeneration(subject, { value: generation.value + 1, announced: false });
    };
    switch (event.type) {
      case 'issue-dispatched':
        this.agentKindOfIssue.set(event.payload.issueId, event.payload.agentKind);
        await next(`issue/${event.payload.issueId}`);
        return undefined;
      case 'issue-requeued':
        await next(`issue/${event.payload.issueId}`);
        return undefined;
      case 'agent-run-finished': {
        const kind = this.agentKindOfIssue.get(event.payload.issueId);
        if (kind !== undefined && event.payload.result.status === 'completed') await next(`agent/${kind}`);
        return undefined;
      }
      case 'issue-blocked':
      case 'issue-done':
        return `issue/${event.payload.issueId}`;
      case 'agent-unavailable':
        return `agent/${event.payload.agentKind}`;
      case 'change-request-merged':
      case 'budget-exceeded':
        return null;
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- delivering

  private startLoop(target: Target): void {
    if (this.outbox === null || this.stopping.signal.aborted) return;
    if (this.loops.has(target.name)) {
      this.loopAgain.add(target.name);
      return;
    }
    const loop = (async () => {
      do {
        this.loopAgain.delete(target.name);
        await this.deliverDue(target);
      } while (this.loopAgain.has(target.name) && !this.stopping.signal.aborted);
    })()
      .catch((error: unknown) => {
        this.logger.warn('notification delivery failed', {
          target: target.name,
          message: describeError(error),
        });
      })
      .finally(() => this.loops.delete(target.name));
    this.loops.set(target.name, loop);
  }

  /** Sends every message of `target` that is due, then sets a timer for the next one waiting. */
  private async deliverDue(target: Target): Promise<void> {
    const outbox = this.outbox!;
    const { settings } = this.options;
    let nextDue: number | null = null;
    for (const entry of await outbox.pending(target.name)) {
      if (this.stopping.signal.aborted) return;
      const dueAt = Date.parse(entry.nextAttemptAt);
      if (dueAt > Date.now()) {
        nextDue = nextDue === null ? dueAt : Math.min(nextDue, dueAt);
        continue;
      }
      if (target.url === null) {
        this.logger.warn('a notification target has no URL; its messages wait', {
          target: target.name,
          variable: target.settings.url_variable,
        });
        return;
      }
      const outcome = await deliverWebhook({
        url: target.url,
        message: entry.message,
        messageId: entry.messageId,
        eventName: entry.event,
        signingKey: target.signingKey,
        timeoutMs: settings.timeout_ms,
        abortSignal: this.stopping.signal,
      });
      if (this.stopping.signal.aborted) return;
      const attempted: OutboxEntry = { ...entry, attempts: entry.attempts + 1 };
      if (outcome.outcome === 'delivered') {
        await outbox.finish(attempted, 'delivered', new Date());
        this.logger.info('notification sent', {
          target: target.name,
          key: entry.key,
          status: outcome.status,
        });
        continue;
      }
      if (outcome.outcome === 'rejected' || attempted.attempts >= settings.max_attempts) {
        await outbox.finish(attempted, 'given-up', new Date());
        this.logger.warn('notification given up', {
          target: target.name,
          key: entry.key,
          attempts: attempted.attempts,
          reason: outcome.reason,
        });
        continue;
      }
      const backoff = Math.min(
        settings.initial_backoff_ms * 2 ** (attempted.attempts - 1),
        settings.max_backoff_ms,
      );
      const delay = Math.min(Math.max(outcome.retryAfterMs ?? backoff, 0), settings.max_backoff_ms);
      const retryAt = Date.now() + delay;
      await outbox.reschedule({
        ...attempted,
        nextAttemptAt: new Date(retryAt).toISOString(),
        lastFailure: outcome.reason,
      });
      this.logger.info('notification will be retried', {
        target: target.name,
        key: entry.key,
        attempts: attempted.attempts,
        delayMs: delay,
        reason: outcome.reason,
      });
      nextDue = nextDue === null ? retryAt : Math.min(nextDue, retryAt);
    }
    if (nextDue !== null) this.wakeAt(target, nextDue);
  }

  private wakeAt(target: Target, at: number): void {
    clearTimeout(this.timers.get(target.name));
    const timer = setTimeout(
      () => {
        this.timers.delete(target.name);
        this.startLoop(target);
      },
      Math.max(at - Date.now(), 0),
    );
    // A waiting retry never keeps a finished process alive; the outbox keeps the message.
    timer.unref();
    this.timers.set(target.name, timer);
  }
}
