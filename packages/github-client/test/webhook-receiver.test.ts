import { createFakeGitHub, type FakeGitHub } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGitHubWebhookReceiver,
  type GitHubWebhookDelivery,
  type GitHubWebhookReceiver,
  subscribeToGitHubWebhooks,
} from '../src/index.js';

const secret = 'receiver-test-secret';
let fake: FakeGitHub | null = null;
let receiver: GitHubWebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  await fake?.close();
  receiver = null;
  fake = null;
});

describe('createGitHubWebhookReceiver', () => {
  it('refuses a bad signature, accepts a good one at once, and acts on a redelivery only once', async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    receiver = await createGitHubWebhookReceiver({ secret });
    const deliveries: GitHubWebhookDelivery[] = [];
    receiver.subscribe((delivery) => deliveries.push(delivery));
    const payload = { action: 'opened', issue: { number: 1 }, repository: { full_name: 'octo/widgets' } };

    const forged = await fake.deliverWebhook({
      url: receiver.url,
      event: 'issues',
      payload,
      secret: 'wrong-secret',
    });
    expect(forged.status).toBe(401);
    const unsigned = await fake.deliverWebhook({ url: receiver.url, event: 'issues', payload });
    expect(unsigned.status).toBe(401);

    const good = await fake.deliverWebhook({ url: receiver.url, event: 'issues', payload, secret });
    expect(good.status).toBe(202);
    await expect.poll(() => deliveries.length, { timeout: 20_000 }).toBe(1);
    expect(deliveries[0]).toEqual({ id: good.id, event: 'issues', payload });

    const again = await fake.redeliverWebhook(good.id, secret);
    expect(again.status).toBe(200);
    expect(deliveries).toHaveLength(1);
  });

  it('answers 202 before listeners run, so a failing listener changes nothing for GitHub', async () => {
    fake = await createFakeGitHub();
    receiver = await createGitHubWebhookReceiver({ secret });
    const seen: string[] = [];
    receiver.subscribe(() => {
      throw new Error('listener failed');
    });
    receiver.subscribe((delivery) => seen.push(delivery.id));
    const first = await fake.deliverWebhook({
      url: receiver.url,
      event: 'ping',
      payload: { zen: 'Keep it simple.' },
      secret,
    });
    const second = await fake.deliverWebhook({
      url: receiver.url,
      event: 'ping',
      payload: { zen: 'Again.' },
      secret,
    });
    expect([first.status, second.status]).toEqual([202, 202]);
    await expect.poll(() => seen, { timeout: 20_000 }).toEqual([first.id, second.id]);
  });

  it('shares one receiver per port between subscribers and closes it after the last leaves', async () => {
    fake = await createFakeGitHub();
    const probe = await createGitHubWebhookReceiver({ secret });
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const first: string[] = [];
    const second: string[] = [];
    const subscriptionA = await subscribeToGitHubWebhooks({ secret, port }, (delivery) =>
      first.push(delivery.id),
    );
    const subscriptionB = await subscribeToGitHubWebhooks({ secret, port }, (delivery) =>
      second.push(delivery.id),
    );
    expect(subscriptionB.url).toBe(subscriptionA.url);
    const delivered = await fake.deliverWebhook({
      url: subscriptionA.url,
      event: 'issues',
      payload: {},
      secret,
    });
    await expect.poll(() => [first, second], { timeout: 20_000 }).toEqual([[delivered.id], [delivered.id]]);
    await subscriptionA.unsubscribe();
    await subscriptionB.unsubscribe();
    const afterClose = await fake.deliverWebhook({
      url: subscriptionA.url,
      event: 'issues',
      payload: {},
      secret,
    });
    expect(afterClose.status).toBeNull();
  });
});
