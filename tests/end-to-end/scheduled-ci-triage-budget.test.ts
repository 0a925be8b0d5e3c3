import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { budgetPlugin } from '@loompa/budget';
import { createTestRunResult, MockAgentBackend } from '@loompa/testkit';
import { describe, expect, it, vi } from 'vitest';
import { createLoop, loopTimeout, tickUntil } from './fixtures/change-request-loop-fixture.js';

/**
 * The read-only triage agent spends like any other agent run: its cost and tokens land in the
 * real budget ledger (activity `ci-triage`), and an exhausted limit keeps the next triage run
 * from starting at all. scm-local's "workflow" is the configured checks on the tip of main;
 * the triage agent is a mock reporting the cost a test needs.
 */

const triageUsage = { inputTokens: 4000, outputTokens: 600, cacheReadTokens: 100, cacheWriteTokens: 0 };

/** A check failing with the test named in broken.txt, so each new name is a new root cause. */
const failingCheck = {
  name: 'unit',
  command:
    'if [ -f broken.txt ]; then echo " FAIL  src/parse.test.ts > parse > $(cat broken.txt)"; echo "AssertionError: $(cat broken.txt) failed"; exit 1; fi; echo ok',
};

async function createTriageLoop(costUsd: number) {
  const analyst = new MockAgentBackend({
    run: createTestRunResult({
      costUsd,
      usage: triageUsage,
      finalText:
        'ROOT CAUSE: the parser rejects an empty string\nCULPRIT COMMIT: unknown\nSUGGESTED FIX: accept it',
    }),
  });
  const fixture = await createLoop({
    tasks: [],
    repositoryFiles: { 'broken.txt': 'accepts an empty string\n' },
    agentScript: 'exit 0',
    scm: { checks: [failingCheck] },
    agents: { analyst },
    budget: budgetPlugin,
    workflow: {
      tracker: {
        kind: 'markdown',
        active_states: ['todo'],
        terminal_states: ['done'],
        required_labels: ['work'],
      },
      triage: { workflows: ['main'], interval_ms: 1, labels: ['ci-triage'], agent: 'analyst' },
      budget: { limit_usd: 1 },
    },
  });
  const ledger = () =>
    readFileSync(path.join(fixture.root, 'state', 'cost-ledger.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { fixture, analyst, ledger };
}

describe('scheduled CI triage and the budget', () => {
  it('records the triage agent run in the ledger and shows its cost in the snapshot', {
    timeout: 120_000,
  }, async () => {
    const { fixture, analyst, ledger } = await createTriageLoop(0.4);
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(1));
    const head = fixture.git('rev-parse', 'main');
    expect(analyst.recorder.callsOf('run')).toHaveLength(1);
    expect(ledger()).toEqual([
      expect.objectContaining({
        issueId: `ci-triage:main@${head}`,
        activity: 'ci-triage',
        agentKind: 'analyst',
        costUsd: 0.4,
        costSource: 'agent',
        usage: triageUsage,
      }),
    ]);
    const triage = fixture.orchestrator.snapshot().continuousIntegration.triage;
    expect(triage).toMatchObject({ workflows: ['main'], budgetDenied: null, inProgress: [] });
    expect(triage.runsSeen).toBeGreaterThanOrEqual(1);
    expect(triage.finished).toEqual([
      expect.objectContaining({
        runId: `main@${head}`,
        workflow: 'main',
        headSha: head,
        stage: 'filed',
        costUsd: 0.4,
        usage: triageUsage,
        trackerIssue: {
          identifier: fixture.eventsOf('ci-triage-finished')[0]!.trackerIssueIdentifier,
          url: expect.stringMatching(/^file:/),
        },
      }),
    ]);
    const status = await fixture.orchestrator.budgetStatus();
    expect(status?.spentUsd).toBeCloseTo(0.4);
  });

  it('starts no triage run once the budget limit is reached', { timeout: 120_000 }, async () => {
    const { fixture, analyst, ledger } = await createTriageLoop(1.5);
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(1));
    expect(ledger().map((entry) => entry.costUsd)).toEqual([1.5]);

    // A new root cause on main: triage would run the agent again, but $1.50 of $1.00 is spent.
    await writeFile(path.join(fixture.repository, 'broken.txt'), 'rejects a null\n');
    fixture.git('commit', '--quiet', '-am', 'Break another test');
    await vi.waitFor(async () => {
      await fixture.orchestrator.tick();
      expect(fixture.orchestrator.snapshot().continuousIntegration.triage.budgetDenied).toMatch(/limit/);
    }, loopTimeout);
    for (let tick = 0; tick < 3; tick++) await fixture.orchestrator.tick();
    expect(fixture.eventsOf('ci-triage-started')).toHaveLength(1);
    expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(1);
    expect(analyst.recorder.callsOf('run')).toHaveLength(1);
    expect(ledger()).toHaveLength(1);
    // Each look reads the run's logs before the budget says no; with no tick, the last look ends.
    await vi.waitFor(
      () => expect(fixture.orchestrator.snapshot().continuousIntegration.triage.inProgress).toEqual([]),
      loopTimeout,
    );
  });
});
