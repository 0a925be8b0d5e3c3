import { createHmac } from 'node:crypto';
import {
  createMemoryStore,
  createSilentLogger,
  type OrchestratorEvent,
  type OrchestratorStore,
} from '@loompa/core';
import { createWebhookReceiver, type WebhookReceiver } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookNotifier, type WebhookNotifier } from '../src/index.js';

const waitOptions = { timeout: 30_000, interval: 20 };
let receiver: WebhookReceiver | null = null;
const notifiers: WebhookNotifier[] = [];
afterEach(async () => {
  for (const notifier of notifiers.splice(0)) notifier.close();
  await receiver?.close();
  receiver = null;
});

function blocked(issueId: string, title = `Issue ${issueId}`): OrchestratorEvent {
  return {
    type: 'issue-blocked',
    at: new Date(),
    payload: { issueId, issueIdentifier: `TASK-${issueId}`, issueTitle: title, reason: 'attempts exhausted' },
  };
}

function notifierFor(
  url: string,
  settings: Record<string, unknown> = {},
  target: Record<string, unknown> = {},
) {
  const notifier = createWebhookNotifier({
    settings: {
      targets: { hooks: { url_variable: 'HOOK_URL', ...target } },
      initial_backoff_ms: 100,
      ...settings,
    },
    logger: createSilentLogger(),
    environment: { HOOK_URL: `${url}/hooks`, HOOK_KEY: 'signing-key-0123456789' },
  });
  notifiers.push(notifier);
  return notifier;
}

describe('webhook notifier', () => {
  it('retries after 500 with back-off and after 429 when Retry-After says, then delivers once', async () => {
    receiver = await createWebhookReceiver();
    receiver.answerNext({ status: 500 }, { status: 429, headers: { 'retry-after': '2' } });
    // A back-off this long would outlast the test: only Retry-After can bring the third try.
    const notifier = notifierFor(receiver.url, { initial_backoff_ms: 100, max_backoff_ms: 600_000 });
    const store = createMemoryStore();
    notifier.notify(blocked('1'), { store });
    await vi.waitFor(() => expect(receiver!.accepted()).toHaveLength(1), waitOptions);
    const [first, second, third] = receiver.received;
    expect(receiver.received.map((request) => request.answeredStatus)).toEqual([500, 429, 200]);
    expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(1_900);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(90);
    // The same delivery id on every try, for receivers that de-duplicate.
    expect(new Set(receiver.received.map((request) => request.headers['x-loompa-delivery'])).size).toBe(1);
    // The receiver answers before the notifier records the delivery: wait for the record.
    await vi.waitFor(async () => {
      expect(await store.list('notifications/outbox/')).toEqual([]);
      expect(await store.list('notifications/sent/')).toEqual([
        expect.objectContaining({ value: expect.objectContaining({ outcome: 'delivered', attempts: 3 }) }),
      ]);
    }, waitOptions);
  }, 60_000);

  it('gives up at once on a 4xx answer and after max_attempts on failures, sending the key never again', async () => {
    receiver = await createWebhookReceiver();
    receiver.answerNext({ status: 404 });
    receiver.setFallback({ status: 503 });
    const notifier = notifierFor(receiver.url, { max_attempts: 3, initial_backoff_ms: 50 });
    const store = createMemoryStore();
    notifier.notify(blocked('1'), { store });
    notifier.notify(blocked('2'), { store });
    await vi.waitFor(async () => {
      const sent = await store.list<{ outcome: string }>('notifications/sent/');
      expect(sent.map((entry) => entry.value.outcome)).toEqual(['given-up', 'given-up']);
    }, waitOptions);
    expect(receiver.received).toHaveLength(4);
    notifier.notify(blocked('1'), { store });
    await notifier.flush({ timeoutMs: 10_000 });
    expect(receiver.received).toHaveLength(4);
  }, 60_000);

  it('sends one message per event key, signs it, and delivers what a stopped notifier left on the same store', async () => {
    receiver = await createWebhookReceiver();
    receiver.setFallback('hold');
    const store: OrchestratorStore = createMemoryStore();
    const first = notifierFor(receiver.url, {}, { secret_variable: 'HOOK_KEY' });
    first.notify(blocked('1'), { store });
    first.notify(blocked('1'), { store });
    first.notify(blocked('2'), { store });
    await vi.waitFor(() => expect(receiver!.received).toHaveLength(1), waitOptions);
    // Stopped while the receiver hangs: nothing was answered, both messages stay in the outbox.
    await first.flush({ timeoutMs: 200 });
    first.close();
    expect(await store.list('notifications/outbox/')).toHaveLength(2);

    receiver.setFallback({ status: 200 });
    receiver.releaseHeld({ status: 503 });
    const second = notifierFor(receiver.url, {}, { secret_variable: 'HOOK_KEY' });
    second.resume({ store, blockedIssues: async () => [] });
    await vi.waitFor(() => expect(receiver!.accepted()).toHaveLength(2), waitOptions);
    second.notify(blocked('2'), { store });
    await second.flush({ timeoutMs: 10_000 });
    const bodies = receiver.accepted().map((request) => JSON.parse(request.body));
    expect(bodies.map((body) => body.issue.id).sort()).toEqual(['1', '2']);
    for (const request of receiver.accepted()) {
      const expected = createHmac('sha256', 'signing-key-0123456789').update(request.body).digest('hex');
      expect(request.headers['x-loompa-signature-256']).toBe(`sha256=${expected}`);
      expect(request.headers['x-loompa-event']).toBe('issue-blocked');
      expect(request.body).not.toContain('signing-key');
    }
  }, 60_000);

  it('tells only the events a target chose', async () => {
    receiver = await createWebhookReceiver();
    const notifier = notifierFor(receiver.url, {}, { events: ['agent-unavailable'] });
    const store = createMemoryStore();
    notifier.notify(blocked('1'), { store });
    notifier.notify(
      {
        type: 'agent-unavailable',
        at: new Date(),
        payload: { agentKind: 'claude', reason: 'not logged in' },
      },
      { store },
    );
    await notifier.flush({ timeoutMs: 10_000 });
    expect(receiver.accepted().map((request) => JSON.parse(request.body).event)).toEqual([
      'agent-unavailable',
    ]);
  }, 60_000);
});
