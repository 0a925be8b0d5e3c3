// How long an agent event takes to show on the dashboard: from the agent reporting usage to the
// card in a real headless Chromium (Debian's chromium, driven by playwright-core) showing the new
// token count. The event goes the whole way: agent backend → orchestrator event → the handler's
// board feed → server-sent event → the page's renderer → the DOM. The page records when the card
// changed with a MutationObserver (event-driven, not sampled). Goal: under 200 ms on this machine.
// Reported with two baselines measured in the same run:
// - a round trip of a plain `fetch` from the page to the same server (`GET /api/v1/state`);
// - the same SSE path with a second agent running and chatting (50 text events a second).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  type AgentEvent,
  type AgentRunOptions,
  type AgentRunResult,
  createOrchestrator,
  emptyTokenUsage,
} from '../packages/core/src/index.js';
import { startLoompaHttpServer } from '../packages/dashboard/src/index.js';
import { ensureChromium } from '../packages/dashboard/test/ensure-chromium.js';
import { createTestIssue, MockAgentBackend, MockTracker } from '../packages/testkit/src/index.js';

const samples = 60;

/** An agent whose runs last until cancelled and whose events the benchmark sends. */
function remoteControlledAgent() {
  const emitters = new Map<string, (event: AgentEvent) => void>();
  const agent = new MockAgentBackend({
    run: (options: AgentRunOptions) =>
      new Promise<AgentRunResult>((resolve) => {
        emitters.set(options.cwd, (event) => options.onEvent?.(event));
        options.abortSignal?.addEventListener(
          'abort',
          () =>
            resolve({
              status: 'cancelled',
              sessionId: null,
              usage: emptyTokenUsage(),
              costUsd: null,
              turns: 1,
              finalText: null,
              error: { kind: 'cancelled', message: 'stopped by the benchmark' },
            }),
          { once: true },
        );
      }),
  });
  const emitterFor = (identifier: string) =>
    [...emitters.entries()].find(([cwd]) => path.basename(cwd) === identifier)?.[1] ?? null;
  return { agent, emitterFor };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], share: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))]!;

const lookup = await ensureChromium();
if (!lookup.executablePath) {
  console.log(`dashboard-latency: no browser (${lookup.reason}); nothing measured`);
  process.exit(0);
}
const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-bench-dashboard-'));
const repository = path.join(root, 'repository');
await mkdir(repository, { recursive: true });
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], {
    cwd: repository,
    stdio: 'pipe',
  });
git('init', '--quiet', '--initial-branch=main');
await writeFile(path.join(repository, 'README.md'), '# bench\n');
git('add', 'README.md');
git('commit', '--quiet', '-m', 'initial');
const frontMatter = {
  tracker: { kind: 'mock' },
  repository: { path: repository },
  workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
  polling: { interval_ms: 3_600_000 },
  agent: { kind: 'mock', stall_timeout_ms: 0 },
};
const workflowPath = path.join(root, 'WORKFLOW.md');
await writeFile(workflowPath, `---\n${JSON.stringify(frontMatter, null, 2)}\n---\nWork\n`);
const { agent, emitterFor } = remoteControlledAgent();
const tracker = new MockTracker({
  issues: [
    createTestIssue({ identifier: 'LAT-1', priority: 1 }),
    createTestIssue({ identifier: 'LAT-2', priority: 2 }),
  ],
});
const orchestrator = createOrchestrator({
  workflowPath,
  trackers: { mock: tracker },
  agents: { mock: agent },
});
const server = await startLoompaHttpServer({ orchestrator, token: null });
const browser = await chromium.launch({ executablePath: lookup.executablePath, args: ['--no-sandbox'] });

try {
  await orchestrator.start();
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  // In-page code as text: this program is type-checked without the DOM's types.
  await page.evaluate(`(() => {
    window.tokensSeenAt = {};
    new MutationObserver(() => {
      const card = document.querySelector('[data-issue="LAT-1"]');
      const tokens = card && card.dataset.tokens;
      if (tokens && !(tokens in window.tokensSeenAt)) window.tokensSeenAt[tokens] = Date.now();
    }).observe(document.getElementById('board'), { childList: true, subtree: true, attributes: true });
  })()`);
  let emit: ((event: AgentEvent) => void) | null = null;
  while (!emit) {
    emit = emitterFor('LAT-1');
    if (!emit) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await page.waitForSelector('#connection[data-state="live"]');

  const measure = async (label: string, offset: number) => {
    const latencies: number[] = [];
    for (let sample = 1; sample <= samples; sample++) {
      const tokens = offset + sample;
      const sentAt = Date.now();
      emit!({ type: 'usage', usage: { ...emptyTokenUsage(), inputTokens: tokens }, costUsd: null });
      await page.waitForFunction(
        (key) =>
          (globalThis as unknown as { tokensSeenAt: Record<string, number> }).tokensSeenAt[key] !== undefined,
        String(tokens),
      );
      latencies.push(((await page.evaluate(`window.tokensSeenAt['${tokens}']`)) as number) - sentAt);
      // Apart, so each sample is one event and not a coalesced burst.
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    return { label, latencies };
  };

  const fetchRoundTrips: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    fetchRoundTrips.push(
      (await page.evaluate(
        `(async () => { const started = performance.now(); await (await fetch('/api/v1/state')).json(); return performance.now() - started; })()`,
      )) as number,
    );
  }
  const quiet = await measure('one agent, quiet', 0);
  const chatter = emitterFor('LAT-2');
  const chatting = setInterval(() => chatter?.({ type: 'text', text: 'thinking out loud '.repeat(20) }), 20);
  const busy = await measure('a second agent chatting 50 events/s', 1_000);
  clearInterval(chatting);

  const goalMs = 200;
  const baseline = median(fetchRoundTrips);
  console.log(`dashboard-latency: agent event → card updated in headless Chromium (${samples} samples each)`);
  console.log(`  baseline: fetch round trip from the page, median ${baseline.toFixed(1)} ms`);
  for (const { label, latencies } of [quiet, busy]) {
    const middle = median(latencies);
    console.log(
      `  ${label}: median ${middle} ms, p95 ${percentile(latencies, 0.95)} ms, max ${Math.max(...latencies)} ms; ` +
        `${(middle / goalMs).toFixed(2)}× the ${goalMs} ms goal, ${(middle / Math.max(baseline, 0.1)).toFixed(1)}× a fetch round trip`,
    );
  }
} finally {
  await browser.close();
  await server.close();
  await orchestrator.stop();
  await rm(root, { recursive: true, force: true });
}
