import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import type { FakeChange, FakeGitHubModel } from './fake-github-model.js';
import { commentJson, issueJson, labelJson, repositoryJson, userJson } from './wire-shapes.js';

export interface FakeWebhook {
  url: string;
  secret: string;
  /** Events delivered; every event when absent. */
  events?: readonly string[];
}

export interface FakeWebhookDelivery {
  id: string;
  event: string;
  action: string | null;
  url: string;
  /** The receiver's status, or null when the connection failed. */
  status: number | null;
  payload: string;
}

export interface ManualDelivery {
  url: string;
  event: string;
  payload: unknown;
  /** Signs with this secret; leave out `secret` and give `signature` to send a bad one. */
  secret?: string;
  signature?: string;
  deliveryId?: string;
}

/**
 * Repository webhooks: every model change is POSTed to each hook as GitHub does, with
 * `X-GitHub-Event`, `X-GitHub-Delivery` and an `X-Hub-Signature-256` HMAC of the exact body.
 * Deliveries to one hook go out one at a time, in the order the changes happened.
 */
export class WebhookDeliveries {
  readonly hooks: FakeWebhook[] = [];
  readonly deliveries: FakeWebhookDelivery[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly model: FakeGitHubModel,
    private readonly baseUrl: () => string,
  ) {
    model.onChange((change) => this.enqueueChange(change));
  }

  /** Resolves when every delivery queued so far has been answered. */
  settled(): Promise<void> {
    return this.queue;
  }

  private payloadOf(change: FakeChange): Record<string, unknown> {
    const baseUrl = this.baseUrl();
    const payload: Record<string, unknown> =
      'build' in change
        ? { ...(change.action === null ? {} : { action: change.action }), ...change.build(baseUrl) }
        : { action: change.action, issue: issueJson(baseUrl, this.model, change.repository, change.issue) };
    payload.repository = repositoryJson(baseUrl, this.model, change.repository);
    payload.sender = userJson(baseUrl, this.model.ensureUser(change.sender));
    if (change.event === 'issues' && change.label) {
      payload.label = labelJson(baseUrl, change.repository, change.label);
    }
    if (change.event === 'issue_comment') {
      payload.comment = commentJson(baseUrl, this.model, change.repository, change.comment);
    }
    if (change.repository.installationId !== null) {
      payload.installation = { id: change.repository.installationId };
    }
    return payload;
  }

  private enqueueChange(change: FakeChange): void {
    if (this.hooks.length === 0) return;
    // The payload is taken now, so it shows the issue as it was at the change.
    const body = JSON.stringify(this.payloadOf(change));
    for (const hook of this.hooks) {
      if (hook.events && !hook.events.includes(change.event)) continue;
      this.enqueue({ url: hook.url, event: change.event, payload: body, secret: hook.secret }, change.action);
    }
  }

  private enqueue(
    delivery: ManualDelivery & { payload: string },
    action: string | null,
  ): Promise<FakeWebhookDelivery> {
    const result = this.queue.then(() => this.send(delivery, action));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Sends one delivery now (after those already queued) and resolves with the receiver's answer. */
  deliver(delivery: ManualDelivery): Promise<FakeWebhookDelivery> {
    const payload =
      typeof delivery.payload === 'string' ? delivery.payload : JSON.stringify(delivery.payload);
    const action =
      delivery.payload !== null && typeof delivery.payload === 'object' && 'action' in delivery.payload
        ? String((delivery.payload as { action: unknown }).action)
        : null;
    return this.enqueue({ ...delivery, payload }, action);
  }

  /** Sends an earlier delivery again with the same id, as "Redeliver" in GitHub's settings does. */
  redeliver(deliveryId: string, secret: string): Promise<FakeWebhookDelivery> {
    const earlier = this.deliveries.find((delivery) => delivery.id === deliveryId);
    if (!earlier) throw new Error(`fake GitHub: no delivery ${deliveryId}`);
    return this.enqueue(
      { url: earlier.url, event: earlier.event, payload: earlier.payload, secret, deliveryId },
      earlier.action,
    );
  }

  private async send(
    delivery: ManualDelivery & { payload: string },
    action: string | null,
  ): Promise<FakeWebhookDelivery> {
    const id = delivery.deliveryId ?? randomUUID();
    const signature =
      delivery.signature ?? (delivery.secret ? await sign(delivery.secret, delivery.payload) : '');
    const record: FakeWebhookDelivery = {
      id,
      event: delivery.event,
      action,
      url: delivery.url,
      status: null,
      payload: delivery.payload,
    };
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': delivery.event,
          'x-github-delivery': id,
          'x-github-hook-id': '1',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body: delivery.payload,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      record.status = response.status;
    } catch {
      record.status = null;
    }
    this.deliveries.push(record);
    return record;
  }
}
