import { createTestIssue, MockAgentBackend, MockBudget, MockTracker } from '@loompa/testkit';
import { describe, expect, it, vi } from 'vitest';
import { type OrchestratorEvent, OrchestratorEvents } from '../../events/orchestrator-events.js';
import { createDefaultFocusMatcher } from '../../focus/default-focus-matcher.js';
import { createSilentLogger } from '../../logging/logger.js';
import type { BudgetDecision } from '../../specifications/budget.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import { createMemoryStore } from '../../store/orchestrator-store.js';
import { parseWorkflow } from '../../workflow/load-workflow.js';
import { createInProcessRunner } from '../agent-runs/in-process-runner.js';
import { freshChangeRequestHistory, storeKeyFor } from '../work-item-record.js';
import { effectiveOutcome } from './attempt-driver.js';
import { blockIssue } from './block-issue.js';
import { WorkItemDriver } from './work-item-driver.js';

/**
 * The driver in a dry run: it decides and announces, but starts no agent and touches no git,
 * so the moves between phases are seen without processes.
 */

const workflow = parseWorkflow(
  '---\ntracker:\n  kind: mock\n  needs_human_label: needs-human\nagent:\n  kind: mock\n  max_concurrent_agents: 2\n---\nWork\n',
  '/srv/WORKFLOW.md',
);

function driverWith(options: {
  issues: Issue[];
  budget?: MockBudget;
  hasScm?: boolean;
  dryRun?: boolean;
  getIssues?: (options: { ids: readonly string[] }) => Promise<Issue[]>;
}) {
  const tracker = new MockTracker({
    issues: options.issues,
    ...(options.getIssues ? { getIssues: options.getIssues } : {}),
  });
  const events = new OrchestratorEvents();
  const published: OrchestratorEvent[] = [];
  events.on('event', (event) => published.push(event));
  const driver = new WorkItemDriver({
    workflow: () => workflow,
    tracker: () => tracker,
    scm: () => null,
    agentFor: () => new MockAgentBackend(),
    runner: () => createInProcessRunner(),
    budget: () => options.budget ?? null,
    hasBudget: options.budget !== undefined,
    hasScm: options.hasScm ?? false,
    agentEnvironment: () => ({}),
    agentStateDirectory: async () => '/nonexistent',
    workspaces: () => {
      throw new Error('a dry run touches no workspace');
    },
    focusMatcher: createDefaultFocusMatcher(),
    events,
    logger: createSilentLogger(),
    dryRun: options.dryRun ?? true,
    lifecycle: { started: false, stopping: false, draining: false },
    now: () => 0,
    ready: async () => {},
  });
  const dispatched = () =>
    published.flatMap((event) => (event.type === 'issue-dispatched' ? [event.payload.issueIdentifier] : []));
  return { driver, tracker, published, dispatched };
}

const changeRequest: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: null,
  branch: 'loompa/DRV-2',
  baseBranch: 'main',
  title: 'DRV-2',
  state: 'open',
};

describe('WorkItemDriver', () => {
  it('dispatches eligible candidates in order, as many as the slots allow', async () => {
    const issues = [3, 1, 2].map((priority, index) =>
      createTestIssue({ id: `issue-${index}`, identifier: `DRV-${index}`, priority }),
    );
    const { driver, dispatched } = driverWith({ issues });
    await driver.restore(createMemoryStore());
    expect(await driver.runTick()).toEqual({ dispatched: 2, candidates: 3 });
    expect(dispatched()).toEqual(['DRV-1', 'DRV-2']);
  });

  it('restores blocked issues and watches change requests again only with an SCM provider', async () => {
    const backend = createMemoryStore();
    const base = { failures: 0, sessionId: null, ...freshChangeRequestHistory };
    await backend.set(storeKeyFor('issue-1'), {
      ...base,
      issueId: 'issue-1',
      identifier: 'DRV-1',
      blocked: { reason: 'three failures', fingerprint: 'old', since: '2026-01-01T00:00:00Z' },
    });
    await backend.set(storeKeyFor('issue-2'), {
      ...base,
      issueId: 'issue-2',
      identifier: 'DRV-2',
      blocked: null,
      changeRequest,
    });
    const withScm = driverWith({ issues: [], hasScm: true });
    await withScm.driver.restore(backend);
    expect([...withScm.driver.phases.store.blockedIds()]).toEqual(['issue-1']);
    expect([...withScm.driver.phases.supervisor.ids()]).toEqual(['issue-2']);
    const withoutScm = driverWith({ issues: [], hasScm: false });
    await withoutScm.driver.restore(backend);
    expect(withoutScm.driver.phases.supervisor.size).toBe(0);
  });

  it('pauses dispatch on a global budget denial and resumes once a round is denied nothing', async () => {
    let decision: BudgetDecision = {
      allowed: false,
      reason: 'limit of $1.00 reached',
      limit: 'limit_usd',
      scope: 'global',
      retryAt: null,
    };
    const budget = new MockBudget({ check: () => decision });
    const { driver, dispatched } = driverWith({ issues: [createTestIssue({ identifier: 'DRV-7' })], budget });
    await driver.restore(createMemoryStore());
    expect(await driver.runTick()).toEqual({ dispatched: 0, candidates: 1 });
    expect(driver.phases.budgetGate.paused).toBe(true);
    decision = { allowed: true, remainingUsd: 3 };
    await driver.runTick();
    expect(dispatched()).toEqual(['DRV-7']);
    expect(driver.phases.budgetGate.paused).toBe(false);
  });

  it('leaves an issue to its due retry while the retry reads the tracker, so it is dispatched once', async () => {
    const issue = createTestIssue({ id: 'issue-1', identifier: 'DRV-1' });
    let retryReading = false;
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const { driver, dispatched } = driverWith({
      issues: [issue],
      getIssues: async () => {
        retryReading = true;
        await answered;
        return [issue];
      },
    });
    await driver.restore(createMemoryStore());
    const { retries } = driver.phases;
    retries.schedule({ issue, attempt: 1, delayMs: 0, reason: 'the attempt failed', continuation: false });
    // The retry fell due and took itself off the timers; it waits for the tracker now.
    await vi.waitFor(() => expect(retryReading).toBe(true), { timeout: 10_000 });
    expect(retries.has('issue-1')).toBe(false);
    // A tick in between sees the issue as the retry's, not as a new candidate.
    expect(await driver.runTick()).toEqual({ dispatched: 0, candidates: 1 });
    answer();
    await retries.settle();
    expect(dispatched()).toEqual(['DRV-1']);
    expect([...retries.ids()]).toEqual([]);
  });
});

describe('effectiveOutcome', () => {
  it('counts a stall as a failure and any other stop as no failure', () => {
    const completed = { kind: 'completed' } as const;
    expect(effectiveOutcome(completed, null)).toBe(completed);
    expect(effectiveOutcome(completed, { kind: 'stall', reason: 'stalled', removeWorkspace: false })).toEqual(
      {
        kind: 'failed',
        reason: 'stalled',
      },
    );
    expect(effectiveOutcome(completed, { kind: 'budget', reason: 'limit', removeWorkspace: false })).toEqual({
      kind: 'stopped',
      reason: 'limit',
    });
  });
});

describe('blockIssue', () => {
  it('comments and labels the issue, then keeps it blocked until a person changes it', async () => {
    const issue = createTestIssue({ id: 'issue-1', identifier: 'DRV-1', labels: ['agent'] });
    const { driver, tracker, published } = driverWith({ issues: [issue], dryRun: false });
    await driver.restore(createMemoryStore());
    const { store } = driver.phases;
    const context = {
      store,
      tracker: () => tracker,
      workflow: () => workflow,
      logger: createSilentLogger(),
      dryRun: false,
      events: new OrchestratorEvents(),
    };
    context.events.on('event', (event) => published.push(event));
    await blockIssue(context, issue, 'three failed attempts', await store.read(issue));
    expect(tracker.issues!.get('issue-1')!.labels).toEqual(['agent', 'needs-human']);
    expect(tracker.comments[0]).toMatchObject({
      key: 'loompa-blocked',
      body: expect.stringContaining('three failed attempts'),
    });
    expect(published.at(-1)).toMatchObject({
      type: 'issue-blocked',
      payload: { reason: 'three failed attempts' },
    });
    // As the person sees it (with the label), the issue is unchanged; removing the label unblocks.
    const labelled = tracker.issues!.get('issue-1')!;
    expect(await store.unblockChanged([labelled])).toEqual([]);
    expect(await store.unblockChanged([{ ...labelled, labels: ['agent'] }])).toHaveLength(1);
  });
});
