import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOrchestrator, type Orchestrator } from '@loompa/core';
import { localScm } from '@loompa/scm-local';
import { createFakeGitHub, type FakeGitHub } from '@loompa/testkit';
import { gitHubTrackerPlugin } from '@loompa/tracker-github';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { startLoompaHttpServer } from '../src/index.js';
import { ensureChromium } from './ensure-chromium.js';

/**
 * The CI cards in Debian's headless Chromium against a real orchestrator: issues on the fake
 * GitHub, scm-local running a real check command that fails once per commit (a Jest timeout),
 * and a shell agent. The item page's CI card shows the check classified flaky, re-run, then
 * passed on re-run; the board lists the triage run of the failing main branch with a link to
 * the issue it filed on GitHub, and the flaky test. Hostile text from logs and the agent stays
 * text. Screenshots go to `test-artifacts/dashboard/`.
 */

const artifacts = path.resolve(fileURLToPath(import.meta.url), '../../../../test-artifacts/dashboard');
const lookup = await ensureChromium();
const waitOptions = { timeout: 90_000, interval: 100 };
const repositoryName = 'acme/widgets';
const tokenVariable = 'LOOMPA_DASHBOARD_CI_GITHUB_TOKEN';
const hostileTest = '<img src=x onerror="window.pwned=1"> uploads & retries';

let browser: Browser | null = null;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (!lookup.executablePath) return;
  await mkdir(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: lookup.executablePath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 120_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  delete process.env[tokenVariable];
});
afterAll(async () => {
  await browser?.close();
});

/**
 * A check that fails the first time it runs on a commit, with a Jest timeout, and passes after
 * (taking a few seconds, so the page has a moment to show the re-run under way).
 */
function failsOncePerCommit(root: string): string {
  const marker = path.join(root, 'unit-ran-on-');
  const lines = [
    `  ● upload › ${hostileTest}`,
    '',
    '    thrown: "Exceeded timeout of 5000 ms for a test.',
    'Tests:       1 failed, 30 passed, 31 total',
  ]
    .map((line) => `echo '${line.replaceAll("'", "'\\''")}'`)
    .join('; ');
  return `if [ -f "${marker}$LOOMPA_HEAD_SHA" ]; then sleep 3; echo "all passed"; else touch "${marker}$LOOMPA_HEAD_SHA"; ${lines}; exit 1; fi`;
}

async function createCiScenario(): Promise<{
  orchestrator: Orchestrator;
  fake: FakeGitHub;
  issueNumber: number;
}> {
  const fake = await createFakeGitHub({ repositories: [repositoryName] });
  cleanups.push(() => fake.close());
  process.env[tokenVariable] = fake.createToken('loompa-bot');
  // The work item is "in progress" (the only active state here), so the triage issue, which
  // opens as "todo", waits for a person instead of being dispatched.
  const work = fake.seedIssue(repositoryName, {
    title: 'Store the answer',
    body: 'Write answer.txt.',
    labels: ['loompa', 'loompa:in-progress'],
  });
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-dashboard-ci-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const repository = path.join(root, 'repository');
  await mkdir(repository);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], {
      cwd: repository,
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, '.gitignore'), '.loompa/\n');
  await writeFile(path.join(repository, 'README.md'), '# widgets\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  const agentScript = path.join(root, 'agent.sh');
  await writeFile(
    agentScript,
    [
      'prompt=$(cat)',
      'case "$prompt" in',
      '  *"read-only investigation"*)',
      `    echo 'ROOT CAUSE: the upload test waits on a slow server <script>window.pwned=2</script>'`,
      '    echo "CULPRIT COMMIT: $(git log -1 --format=%H)"',
      '    echo "SUGGESTED FIX: stub the server" ;;',
      '  *) echo 42 > answer.txt ;;',
      'esac',
    ].join('\n'),
  );
  const connection = { repository: repositoryName, api_url: fake.url, token_variable: tokenVariable };
  const workflow = {
    tracker: {
      ...connection,
      kind: 'github',
      required_labels: ['loompa'],
      active_states: ['in progress'],
    },
    scm: {
      kind: 'local',
      base_branch: 'main',
      checks: [{ name: 'unit', command: failsOncePerCommit(root) }],
    },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: { kind: 'command', continuation_delay_ms: 3_600_000 },
    command: { command: `sh ${agentScript}` },
    triage: { workflows: ['main'], interval_ms: 1, labels: ['ci-triage'] },
  };
  const workflowPath = path.join(root, 'WORKFLOW.md');
  await writeFile(workflowPath, `---\n${stringify(workflow)}---\nWork on {{ issue.identifier }}\n`);
  const orchestrator = createOrchestrator({
    workflowPath,
    trackers: { github: gitHubTrackerPlugin },
    scms: { local: localScm },
  });
  cleanups.push(() => orchestrator.stop());
  return { orchestrator, fake, issueNumber: work.number };
}

/** Ticks until `condition` holds: checks, re-runs and the triage agent run between ticks. */
async function tickUntil(orchestrator: Orchestrator, condition: () => Promise<void>): Promise<void> {
  await vi.waitFor(async () => {
    await orchestrator.tick();
    await condition();
  }, waitOptions);
}

describe.skipIf(!lookup.executablePath)('the CI cards in a real headless Chromium', () => {
  it('shows a flaky check re-run and passed on re-run, the triage run with its issue link, and the flaky test', {
    timeout: 240_000,
  }, async () => {
    const { orchestrator, fake, issueNumber } = await createCiScenario();
    const server = await startLoompaHttpServer({ orchestrator, token: null });
    cleanups.push(() => server.close());
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    cleanups.push(() => context.close());
    const page: Page = await context.newPage();
    const identifier = `#${issueNumber}`;
    await orchestrator.start();
    await page.goto(`${server.url}/#/item/${encodeURIComponent(identifier)}`);
    await vi.waitFor(
      () => expect(page.locator('#connection').getAttribute('data-state')).resolves.toBe('live'),
      waitOptions,
    );
    // Every state the page drew for the check, in order (in-page code as text: this program is
    // type-checked without the DOM's types).
    await page.evaluate(`(() => {
      const seen = [];
      window.checkStatesSeen = seen;
      const record = () => {
        const check = document.querySelector('#item-ci-checks li[data-check="unit"]');
        if (check && seen.at(-1) !== check.dataset.state) seen.push(check.dataset.state);
      };
      new MutationObserver(record).observe(document.getElementById('item-ci-checks'), { childList: true, subtree: true });
    })()`);

    const checkCard = page.locator('#item-ci-checks li[data-check="unit"]');
    await tickUntil(orchestrator, () =>
      expect(checkCard.getAttribute('data-state')).resolves.toMatch(/^(rerun-requested|rerunning)$/),
    );
    expect(await checkCard.getAttribute('data-classification')).toBe('flaky');
    expect(await checkCard.textContent()).toMatch(/unit: flaky · re-run/);
    await page.screenshot({ path: path.join(artifacts, 'ci-check-rerunning.png'), fullPage: true });

    await tickUntil(orchestrator, () =>
      expect(checkCard.getAttribute('data-state')).resolves.toBe('passed-on-rerun'),
    );
    expect(await checkCard.textContent()).toContain('unit: flaky · passed on re-run');
    expect(await checkCard.textContent()).toContain(hostileTest);
    const seen = (await page.evaluate('window.checkStatesSeen')) as string[];
    expect(seen.at(-1)).toBe('passed-on-rerun');
    expect(seen.some((state) => state === 'rerun-requested' || state === 'rerunning')).toBe(true);
    expect(seen).not.toContain('sent-to-agent');
    await page.screenshot({ path: path.join(artifacts, 'ci-check-passed-on-rerun.png'), fullPage: true });
    // The snapshot over the API says the same, and no fix attempt was spent.
    const state = (await (await fetch(`${server.url}/api/v1/state`)).json()) as {
      awaiting: Array<{ identifier: string; checks: Array<{ checkName: string; state: string }> }>;
    };
    expect(state.awaiting.find((item) => item.identifier === identifier)?.checks).toEqual([
      expect.objectContaining({ checkName: 'unit', classification: 'flaky', state: 'passed-on-rerun' }),
    ]);
    // The item's history says what happened to its checks.
    const item = (await (await fetch(`${server.url}/api/v1/${encodeURIComponent(identifier)}`)).json()) as {
      history: { entries: Array<{ text: string }> };
    };
    expect(item.history.entries.map((entry) => entry.text)).toEqual(
      expect.arrayContaining([
        'failed checks classified: unit flaky',
        're-ran unit (flaky) once; no fix attempt',
      ]),
    );

    // The board: main failed once too, so a triage run filed an issue on GitHub.
    await page.goto(`${server.url}/#/`);
    const filed = page.locator('#ci-triage-runs li[data-stage="filed"]');
    await tickUntil(orchestrator, () => expect(filed.count()).resolves.toBe(1));
    const triageIssue = [...fake.repository(repositoryName).issues.values()].find((issue) =>
      issue.title.startsWith('CI triage'),
    )!;
    const link = filed.locator('a.issue-link');
    expect(await link.textContent()).toBe(`#${triageIssue.number}`);
    expect(await link.getAttribute('href')).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${repositoryName}/issues/${triageIssue.number}$`),
    );
    expect(await filed.textContent()).toMatch(/main at [0-9a-f]{12} · issue filed/);
    // The command agent reports no cost; its run is in the card all the same.
    expect(await filed.locator('.meta').textContent()).toMatch(
      /^cause [0-9a-f]{16} · cost not reported · \d+ tokens$/,
    );
    expect(await page.locator('#notice').isHidden()).toBe(true);
    await vi.waitFor(
      () =>
        expect(page.locator('#ci-flaky-tests li').first().textContent()).resolves.toContain(
          `upload › ${hostileTest}`,
        ),
      waitOptions,
    );
    expect(await page.locator('#ci-triage-summary').textContent()).toMatch(
      /^Watching main · \d+ runs? seen, 1 failed/,
    );
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.locator('#ci img, #item-ci img, #ci script').count()).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'ci-board-triage-and-flaky.png'), fullPage: true });
  });
});
