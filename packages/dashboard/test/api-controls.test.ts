import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { OrchestratorSnapshot } from '@loompa/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LoompaHttpServer, startLoompaHttpServer } from '../src/index.js';
import { createMarkdownFixture, type MarkdownFixture } from './markdown-fixture.js';

/** The controls and the guards of the API, over real HTTP on 127.0.0.1, on real orchestrators. */

const waitOptions = { timeout: 20_000, interval: 50 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  options: Parameters<typeof createMarkdownFixture>[0],
  serverOptions: Partial<Parameters<typeof startLoompaHttpServer>[0]> = {},
): Promise<{ fixture: MarkdownFixture; server: LoompaHttpServer }> {
  const fixture = await createMarkdownFixture(options);
  cleanups.push(() => fixture.cleanup());
  const server = await startLoompaHttpServer({
    orchestrator: fixture.orchestrator,
    token: null,
    ...serverOptions,
  });
  cleanups.push(() => server.close());
  return { fixture, server };
}

/** A request with exactly the headers given (fetch adds and forbids some; Host among them). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : null }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const post = (server: LoompaHttpServer, route: string, body?: unknown) =>
  fetch(`${server.url}/api/v1/${route}`, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const state = async (server: LoompaHttpServer) =>
  (await (await fetch(`${server.url}/api/v1/state`)).json()) as OrchestratorSnapshot;

describe('the control routes', () => {
  it('pause, resume, cancel and retry over HTTP; unknown issues are 404, wrong phases 409, bad bodies 400', async () => {
    const { fixture, server } = await start({
      agentCommand: 'echo started; sleep 60',
      tasks: [{ id: 'TASK-1', title: 'One' }],
    });
    await fixture.orchestrator.start();
    // Cancelled once the agent has said something, so its transcript has a line.
    await vi.waitFor(
      async () => expect((await state(server)).running[0]?.lastEvent).toBe('text'),
      waitOptions,
    );

    const paused = await post(server, 'pause', { all: false, reason: 'deploying' });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({
      ok: true,
      pause: { paused: true, all: false, reason: 'deploying' },
    });
    expect((await state(server)).pause.paused).toBe(true);

    const cancelled = await post(server, 'task-1/cancel');
    expect(cancelled.status).toBe(200);
    await vi.waitFor(async () => {
      const snapshot = await state(server);
      expect(snapshot.running).toEqual([]);
      expect(snapshot.blocked.map((blocked) => blocked.identifier)).toEqual(['TASK-1']);
    }, waitOptions);
    const item = (await (await fetch(`${server.url}/api/v1/TASK-1`)).json()) as any;
    expect(item.status).toBe('blocked');
    expect(item.history.entries.map((entry: { text: string }) => entry.text)).toEqual(
      expect.arrayContaining(['started', expect.stringMatching(/^cancelled: /)]),
    );

    expect((await post(server, 'TASK-1/approve', { reviewer: 'ada' })).status).toBe(409);
    const retried = await post(server, 'TASK-1/retry');
    expect(retried.status).toBe(200);
    expect((await state(server)).queued.map((queued) => queued.identifier)).toEqual(['TASK-1']);
    expect((await post(server, 'TASK-1/retry')).status).toBe(409);

    const unknown = await post(server, 'TASK-404/cancel');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe('issue_not_found');
    const badBody = await fetch(`${server.url}/api/v1/pause`, { method: 'POST', body: '{"all":' });
    expect(badBody.status).toBe(400);
    expect((await post(server, 'TASK-1/merge')).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/TASK-1/retry`)).status).toBe(405);

    expect((await post(server, 'resume')).status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await state(server)).running.map((running) => running.identifier)).toEqual(['TASK-1']),
      waitOptions,
    );
  });

  it('approves an scm-local change request as a person, which lets it merge', async () => {
    const { fixture, server } = await start({
      agentCommand: 'cat > /dev/null; echo 42 > answer.txt',
      scm: { auto_merge: true, required_approvals: 1, checks: ['test -f answer.txt'] },
      tasks: [{ id: 'TASK-2', title: 'Answer' }],
    });
    await fixture.orchestrator.runOnce();
    await fixture.orchestrator.tick();
    await vi.waitFor(async () => {
      await fixture.orchestrator.tick();
      const awaiting = (await state(server)).awaiting;
      expect(awaiting).toEqual([
        expect.objectContaining({
          identifier: 'TASK-2',
          waitingFor: expect.stringMatching(/approv/i),
          status: expect.objectContaining({ checks: 'success', review: 'none' }),
        }),
      ]);
    }, waitOptions);
    const approved = await post(server, 'TASK-2/approve', { reviewer: 'Grace <script>' });
    expect(approved.status).toBe(200);
    // scm-local keeps people's reviews as files in the orchestrator's state directory.
    const reviews = await readdir(path.join(fixture.root, 'state', 'reviews'));
    expect(reviews.length).toBeGreaterThan(0);
    await vi.waitFor(async () => {
      await fixture.orchestrator.tick();
      expect(fixture.events.some((event) => event.type === 'change-request-merged')).toBe(true);
    }, waitOptions);
    const item = (await (await fetch(`${server.url}/api/v1/TASK-2`)).json()) as any;
    expect(item.status).toBe('done');
    expect(item.history.entries.map((entry: { text: string }) => entry.text)).toContain(
      'change request approved by Grace <script>',
    );
  });
});

describe('who may call', () => {
  it('over loopback: answers only loopback host names, and refuses cross-origin writes', async () => {
    const { server } = await start({ agentCommand: 'sleep 60' });
    const rebound = await rawRequest(`${server.url}/api/v1/state`, {
      headers: { host: 'attacker.example:80' },
    });
    expect(rebound).toMatchObject({ status: 403, body: { error: { code: 'host_not_allowed' } } });
    const host = new URL(server.url).host;
    const crossOrigin = await rawRequest(`${server.url}/api/v1/pause`, {
      method: 'POST',
      headers: { host, origin: 'http://attacker.example' },
      body: '{}',
    });
    expect(crossOrigin).toMatchObject({ status: 403, body: { error: { code: 'cross_origin' } } });
    const crossSite = await rawRequest(`${server.url}/api/v1/pause`, {
      method: 'POST',
      headers: { host, 'sec-fetch-site': 'cross-site' },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    const nullOrigin = await rawRequest(`${server.url}/api/v1/resume`, {
      method: 'POST',
      headers: { host, origin: 'null' },
    });
    expect(nullOrigin.status).toBe(403);
    expect((await state(server)).pause.paused).toBe(false);
    const sameOrigin = await rawRequest(`${server.url}/api/v1/pause`, {
      method: 'POST',
      headers: { host, origin: server.url, 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    expect(sameOrigin.status).toBe(200);
    expect((await state(server)).pause.paused).toBe(true);
  });

  it('with a token required: none or a wrong one is 401, the right one passes; without a configured token, 403', async () => {
    const token = 'a-long-random-token-9c1e';
    const { server } = await start({ agentCommand: 'sleep 60' }, { token, requireToken: 'always' });
    const missing = await fetch(`${server.url}/api/v1/state`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await fetch(`${server.url}/api/v1/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}x` },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${server.url}/api/v1/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.status).toBe(200);
    // The page itself holds nothing and is served to anyone; it asks for the token.
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).not.toContain(token);

    const { server: unconfigured } = await start(
      { agentCommand: 'sleep 60' },
      { token: null, requireToken: 'always' },
    );
    const refused = await fetch(`${unconfigured.url}/api/v1/state`, {
      headers: { authorization: 'Bearer guess' },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.code).toBe('token_not_configured');
  });

  it('never serves a secret: agent output echoing one is redacted in state, board, history and events', async () => {
    const secret = 'sk-dashboard-secret-5d8e2b7f';
    const { fixture, server } = await start({
      agentCommand: 'echo "the key is $DASHBOARD_KEY"; sleep 60',
      agent: { env: { DASHBOARD_KEY: secret } },
      tasks: [{ id: 'TASK-3', title: 'Leak' }],
    });
    const controller = new AbortController();
    const events = await fetch(`${server.url}/api/v1/events?board=1`, { signal: controller.signal });
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    await fixture.orchestrator.start();
    let streamed = '';
    while (!streamed.includes('the key is')) {
      const { value, done } = await reader.read();
      if (done) break;
      streamed += value;
    }
    controller.abort();
    const answers = await Promise.all(
      ['state', 'board', 'TASK-3'].map(async (route) =>
        (await fetch(`${server.url}/api/v1/${route}`)).text(),
      ),
    );
    const item = JSON.parse(answers[2]!);
    expect(item.history.entries.map((entry: { text: string }) => entry.text)).toContain(
      'the key is [REDACTED]',
    );
    for (const text of [streamed, ...answers]) expect(text).not.toContain(secret);
  });
});
