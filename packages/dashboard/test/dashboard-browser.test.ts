import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrchestratorSnapshot } from '@loompa/core';
import { runDemo } from '@loompa/demo';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LoompaHttpServer, startLoompaHttpServer } from '../src/index.js';
import { ensureChromium } from './ensure-chromium.js';
import { createMarkdownFixture, type MarkdownFixture } from './markdown-fixture.js';

/**
 * The dashboard in Debian's headless Chromium (installed by `ensureChromium` when missing),
 * against real orchestrators: the demo's three tasks, and markdown tasks run by a shell agent.
 * Screenshots go to `test-artifacts/dashboard/` at the repository root.
 */

const artifacts = path.resolve(fileURLToPath(import.meta.url), '../../../../test-artifacts/dashboard');
const lookup = await ensureChromium();
if (!lookup.executablePath) {
  console.warn(`Skipping the dashboard browser tests: ${lookup.reason}`);
}
const waitOptions = { timeout: 30_000, interval: 50 };

let browser: Browser | null = null;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (!lookup.executablePath) return;
  await mkdir(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: lookup.executablePath,
    // Root in a container has no user namespaces for the sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 120_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await browser?.close();
});

async function serve(fixture: MarkdownFixture, options: { host?: string; token?: string | null } = {}) {
  const server = await startLoompaHttpServer({
    orchestrator: fixture.orchestrator,
    token: options.token ?? null,
    ...(options.host ? { host: options.host } : {}),
  });
  cleanups.push(() => server.close());
  return server;
}

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser!.newContext({ viewport });
  cleanups.push(() => context.close());
  return context.newPage();
}

async function fixtureWith(options: Parameters<typeof createMarkdownFixture>[0]) {
  const fixture = await createMarkdownFixture(options);
  cleanups.push(() => fixture.cleanup());
  return fixture;
}

const cardIn = (page: Page, phase: string, identifier: string) =>
  page.locator(`[data-column="${phase}"] [data-issue="${identifier}"]`);

async function snapshotOf(server: LoompaHttpServer): Promise<OrchestratorSnapshot> {
  return (await (await fetch(`${server.url}/api/v1/state`)).json()) as OrchestratorSnapshot;
}

describe.skipIf(!lookup.executablePath)('the dashboard in a real headless Chromium', () => {
  it('shows the three demo tasks moving through their phases as they run', { timeout: 300_000 }, async () => {
    let server: LoompaHttpServer | null = null;
    let page: Page | null = null;
    const demo = runDemo({
      timeoutMs: 240_000,
      onOrchestrator: async (orchestrator) => {
        server = await startLoompaHttpServer({ orchestrator, token: null });
        cleanups.push(() => server!.close());
        page = await newPage();
        await page.goto(`${server.url}/`);
        // Every phase each card is drawn in, in order, as the page saw it.
        // (In-page code as text: this program is type-checked without the DOM's types.)
        await page.evaluate(`(() => {
          const seen = {};
          window.phasesSeen = seen;
          const record = () => {
            for (const card of document.querySelectorAll('[data-issue]')) {
              const phases = (seen[card.dataset.issue] ??= []);
              if (phases.at(-1) !== card.dataset.phase) phases.push(card.dataset.phase);
            }
          };
          new MutationObserver(record).observe(document.getElementById('board'), { childList: true, subtree: true });
        })()`);
        await vi.waitFor(() =>
          expect(page!.locator('#connection[data-state="live"]').count()).resolves.toBe(1),
        );
      },
    });
    // A moment with agents at work, on the board as it happens.
    await vi.waitFor(
      async () =>
        expect(await page?.locator('[data-column="running"] [data-issue]').count()).toBeGreaterThan(0),
      {
        timeout: 120_000,
        interval: 50,
      },
    );
    await page!.screenshot({ path: path.join(artifacts, 'demo-running.png'), fullPage: true });
    const run = await demo;
    expect(run.finished).toBe(true);
    await vi.waitFor(
      () => expect(page!.locator('[data-column="done"] [data-issue]').count()).resolves.toBe(3),
      waitOptions,
    );
    await page!.screenshot({ path: path.join(artifacts, 'demo-done.png'), fullPage: true });
    const seen = (await page!.evaluate('window.phasesSeen')) as Record<string, string[]>;
    for (const task of ['TASK-1', 'TASK-2', 'TASK-3']) {
      expect(seen[task], task).toEqual(expect.arrayContaining(['running', 'awaiting', 'done']));
      expect(seen[task]!.indexOf('running'), task).toBeLessThan(seen[task]!.indexOf('done'));
      expect(seen[task]!.at(-1), task).toBe('done');
    }
    // One task fails its checks first and one meets a conflict: the agent is resumed for them.
    expect(Object.values(seen).filter((phases) => phases.includes('reacting')).length).toBeGreaterThan(0);

    // The item page of a task that reacted shows its transcript and reaction history.
    const reacted = Object.entries(seen).find(([, phases]) => phases.includes('reacting'))![0];
    await page!.goto(`${server!.url}/#/item/${reacted}`);
    await vi.waitFor(
      () =>
        expect(page!.locator('#item-reactions li').first().textContent()).resolves.toMatch(
          /ci-failure|conflict|review/,
        ),
      waitOptions,
    );
    expect(await page!.locator('#item-transcript li[data-kind="tool-call"]').count()).toBeGreaterThan(0);
    await page!.screenshot({ path: path.join(artifacts, 'demo-item.png'), fullPage: true });
  });

  it('pausing from the page stops new dispatches, and the snapshot says paused', {
    timeout: 120_000,
  }, async () => {
    const fixture = await fixtureWith({
      agentCommand: 'sleep 60',
      tasks: [{ id: 'TASK-1', title: 'First' }],
    });
    const server = await serve(fixture);
    await fixture.orchestrator.start();
    const page = await newPage({ width: 390, height: 844 });
    await page.goto(`${server.url}/`);
    await vi.waitFor(() => expect(cardIn(page, 'running', 'TASK-1').count()).resolves.toBe(1), waitOptions);

    await page.click('#pause');
    await vi.waitFor(
      () => expect(page.locator('#dispatch-state').textContent()).resolves.toMatch(/^paused/),
      waitOptions,
    );
    expect((await snapshotOf(server)).pause).toMatchObject({ paused: true, all: false });

    await fixture.writeTask('TASK-2', 'Second, after the pause');
    await fetch(`${server.url}/api/v1/refresh`, { method: 'POST' });
    await vi.waitFor(() => expect(cardIn(page, 'queued', 'TASK-2').count()).resolves.toBe(1), waitOptions);
    // The running agent goes on; nothing new was dispatched.
    expect(await cardIn(page, 'running', 'TASK-1').count()).toBe(1);
    const dispatched = fixture.events
      .filter((event) => event.type === 'issue-dispatched')
      .map((event) => event.payload);
    expect(dispatched.map((payload) => (payload as { issueIdentifier: string }).issueIdentifier)).toEqual([
      'TASK-1',
    ]);
    expect(await page.locator('#resume').isEnabled()).toBe(true);
    await page.screenshot({ path: path.join(artifacts, 'paused-phone.png'), fullPage: true });

    await page.click('#resume');
    await vi.waitFor(() => expect(cardIn(page, 'running', 'TASK-2').count()).resolves.toBe(1), waitOptions);
    expect((await snapshotOf(server)).pause.paused).toBe(false);
  });

  it('retrying a blocked item from its page puts it back in the queue; hostile titles stay text', {
    timeout: 120_000,
  }, async () => {
    const hostileTitle = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> & "quotes"';
    const fixture = await fixtureWith({
      agentCommand: 'echo "the agent tried <b>hard</b>"; exit 3',
      agent: { max_attempts: 1 },
      tasks: [{ id: 'TASK-7', title: hostileTitle }],
    });
    const server = await serve(fixture);
    await fixture.orchestrator.runOnce();
    expect((await snapshotOf(server)).blocked.map((item) => item.identifier)).toEqual(['TASK-7']);
    // Paused, so the retried item stays in the queue where the page shows it.
    await fixture.orchestrator.pause();

    const page = await newPage();
    await page.goto(`${server.url}/#/item/TASK-7`);
    await vi.waitFor(
      () => expect(page.locator('#item-waiting').textContent()).resolves.toMatch(/^Blocked, needs a person/),
      waitOptions,
    );
    expect(await page.locator('#item-title').textContent()).toBe(`TASK-7: ${hostileTitle}`);
    expect(await page.locator('#item-transcript li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(artifacts, 'blocked-item.png'), fullPage: true });

    await page.click('#item-retry');
    await vi.waitFor(
      () => expect(page.locator('#item-status').textContent()).resolves.toBe('Phase: queued'),
      waitOptions,
    );
    const snapshot = await snapshotOf(server);
    expect(snapshot.blocked).toEqual([]);
    expect(snapshot.queued.map((item) => item.identifier)).toEqual(['TASK-7']);
    expect(fixture.events.some((event) => event.type === 'issue-requeued')).toBe(true);
    await page.goto(`${server.url}/#/`);
    await vi.waitFor(() => expect(cardIn(page, 'queued', 'TASK-7').count()).resolves.toBe(1), waitOptions);
    expect(await cardIn(page, 'queued', 'TASK-7').locator('.title').textContent()).toBe(hostileTitle);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    await page.screenshot({ path: path.join(artifacts, 'requeued-board.png'), fullPage: true });
  });

  const outsideAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

  it.skipIf(!outsideAddress)(
    'bound beyond loopback, a write without the token is refused; with it, it works',
    { timeout: 120_000 },
    async () => {
      const fixture = await fixtureWith({ agentCommand: 'sleep 60', tasks: [] });
      const token = 'dashboard-test-token-4f1c9a';
      const server = await serve(fixture, { host: '0.0.0.0', token });
      await fixture.orchestrator.start();
      const { port } = server.server.address() as AddressInfo;
      const base = `http://${outsideAddress}:${port}`;
      const page = await newPage();
      await page.goto(`${base}/`);
      await vi.waitFor(
        () => expect(page.locator('#token-form').isVisible()).resolves.toBe(true),
        waitOptions,
      );
      const refused = await page.evaluate(async () => {
        const response = await fetch('/api/v1/pause', { method: 'POST', body: '{}' });
        return { status: response.status, body: await response.json() };
      });
      expect(refused).toEqual({
        status: 401,
        body: { error: expect.objectContaining({ code: 'unauthorized' }) },
      });
      expect(fixture.orchestrator.snapshot().pause.paused).toBe(false);
      await page.screenshot({ path: path.join(artifacts, 'token-prompt.png'), fullPage: true });

      await page.fill('#token-input', token);
      await page.click('#token-form button[type="submit"]');
      await vi.waitFor(
        () => expect(page.locator('#connection').getAttribute('data-state')).resolves.toBe('live'),
        waitOptions,
      );
      await page.click('#pause');
      await vi.waitFor(() => expect(fixture.orchestrator.snapshot().pause.paused).toBe(true), waitOptions);
      // The token never reaches the page's address, the page's text or the state.
      expect(page.url()).not.toContain(token);
      expect(await page.content()).not.toContain(token);
    },
  );

  it('refuses a write from a page of another origin', { timeout: 120_000 }, async () => {
    const fixture = await fixtureWith({ agentCommand: 'sleep 60', tasks: [] });
    const server = await serve(fixture);
    await fixture.orchestrator.start();
    const other = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    const outcome = await page.evaluate(async (target) => {
      try {
        const response = await fetch(`${target}/api/v1/pause`, { method: 'POST', body: '{"all":true}' });
        return `answered ${response.status}`;
      } catch (error) {
        return `failed: ${(error as Error).message}`;
      }
    }, server.url);
    // Whatever the browser shows the page (an opaque failure, without CORS), the server refused.
    expect(outcome).toMatch(/^(failed|answered 403)/);
    expect(fixture.orchestrator.snapshot().pause.paused).toBe(false);
  });
});
