import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { budgetPlugin } from '@loompa/budget';
import {
  type AgentRunOptions,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
} from '@loompa/core';
import { createTestIssue, createTestRunResult, MockAgentBackend, MockTracker } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';

/**
 * The orchestrator with the real budget plugin and ledger. The agent is a mock that reports
 * the costs a test needs: the agent is not what these tests are about.
 */

const waitOptions = { timeout: 20_000, interval: 50 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function createBudgetedOrchestrator(options: {
  issueCount: number;
  budget: Record<string, unknown>;
  agent: MockAgentBackend;
}) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-budget-'));
  const repository = path.join(root, 'repository');
  await mkdir(repository);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repository });
  execFileSync(
    'git',
    [
      '-c',
      'user.name=P',
      '-c',
      'user.email=p@example.com',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'initial',
    ],
    {
      cwd: repository,
    },
  );
  const workflowPath = path.join(root, 'WORKFLOW.md');
  const frontMatter = (budget: Record<string, unknown>) => ({
    tracker: { kind: 'mock' },
    repository: { path: repository },
    workspace: { root: path.join(root, 'workspaces'), state_directory: path.join(root, 'state') },
    polling: { interval_ms: 3_600_000 },
    agent: {
      kind: 'mock',
      model: 'model-a',
      max_concurrent_agents: 1,
      max_turns: 1,
      continuation_delay_ms: 3_600_000,
    },
    budget,
  });
  const writeWorkflow = (budget: Record<string, unknown>) =>
    writeFile(workflowPath, `---\n${stringify(frontMatter(budget))}---\nDo {{ issue.title }}\n`);
  await writeWorkflow(options.budget);
  const issues = Array.from({ length: options.issueCount }, (_, index) =>
    createTestIssue({
      id: `issue-${index + 1}`,
      identifier: `BUD-${index + 1}`,
      priority: 1,
      title: `Task ${index + 1}`,
    }),
  );
  const tracker = new MockTracker({ issues });
  const orchestrator: Orchestrator = createOrchestrator({
    workflowPath,
    trackers: { mock: tracker },
    agents: { mock: options.agent },
    budget: budgetPlugin,
  });
  const events: OrchestratorEvent[] = [];
  orchestrator.events.on('event', (event) => events.push(event));
  cleanups.push(async () => {
    await orchestrator.stop();
    await rm(root, { recursive: true, force: true });
  });
  return {
    orchestrator,
    tracker,
    writeWorkflow,
    eventsOf: <Name extends keyof OrchestratorEventMap>(name: Name) =>
      events
        .filter((event) => event.type === name)
        .map((event) => event.payload as OrchestratorEventMap[Name]),
    ledger: () =>
      readFileSync(path.join(root, 'state', 'cost-ledger.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
  };
}

const costing = (costUsd: number) =>
  createTestRunResult({
    costUsd,
    usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 50, cacheWriteTokens: 0 },
  });

describe('budget enforcement', () => {
  it('records each run with its attribution and cost source', async () => {
    const setup = await createBudgetedOrchestrator({
      issueCount: 1,
      budget: {},
      agent: new MockAgentBackend({ run: costing(0.25) }),
    });
    await setup.orchestrator.runOnce();
    const [entry] = setup.ledger();
    expect(entry).toMatchObject({
      issueId: 'issue-1',
      issueIdentifier: 'BUD-1',
      activity: 'run',
      focus: 'general',
      agentKind: 'mock',
      model: 'model-a',
      costUsd: 0.25,
      costSource: 'agent',
      usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 50, cacheWriteTokens: 0 },
    });
  });

  it('denies dispatch once spend reaches the limit, keeps the issue queued, announces it once, and resumes when the limit is raised', async () => {
    const setup = await createBudgetedOrchestrator({
      issueCount: 3,
      budget: { limit_usd: 1 },
      agent: new MockAgentBackend({ run: () => costing(0.5) }),
    });
    await setup.orchestrator.start();
    // The first attempt has given its only slot back once its continuation is scheduled; a
    // finished agent run alone still holds the slot while the ledger and the record are written.
    await vi.waitFor(() => expect(setup.eventsOf('retry-scheduled')).toHaveLength(1), waitOptions);
    await setup.orchestrator.runOnce();
    expect(setup.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual([
      'BUD-1',
      'BUD-2',
    ]);

    await setup.orchestrator.runOnce();
    await setup.orchestrator.runOnce();
    expect(setup.eventsOf('issue-dispatched')).toHaveLength(2);
    expect(setup.eventsOf('budget-exceeded')).toHaveLength(1);
    expect(setup.eventsOf('budget-exceeded')[0]!.decision).toMatchObject({
      limit: 'limit_usd',
      scope: 'global',
    });
    expect(setup.orchestrator.snapshot().budget).toMatchObject({ paused: true });
    expect(setup.orchestrator.snapshot().budget.reason).toContain('$1.00');
    expect(setup.eventsOf('issue-released')).toEqual([]);

    await setup.writeWorkflow({ limit_usd: 5 });
    await vi.waitFor(() => expect(setup.eventsOf('workflow-reloaded')).toHaveLength(1), waitOptions);
    await setup.orchestrator.runOnce();
    expect(setup.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual([
      'BUD-1',
      'BUD-2',
      'BUD-3',
    ]);
    expect(setup.orchestrator.snapshot().budget.paused).toBe(false);
  });

  it('stops a streaming run that crosses the per-issue limit', async () => {
    let aborted = false;
    const agent = new MockAgentBackend({
      run: (options: AgentRunOptions) =>
        new Promise((resolve) => {
          let cost = 0;
          const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
          const timer = setInterval(() => {
            cost += 0.1;
            usage.outputTokens += 100;
            options.onEvent?.({ type: 'usage', usage: { ...usage }, costUsd: cost });
          }, 20);
          options.abortSignal?.addEventListener('abort', () => {
            aborted = true;
            clearInterval(timer);
            resolve(
              createTestRunResult({
                status: 'cancelled',
                costUsd: cost,
                error: { kind: 'cancelled', message: 'stopped' },
              }),
            );
          });
        }),
    });
    const setup = await createBudgetedOrchestrator({ issueCount: 1, budget: { per_issue_usd: 0.35 }, agent });
    await setup.orchestrator.runOnce();
    expect(aborted).toBe(true);
    const released = setup.eventsOf('issue-released');
    expect(released).toHaveLength(1);
    expect(released[0]!.reason).toMatch(/per_issue|issue/);
    const [entry] = setup.ledger();
    expect(entry.costUsd).toBeGreaterThanOrEqual(0.35);
    expect(entry.costUsd).toBeLessThan(0.9);
    expect(setup.eventsOf('retry-scheduled')).toEqual([]);
  });
});
