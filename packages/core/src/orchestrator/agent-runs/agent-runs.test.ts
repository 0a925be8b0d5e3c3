import { createTestIssue, createTestRunResult, MockAgentBackend, MockBudget } from '@loompa/testkit';
import { describe, expect, it, vi } from 'vitest';
import { type OrchestratorEvent, OrchestratorEvents } from '../../events/orchestrator-events.js';
import { generalFocus } from '../../focus/built-in-foci.js';
import { createSilentLogger } from '../../logging/logger.js';
import { registerSecret } from '../../secrets/redact-secrets.js';
import type { AgentRunOptions } from '../../specifications/agent-backend.js';
import { emptyTokenUsage } from '../../specifications/common.js';
import { BudgetGate } from '../budget-gate.js';
import { AgentRuns } from './agent-runs.js';

const agent = { focus: generalFocus, profile: null, agentKind: 'mock', model: 'model-a' };
const usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 };
const runOptions = { cwd: '/tmp', env: {} };

function setup(budget: MockBudget | null = null) {
  const events = new OrchestratorEvents();
  const published: OrchestratorEvent[] = [];
  events.on('event', (event) => published.push(event));
  let now = 1_000;
  const runs = new AgentRuns({
    events,
    logger: createSilentLogger(),
    budget: () => budget,
    budgetGate: new BudgetGate({ budget: () => budget, events }),
    hasBudget: budget !== null,
    now: () => now,
  });
  return {
    runs,
    published,
    typesPublished: () => published.map((event) => event.type),
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
  };
}

describe('AgentRuns', () => {
  it('takes a slot per run, gives it back at the end, and tells whoever waits for all runs', async () => {
    const { runs, advance } = setup();
    const first = runs.begin(createTestIssue({ state: 'Todo' }), null, agent, 'attempt');
    const second = runs.begin(createTestIssue({ state: 'In Review' }), 2, agent, 'reaction');
    expect(runs.size).toBe(2);
    expect(runs.states()).toEqual(['Todo', 'In Review']);
    let idle = false;
    const waiting = runs.waitForIdle().then(() => {
      idle = true;
    });
    advance(250);
    runs.accountRuntime(first);
    runs.end(first);
    await Promise.resolve();
    expect(idle).toBe(false);
    runs.end(second);
    await waiting;
    expect(runs.snapshot(2_000).totals.runtimeMs).toBe(250);
  });

  it('stops a run once, aborting its signal with the reason', () => {
    const { runs } = setup();
    const item = runs.begin(createTestIssue(), null, agent, 'attempt');
    runs.requestStop(item, { kind: 'reconcile', reason: 'the issue was closed', removeWorkspace: true });
    runs.requestStop(item, { kind: 'shutdown', reason: 'later', removeWorkspace: false });
    expect(item.stopRequest).toMatchObject({ kind: 'reconcile', removeWorkspace: true });
    expect(item.phase).toBe('stopping');
    expect(item.abortController.signal.reason).toBe('the issue was closed');
  });

  it('continues the session with the short prompt when the backend can resume', async () => {
    const { runs, typesPublished } = setup();
    const backend = new MockAgentBackend({
      run: createTestRunResult(),
      resume: createTestRunResult({ sessionId: 'session-2', usage, costUsd: 0.1 }),
    });
    const item = runs.begin(createTestIssue(), null, agent, 'reaction');
    item.sessionId = 'session-1';
    const fresh = vi.fn(() => 'the whole prompt');
    await runs.runOnce(item, backend, runOptions, { continued: 'just the feedback', fresh }, 1);
    expect(fresh).not.toHaveBeenCalled();
    expect(backend.recorder.callsOf<AgentRunOptions & { sessionId: string }>('resume')[0]).toMatchObject({
      prompt: 'just the feedback',
      sessionId: 'session-1',
    });
    expect(item).toMatchObject({ sessionId: 'session-2', turns: 1, finishedCostUsd: 0.1 });
    expect(typesPublished()).toEqual(['agent-run-started', 'agent-run-finished']);
    expect(runs.snapshot(0).totals).toMatchObject({ costUsd: 0.1, runs: 1, usage });
  });

  it('starts fresh with the whole prompt without a session', async () => {
    const { runs } = setup();
    const backend = new MockAgentBackend({ run: createTestRunResult(), resume: createTestRunResult() });
    const item = runs.begin(createTestIssue(), null, agent, 'reaction');
    await runs.runOnce(item, backend, runOptions, { continued: 'feedback', fresh: () => 'whole' }, 1);
    expect(backend.recorder.callsOf<AgentRunOptions>('run')[0]!.prompt).toBe('whole');
    expect(backend.recorder.callsOf('resume')).toEqual([]);
  });

  it('records every finished run in the ledger and warns about a run without a cost', async () => {
    const budget = new MockBudget({ check: { allowed: true, remainingUsd: null } });
    const { runs, published } = setup(budget);
    const issue = createTestIssue({ id: 'issue-5', identifier: 'LED-5' });
    const item = runs.begin(issue, null, agent, 'reaction');
    item.activity = 'review';
    const backend = new MockAgentBackend({ run: createTestRunResult({ costUsd: null, usage }) });
    await runs.runOnce(item, backend, runOptions, { continued: '', fresh: () => 'prompt' }, 3);
    expect(budget.entries).toEqual([
      expect.objectContaining({
        issueId: 'issue-5',
        id: `issue-5:${item.startedAt.getTime()}:review:3`,
        activity: 'review',
        model: 'model-a',
        costSource: 'unknown',
      }),
    ]);
    expect(published.filter((event) => event.type === 'budget-warning')).toHaveLength(1);
  });

  it('stops a streaming run whose cost crosses a limit, and redacts what the agent echoes', async () => {
    registerSecret('agent-runs-test-secret-value');
    const budget = new MockBudget({
      check: ({ inFlightCostUsd }) =>
        (inFlightCostUsd ?? 0) > 1
          ? {
              allowed: false,
              reason: 'per-issue limit',
              limit: 'per_issue_usd',
              scope: 'issue',
              retryAt: null,
            }
          : { allowed: true, remainingUsd: null },
    });
    const { runs, published } = setup(budget);
    const item = runs.begin(createTestIssue(), null, agent, 'attempt');
    const reporters = runs.attemptReporters(item);
    reporters.reportAgentEvent({ type: 'text', text: 'found agent-runs-test-secret-value in .env' });
    reporters.reportAgentEvent({ type: 'usage', usage: emptyTokenUsage(), costUsd: 0.5 });
    reporters.reportAgentEvent({ type: 'usage', usage, costUsd: 1.5 });
    await vi.waitFor(() =>
      expect(item.stopRequest).toMatchObject({ kind: 'budget', reason: 'per-issue limit' }),
    );
    const texts = published.flatMap((event) =>
      event.type === 'agent-event' && event.payload.event.type === 'text' ? [event.payload.event.text] : [],
    );
    expect(texts).toEqual(['found [REDACTED] in .env']);
    expect(runs.snapshot(0).running[0]).toMatchObject({ costUsd: 1.5, usage });
  });
});
