import { createTestIssue, MockScmProvider, type MockScmProviderSettings, MockTracker } from '@loompa/testkit';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type OrchestratorEvent, OrchestratorEvents } from '../../events/orchestrator-events.js';
import { createSilentLogger } from '../../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus } from '../../specifications/change-request.js';
import { createMemoryStore } from '../../store/orchestrator-store.js';
import { parseWorkflow } from '../../workflow/load-workflow.js';
import { CheckReports } from '../ci-failures/check-reports.js';
import { FlakyTestIssues } from '../ci-failures/flaky-test-issues.js';
import { WorkItemStore } from '../work-item-store.js';
import { ChangeRequestSupervisor, type SupervisorStep } from './change-request-supervisor.js';

const changeRequest: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: 'https://forge.example/cr/1',
  branch: 'loompa/SUP-1',
  baseBranch: 'main',
  title: 'SUP-1',
  state: 'open',
};
const workflow = parseWorkflow(
  [
    '---',
    'tracker:',
    '  kind: mock',
    '  review_state: In Review',
    '  done_state: Done',
    'scm:',
    '  kind: mock',
    '  auto_merge: true',
    // The mock forge declares no merge defaults: these tests are not about the merge rules.
    '  required_approvals: 0',
    '  checks_settle_ms: 0',
    '---',
    'Work on {{ issue.identifier }}',
  ].join('\n'),
  '/srv/WORKFLOW.md',
);

function statusOf(overrides: Partial<ChangeRequestStatus> = {}): ChangeRequestStatus {
  return {
    state: 'open',
    headSha: 'head-1',
    continuousIntegration: {
      state: 'success',
      checks: [{ id: 'check-1', name: 'test', state: 'success', url: null }],
    },
    review: { state: 'none', threads: [] },
    mergeability: 'clean',
    ...overrides,
  };
}

let tracker: MockTracker;
let store: WorkItemStore;
let events: OrchestratorEvent[];
let removed: string[];
const issue = createTestIssue({ id: 'issue-1', identifier: 'SUP-1', state: 'Todo' });

beforeEach(() => {
  tracker = new MockTracker({ issues: [issue] });
  store = new WorkItemStore();
  store.open(createMemoryStore());
  events = [];
  removed = [];
});

/** The CI parts the supervisor shares with the snapshot. */
function continuousIntegrationFor(events: OrchestratorEvents, workflowOf: () => typeof workflow) {
  const flakyTests = new FlakyTestIssues({
    workflow: workflowOf,
    tracker: () => tracker,
    store: () => store.keyValueStore(),
    events,
    logger: createSilentLogger(),
    dryRun: false,
  });
  return { flakyTests, checkReports: new CheckReports() };
}

function supervisorWith(settings: MockScmProviderSettings) {
  const scm = new MockScmProvider(settings);
  const publisher = new OrchestratorEvents();
  publisher.on('event', (event) => events.push(event));
  const supervisor = new ChangeRequestSupervisor({
    workflow: () => workflow,
    tracker: () => tracker,
    scm: () => scm,
    store,
    events: publisher,
    logger: createSilentLogger(),
    dryRun: false,
    ...continuousIntegrationFor(publisher, () => workflow),
    removeWorkspace: async (removedIssue) => {
      removed.push(removedIssue.identifier);
    },
  });
  return { supervisor, scm };
}

async function reviewAll(supervisor: ChangeRequestSupervisor): Promise<SupervisorStep[]> {
  const steps: SupervisorStep[] = [];
  for await (const step of supervisor.review()) steps.push(step);
  return steps;
}

const typesOf = () => events.map((event) => event.type);

describe('entering', () => {
  it('links the change request on the issue once, moves it to review, and posts the status comment', async () => {
    const { supervisor, scm } = supervisorWith({ upsertComment: () => {}, getStatus: statusOf() });
    await supervisor.enter(issue, changeRequest, true);
    expect(typesOf()).toEqual(['change-request-opened']);
    expect(tracker.comments).toEqual([
      expect.objectContaining({
        key: 'loompa-change-request',
        body: expect.stringContaining(changeRequest.url!),
      }),
    ]);
    expect(tracker.issues!.get('issue-1')!.state).toBe('In Review');
    expect((await store.read(issue)).trackerLinked).toBe(true);
    expect(scm.recorder.callsOf('upsertComment')).toEqual([
      expect.objectContaining({ key: 'loompa-status', body: expect.stringContaining('Published; waiting') }),
    ]);
    expect(supervisor.snapshot()).toEqual([
      expect.objectContaining({ issueId: 'issue-1', branch: 'loompa/SUP-1', waitingFor: null }),
    ]);
  });

  it('mends a link the tracker refused on the next review', async () => {
    let refusals = 1;
    tracker = new MockTracker({
      issues: [issue],
      commentOnIssue: () => {
        if (refusals-- > 0) throw new Error('tracker down');
      },
    });
    const { supervisor } = supervisorWith({
      getStatus: statusOf({ continuousIntegration: { state: 'pending', checks: [] } }),
    });
    await supervisor.enter(issue, changeRequest, false);
    expect((await store.read(issue)).trackerLinked).toBe(false);
    await reviewAll(supervisor);
    expect((await store.read(issue)).trackerLinked).toBe(true);
  });
});

describe('reviewing', () => {
  it('waits, saying what for', async () => {
    const { supervisor } = supervisorWith({
      getStatus: statusOf({ continuousIntegration: { state: 'pending', checks: [] } }),
    });
    await supervisor.enter(issue, changeRequest, true);
    expect(await reviewAll(supervisor)).toEqual([]);
    expect(supervisor.snapshot()[0]!.waitingFor).toBe('checks are running');
  });

  it('hands failing checks to the driver as a reaction, with the record and status it decided on', async () => {
    const failing = statusOf({
      continuousIntegration: {
        state: 'failure',
        checks: [{ id: 'c1', name: 'test', state: 'failure', url: null }],
      },
    });
    const { supervisor } = supervisorWith({ getStatus: failing });
    await supervisor.enter(issue, changeRequest, true);
    const [step] = await reviewAll(supervisor);
    expect(step).toMatchObject({
      next: 'react',
      issue: { id: 'issue-1' },
      status: failing,
      decision: { action: 'react-to-ci' },
    });
    if (step?.next !== 'react') throw new Error('expected a reaction');

    const begun = await supervisor.beginReaction(step);
    expect(begun).toMatchObject({ reaction: 'ci-failure', round: 1, record: { ciAttempts: 1 } });
    expect(supervisor.size).toBe(0);
    await supervisor.announceReaction(step, begun.reaction, begun.round);
    expect(events.at(-1)).toMatchObject({
      type: 'reaction-started',
      payload: { reaction: 'ci-failure', attempt: 1 },
    });

    await supervisor.resumeAfterReaction(step.issue, changeRequest, step.since, { ok: true, head: 'head-2' });
    expect(supervisor.snapshot()[0]!.waitingFor).toBe('checks on the new head');
    expect(events.at(-1)).toMatchObject({ type: 'change-request-updated', payload: { headSha: 'head-2' } });
  });

  it("applies a forge's merge rules when the provider declares none: no merge without an approval", async () => {
    const forgeWorkflow = parseWorkflow(
      '---\ntracker:\n  kind: mock\nscm:\n  kind: mock\n  auto_merge: true\n---\nWork\n',
      '/srv/WORKFLOW.md',
    );
    const scm = new MockScmProvider({ getStatus: statusOf(), merge: () => {} });
    const publisher = new OrchestratorEvents();
    const supervisor = new ChangeRequestSupervisor({
      workflow: () => forgeWorkflow,
      tracker: () => tracker,
      scm: () => scm,
      store,
      events: publisher,
      ...continuousIntegrationFor(publisher, () => forgeWorkflow),
      logger: createSilentLogger(),
      dryRun: false,
      removeWorkspace: async () => {},
    });
    await supervisor.enter(issue, changeRequest, true);
    await reviewAll(supervisor);
    expect(supervisor.snapshot()[0]!.waitingFor).toBe(
      'waiting for 1 approving review (has 0; scm.required_approvals)',
    );
    expect(scm.recorder.callsOf('merge')).toEqual([]);
  });

  it('merges at the head it decided on when the workflow opts in', async () => {
    const { supervisor, scm } = supervisorWith({ getStatus: statusOf(), merge: undefined });
    await supervisor.enter(issue, changeRequest, true);
    await reviewAll(supervisor);
    expect(supervisor.snapshot()[0]!.waitingFor).toBe('ready to merge; the provider cannot merge');

    const merging = supervisorWith({ getStatus: statusOf(), merge: () => {} });
    await merging.supervisor.enter(issue, changeRequest, true);
    await reviewAll(merging.supervisor);
    expect(merging.scm.recorder.callsOf('merge')).toEqual([
      { changeRequest, method: 'rebase', expectedHeadSha: 'head-1' },
    ]);
    expect(scm.recorder.callsOf('merge')).toEqual([]);
  });

  it('finishes a merged change request: done state, workspace removed, history cleared', async () => {
    const { supervisor } = supervisorWith({ getStatus: statusOf({ state: 'merged' }) });
    await supervisor.enter(issue, changeRequest, true);
    await store.write({ ...(await store.read(issue)), failures: 2, changeRequest });
    await reviewAll(supervisor);
    expect(tracker.issues!.get('issue-1')!.state).toBe('Done');
    expect(removed).toEqual(['SUP-1']);
    expect(typesOf().slice(-2)).toEqual(['change-request-merged', 'issue-done']);
    expect(await store.read(issue)).toMatchObject({ changeRequest: null, failures: 0 });
    expect(supervisor.size).toBe(0);
  });

  it('hands a change request closed without merging to the driver to release, keeping the workspace', async () => {
    const { supervisor } = supervisorWith({ getStatus: statusOf({ state: 'closed' }) });
    await supervisor.enter(issue, changeRequest, true);
    await store.write({ ...(await store.read(issue)), changeRequest, reviewAttempts: 2 });
    expect(await reviewAll(supervisor)).toEqual([
      {
        next: 'release',
        issue: expect.objectContaining({ id: 'issue-1' }),
        reason: 'the change request was closed without merging',
      },
    ]);
    expect(await store.read(issue)).toMatchObject({ changeRequest: null, reviewAttempts: 0 });
    expect(removed).toEqual([]);
    expect(supervisor.size).toBe(0);
  });

  it('hands exhausted reaction rounds to the driver as a block, after saying so on the change request', async () => {
    const failing = statusOf({
      continuousIntegration: {
        state: 'failure',
        checks: [{ id: 'c1', name: 'test', state: 'failure', url: null }],
      },
    });
    const { supervisor, scm } = supervisorWith({ getStatus: failing, upsertComment: () => {} });
    await supervisor.enter(issue, changeRequest, true);
    await store.write({ ...(await store.read(issue)), lastPushedHead: 'head-1', ciAttempts: 99 });
    const steps = await reviewAll(supervisor);
    expect(steps).toEqual([
      expect.objectContaining({ next: 'block', reason: expect.stringContaining('checks still fail') }),
    ]);
    expect(scm.recorder.callsOf<{ body: string }>('upsertComment').at(-1)!.body).toContain('Blocked:');
    expect(supervisor.size).toBe(0);
  });

  it('fails closed: an unreadable status neither reacts nor merges', async () => {
    const { supervisor, scm } = supervisorWith({
      getStatus: () => {
        throw new Error('forge timeout');
      },
      merge: () => {},
    });
    await supervisor.enter(issue, changeRequest, true);
    expect(await reviewAll(supervisor)).toEqual([]);
    expect(scm.recorder.callsOf('merge')).toEqual([]);
    expect(supervisor.size).toBe(1);
  });

  it('hands an issue that left the tracker to the driver to release', async () => {
    const { supervisor } = supervisorWith({ getStatus: statusOf() });
    await supervisor.enter(createTestIssue({ id: 'gone', identifier: 'SUP-9' }), changeRequest, true);
    expect(await reviewAll(supervisor)).toEqual([
      {
        next: 'release',
        issue: { id: 'gone', identifier: 'SUP-9' },
        reason: 'the issue is no longer in the tracker',
      },
    ]);
    expect(supervisor.size).toBe(0);
  });

  it('leaves an item that enters while the tracker answers to the next review, never releasing it as gone', async () => {
    const later = createTestIssue({ id: 'issue-2', identifier: 'SUP-2', state: 'Todo' });
    const asked: Array<readonly string[]> = [];
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    tracker = new MockTracker({
      issues: [issue, later],
      getIssues: async ({ ids }) => {
        asked.push(ids);
        await answered;
        return [issue, later].filter((candidate) => ids.includes(candidate.id));
      },
    });
    const { supervisor } = supervisorWith({
      getStatus: statusOf({ continuousIntegration: { state: 'pending', checks: [] } }),
    });
    await supervisor.enter(issue, changeRequest, true);
    const reviewing = reviewAll(supervisor);
    await vi.waitFor(() => expect(asked).toEqual([['issue-1']]), { timeout: 10_000 });
    // An attempt publishes while the tracker answers the review.
    await supervisor.enter(later, { ...changeRequest, id: 'cr-2', number: 2, branch: 'loompa/SUP-2' }, true);
    answer();
    expect(await reviewing).toEqual([]);
    expect([...supervisor.ids()].sort()).toEqual(['issue-1', 'issue-2']);
    // The next review asks about both.
    expect(await reviewAll(supervisor)).toEqual([]);
    expect(asked.at(-1)).toEqual(['issue-1', 'issue-2']);
    expect(typesOf()).not.toContain('issue-released');
  });
});
