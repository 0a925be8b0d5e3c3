import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeGitLab, type FakeGitLab } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabWebhookReceiver, type GitLabWebhookEvent } from '../src/index.js';

let fake: FakeGitLab | null = null;
let server: Server | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const delivery = (headers: Record<string, string>, body: unknown = { object_kind: 'issue' }) => ({
  headers: { 'x-gitlab-event': 'Issue Hook', ...headers },
  body: JSON.stringify(body),
});

describe('createGitLabWebhookReceiver', () => {
  it('refuses a delivery with a wrong or missing X-Gitlab-Token', async () => {
    const events: GitLabWebhookEvent[] = [];
    const receiver = createGitLabWebhookReceiver({
      secret: 'right-secret',
      onEvent: (event) => void events.push(event),
    });
    expect((await receiver.handle(delivery({ 'x-gitlab-token': 'wrong-secret' }))).status).toBe(401);
    expect((await receiver.handle(delivery({ 'x-gitlab-token': 'right-secre' }))).status).toBe(401);
    expect((await receiver.handle(delivery({}))).status).toBe(401);
    expect(events).toEqual([]);
  });

  it('handles a delivery once, however often GitLab repeats its Idempotency-Key', async () => {
    const events: GitLabWebhookEvent[] = [];
    const receiver = createGitLabWebhookReceiver({
      secret: 'right-secret',
      onEvent: (event) => void events.push(event),
    });
    const headers = { 'x-gitlab-token': 'right-secret', 'idempotency-key': 'delivery-1' };
    expect(await receiver.handle(delivery(headers))).toEqual({ status: 200, body: 'ok' });
    expect((await receiver.handle(delivery(headers))).body).toBe('duplicate delivery ignored');
    await receiver.handle(
      delivery({ 'x-gitlab-token': 'right-secret', 'x-gitlab-event-uuid': 'delivery-2' }),
    );
    await receiver.handle(
      delivery({ 'x-gitlab-token': 'right-secret', 'x-gitlab-event-uuid': 'delivery-2' }),
    );
    expect(events.map((event) => event.deliveryId)).toEqual(['delivery-1', 'delivery-2']);
    expect(events[0]).toMatchObject({ name: 'Issue Hook', objectKind: 'issue' });
  });

  it('lets GitLab retry a delivery whose handling failed', async () => {
    let failures = 1;
    const handled: string[] = [];
    const receiver = createGitLabWebhookReceiver({
      secret: 'right-secret',
      onEvent: (event) => {
        if (failures-- > 0) throw new Error('database down');
        handled.push(event.deliveryId!);
      },
    });
    const headers = { 'x-gitlab-token': 'right-secret', 'idempotency-key': 'delivery-3' };
    expect((await receiver.handle(delivery(headers))).status).toBe(500);
    expect((await receiver.handle(delivery(headers))).status).toBe(200);
    expect(handled).toEqual(['delivery-3']);
  });

  it('rejects a body that is not a JSON object', async () => {
    const receiver = createGitLabWebhookReceiver({ secret: 'right-secret', onEvent: () => {} });
    const answer = await receiver.handle({ headers: { 'x-gitlab-token': 'right-secret' }, body: '[1,2]' });
    expect(answer.status).toBe(400);
  });

  it('receives real deliveries from the fake GitLab over HTTP', async () => {
    const events: GitLabWebhookEvent[] = [];
    const receiver = createGitLabWebhookReceiver({
      secret: 'hook-secret',
      onEvent: (event) => void events.push(event),
    });
    server = createServer(receiver.listener);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gitlab`;
    fake = await createFakeGitLab();
    await fake.createProject({ path: 'group/project' });
    fake.addWebhook({ project: 'group/project', url, token: 'hook-secret' });
    fake.addWebhook({ project: 'group/project', url, token: 'not-the-secret' });
    fake.seedIssue('group/project', { title: 'Hooked' });
    await fake.settle();
    expect(fake.deliveries.map((sent) => sent.status).sort()).toEqual([200, 401]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      name: 'Issue Hook',
      objectKind: 'issue',
      projectPath: 'group/project',
    });
  });
});
