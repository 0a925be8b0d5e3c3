import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockAgentBackend, MockScmProvider, MockTracker } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowError } from '../../errors/error-classes.js';
import { type OrchestratorEvent, OrchestratorEvents } from '../../events/orchestrator-events.js';
import { createDefaultFocusMatcher } from '../../focus/default-focus-matcher.js';
import { createSilentLogger } from '../../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus } from '../../specifications/change-request.js';
import { createMemoryStore } from '../../store/orchestrator-store.js';
import { parseWorkflow } from '../../workflow/load-workflow.js';
import { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import { createInProcessRunner } from '../agent-runs/in-process-runner.js';
import { WorkItemDriver } from '../driver/work-item-driver.js';
import { fingerprintOf } from '../work-item-record.js';
import { babysitIssueFor, isBabysitItemId } from './babysit-item.js';
import { forgetBabysitRequest, listBabysitRequests, requestBabysit } from './babysit-requests.js';

const forkChangeRequest: ChangeRequest = {
  id: '7',
  number: 7,
  url: 'https://forge.example/base/-/merge_requests/7',
  branch: 'feature',
  baseBranch: 'main',
  title: 'Alice adds a feature',
  state: 'open',
  author: 'alice',
  headSha: 'a'.repeat(40),
  headRepositoryUrl: 'https://forge.example/alice/base.git',
  pushable: false,
};

const failing: ChangeRequestStatus = {
  state: 'open',
  headSha: 'a'.repeat(40),
  continuousIntegration: {
    state: 'failure',
    checks: [{ id: 'job-1', name: 'test', state: 'failure', url: null }],
  },
  review: { state: 'none', threads: [] },
  mergeability: 'clean',
};

describe('babysitting settings', () => {
  it('reads scm.babysit as numbers (a list, one number, or "12, !7") and scm.babysit_label', () => {
    const parse = (babysit: string) =>
      parseWorkflow(
        `---\nscm:\n  babysit: ${babysit}\n  babysit_label: loompa:babysit\n---\nWork\n`,
        '/srv/WORKFLOW.md',
      ).config.scm;
    expect(parse('[3, 12]').babysit).toEqual([3, 12]);
    expect(parse('12').babysit).toEqual([12]);
    expect(parse('"12, !7, #9"').babysit).toEqual([12, 7, 9]);
    expect(parse('[]').babysit_label).toBe('loompa:babysit');
  });

  it('says where a bad number is', () => {
    let error: unknown;
    try {
      parseWorkflow('---\nscm:\n  babysit: [4, -1]\n---\nWork\n', '/srv/WORKFLOW.md');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as WorkflowError).problems).toEqual([
      expect.objectContaining({ yamlPath: 'scm.babysit[1]', line: 3, expected: 'a positive whole number' }),
    ]);
  });
});

describe('babysit requests in the store', () => {
  it('keeps one entry per number, survives a reopen of the store, and forgets a finished one', async () => {
    const store = createMemoryStore();
    await requestBabysit(store, 12);
    await requestBabysit(store, 3);
    await requestBabysit(store, 12);
    expect(await listBabysitRequests(store)).toEqual([3, 12]);
    await forgetBabysitRequest(store, 12);
    expect(await listBabysitRequests(store)).toEqual([3]);
    await expect(requestBabysit(store, 1.5)).rejects.toThrow(
      'A change request number is a positive integer; got 1.5',
    );
  });
});

describe('the work item of a babysat change request', () => {
  it('is keyed by the change request, and a push or allowed edits change its fingerprint', () => {
    const issue = babysitIssueFor(forkChangeRequest);
    expect(issue).toMatchObject({
      id: 'change-request:7',
      identifier: 'change-request-7',
      state: 'babysitting',
    });
    expect(isBabysitItemId(issue.id)).toBe(true);
    expect(isBabysitItemId('7')).toBe(false);
    const pushed = babysitIssueFor({ ...forkChangeRequest, headSha: 'b'.repeat(40) });
    const allowed = babysitIssueFor({ ...forkChangeRequest, pushable: true });
    expect(new Set([issue, pushed, allowed].map(fingerprintOf)).size).toBe(3);
  });
});

let temporary: string;
beforeEach(async () => {
  temporary = await mkdtemp(path.join(os.tmpdir(), 'loompa-babysitting-'));
});
afterEach(async () => {
  await rm(temporary, { recursive: true, force: true });
});

function driverWith(scm: MockScmProvider, workflowText: string) {
  const tracker = new MockTracker({ issues: [] });
  const events = new OrchestratorEvents();
  const published: OrchestratorEvent[] = [];
  events.on('event', (event) => published.push(event));
  const workflow = parseWorkflow(workflowText, '/srv/WORKFLOW.md');
  const driver = new WorkItemDriver({
    workflow: () => workflow,
    tracker: () => tracker,
    scm: () => scm,
    agentFor: () => new MockAgentBackend(),
    runner: () => createInProcessRunner(),
    budget: () => null,
    hasBudget: false,
    hasScm: true,
    agentEnvironment: () => ({}),
    agentStateDirectory: async () => '/nonexistent',
    // The source is no git checkout: preparing a workspace fails, which only a reaction tries.
    workspaces: () =>
      new WorkspaceManager({
        repositoryPath: path.join(temporary, 'not-a-checkout'),
        repositoryUrl: null,
        workspaceRoot: path.join(temporary, 'workspaces'),
        branchPrefix: 'loompa/',
        stateDirectory: path.join(temporary, 'state'),
        baseBranch: 'main',
      }),
    focusMatcher: createDefaultFocusMatcher(),
    events,
    logger: createSilentLogger(),
    dryRun: false,
    lifecycle: { started: false, stopping: false, draining: false },
    now: () => Date.now(),
    ready: async () => {},
  });
  return { driver, tracker, published };
}

describe('babysitting a fork Loompa may not push to', () => {
  it('comments what it would do on the change request and blocks, touching no tracker; allowed edits unblock it', async () => {
    let listed = forkChangeRequest;
    const scm = new MockScmProvider({
      listBabysitCandidates: () => [listed],
      getStatus: failing,
      upsertComment: undefined,
      getPushTarget: () => {
        throw new Error('nothing is pushed to a fork without edits allowed');
      },
    });
    const comments: string[] = [];
    scm.upsertComment = async (options) => {
      comments.push(options.body);
    };
    const { driver, tracker, published } = driverWith(
      scm,
      '---\ntracker:\n  kind: mock\nscm:\n  kind: mock\n  babysit_label: loompa:babysit\nagent:\n  kind: mock\n---\nWork\n',
    );
    await driver.restore(createMemoryStore());
    await driver.runTick();

    expect(scm.recorder.callsOf('listBabysitCandidates')).toEqual([{ numbers: [], label: 'loompa:babysit' }]);
    const blocked = published.filter((event) => event.type === 'issue-blocked');
    expect(blocked).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({
          issueId: 'change-request:7',
          issueIdentifier: 'change-request-7',
          reason:
            'Loompa would fix the failing checks (test), but may not push to feature of https://forge.example/alice/base.git: the fork does not allow edits by maintainers',
        }),
      }),
    ]);
    expect(comments.at(-1)).toContain('Blocked: Loompa would fix the failing checks (test)');
    expect(comments.at(-1)).toContain('Allow edits by maintainers');
    expect(published.some((event) => event.type === 'reaction-started')).toBe(false);
    expect(tracker.recorder.calls.filter((call) => call.method !== 'listIssues')).toEqual([]);

    // Blocked stays blocked while nothing changes.
    await driver.runTick();
    expect(published.filter((event) => event.type === 'change-request-babysat')).toHaveLength(1);

    // Alice allows edits: the item is taken up again and the fix starts (its worker fails
    // here for want of a workspace, which this test has none of).
    listed = { ...forkChangeRequest, pushable: true };
    await driver.runTick();
    await driver.phases.agentRuns.waitForIdle();
    expect(published.filter((event) => event.type === 'change-request-babysat')).toHaveLength(2);
    expect(published.filter((event) => event.type === 'reaction-started')).toHaveLength(1);
    expect(tracker.recorder.calls.filter((call) => call.method !== 'listIssues')).toEqual([]);
  });
});
