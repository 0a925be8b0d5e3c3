import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestIssue, MockScmProvider } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScmError } from '../../errors/error-classes.js';
import { generalFocus } from '../../focus/built-in-foci.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import { createMemoryStore } from '../../store/orchestrator-store.js';
import { parseWorkflow } from '../../workflow/load-workflow.js';
import { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import type { AttemptResult } from '../agent-runs/run-attempt.js';
import { WorkItemStore } from '../work-item-store.js';
import {
  type PublishedAttempt,
  type PublishingContext,
  publishAttempt,
  publishLeftoverWork,
} from './publish-attempt.js';

/** Publishing a finished attempt on real git: a source checkout, a worktree, a mock forge. */

const issue = createTestIssue({ id: 'issue-1', identifier: 'PUB-1', title: 'Add a greeting' });
const changeRequest: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: null,
  branch: 'loompa/PUB-1',
  baseBranch: 'main',
  title: 'PUB-1: Add a greeting',
  state: 'open',
};

let root: string;
let workspaces: WorkspaceManager;
let store: WorkItemStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-publish-attempt-'));
  const source = path.join(root, 'source');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', source]);
  await writeFile(path.join(source, 'README.md'), '# sample\n');
  execFileSync('git', ['add', '.'], { cwd: source });
  execFileSync(
    'git',
    ['-c', 'user.name=P', '-c', 'user.email=p@example.com', 'commit', '--quiet', '-m', 'initial'],
    {
      cwd: source,
    },
  );
  workspaces = new WorkspaceManager({
    repositoryPath: source,
    repositoryUrl: null,
    workspaceRoot: path.join(root, 'workspaces'),
    branchPrefix: 'loompa/',
    stateDirectory: path.join(root, 'state'),
    baseBranch: 'main',
  });
  store = new WorkItemStore();
  store.open(createMemoryStore());
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function contextWith(scm: MockScmProvider): PublishingContext {
  return {
    workflow: parseWorkflow(
      '---\nscm:\n  kind: local\n---\nWork on {{ issue.identifier }}\n',
      '/srv/WORKFLOW.md',
    ),
    scm,
    workspaces,
    store,
  };
}

function attemptOf(options: { stopping?: boolean } = {}) {
  const phases: string[] = [];
  const attempt: PublishedAttempt = {
    issue,
    focus: generalFocus,
    profile: null,
    agentKind: 'command',
    model: null,
    isStopping: () => options.stopping ?? false,
    reportPublishing: () => phases.push('publishing'),
  };
  return { attempt, phases };
}

async function finishedAttempt(change: string | null): Promise<AttemptResult> {
  const workspace = await workspaces.prepare(issue.identifier);
  if (change !== null) await writeFile(path.join(workspace.path, 'greeting.txt'), change);
  return { outcome: { kind: 'completed' }, sessionId: 'session-1', workspace, lastRun: null };
}

describe('publishAttempt', () => {
  it('commits the work, opens the change request, and clears the pending mark', async () => {
    const scm = new MockScmProvider({ findChangeRequest: null, openChangeRequest: changeRequest });
    const { attempt, phases } = attemptOf();
    const result = await publishAttempt(contextWith(scm), attempt, await finishedAttempt('hello\n'));
    expect(result.outcome).toEqual({ kind: 'completed' });
    expect(result.published).toMatchObject({
      changeRequest,
      opened: true,
      head: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(phases).toEqual(['publishing']);
    expect(scm.recorder.callsOf('openChangeRequest')).toEqual([
      expect.objectContaining({ branch: 'loompa/PUB-1', baseBranch: 'main', title: 'PUB-1: Add a greeting' }),
    ]);
    expect(await store.read(issue)).toMatchObject({ publishPending: false, sessionId: 'session-1' });
  });

  it('turns an attempt that changed nothing into a failure and drops the pending mark', async () => {
    const scm = new MockScmProvider({ findChangeRequest: null, openChangeRequest: changeRequest });
    const result = await publishAttempt(contextWith(scm), attemptOf().attempt, await finishedAttempt(null));
    expect(result.outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('publishing failed'),
    });
    expect(result.published).toBeUndefined();
    expect((await store.read(issue)).publishPending).toBe(false);
  });

  it('keeps the work pending when the forge refuses, so it is published later instead of redone', async () => {
    const scm = new MockScmProvider({
      findChangeRequest: null,
      openChangeRequest: () => {
        throw new ScmError('the forge is down');
      },
    });
    const result = await publishAttempt(
      contextWith(scm),
      attemptOf().attempt,
      await finishedAttempt('hello\n'),
    );
    expect(result.outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('the forge is down'),
    });
    expect((await store.read(issue)).publishPending).toBe(true);
  });

  it('passes a failed or stopped attempt through untouched', async () => {
    const scm = new MockScmProvider({ findChangeRequest: null, openChangeRequest: changeRequest });
    const finished = await finishedAttempt('hello\n');
    const failed: AttemptResult = { ...finished, outcome: { kind: 'failed', reason: 'agent crashed' } };
    expect(await publishAttempt(contextWith(scm), attemptOf().attempt, failed)).toBe(failed);
    const stopping = attemptOf({ stopping: true });
    expect(await publishAttempt(contextWith(scm), stopping.attempt, finished)).toBe(finished);
    expect(stopping.phases).toEqual([]);
    expect(scm.recorder.calls).toEqual([]);
  });
});

describe('publishLeftoverWork', () => {
  it('publishes what a crashed orchestrator left in the worktree without running the agent', async () => {
    await finishedAttempt('left behind\n');
    const scm = new MockScmProvider({ findChangeRequest: null, openChangeRequest: changeRequest });
    const result = await publishLeftoverWork(contextWith(scm), attemptOf().attempt, 'session-0');
    expect(result.published).toMatchObject({ changeRequest, opened: true });
    expect(result.sessionId).toBe('session-0');
  });
});
