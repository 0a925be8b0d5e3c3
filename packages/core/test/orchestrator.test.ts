import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestIssue, createTestRunResult, MockAgentBackend, MockScmProvider } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isProcessAlive } from '../src/index.js';
import { createOrchestratorFixture, type Fixture } from './helpers/orchestrator-fixture.js';

const waitOptions = { timeout: 15_000, interval: 25 };
/** An agent that records its pids and waits until the test lets it go (or it is killed). */
const waitingAgent = (marker: string) =>
  `echo $$ > ${marker}.shell.pid; sleep 30 & echo $! > ${marker}.sleep.pid; wait`;

let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

async function readPid(file: string): Promise<number> {
  await vi.waitFor(() => expect(existsSync(file)).toBe(true), waitOptions);
  let pid = Number.NaN;
  await vi.waitFor(async () => {
    pid = Number((await readFile(file, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
  }, waitOptions);
  return pid;
}

describe('dispatch', () => {
  it('runs exactly as many agents as the global limit allows, in dispatch order', async () => {
    const issues = [3, 1, 4, 2, null].map((priority, index) =>
      createTestIssue({ identifier: `LIM-${index}`, priority }),
    );
    fixture = await createOrchestratorFixture({
      issues,
      agentCommand: 'sleep 30',
      frontMatter: { agent: { max_concurrent_agents: 2 } },
    });
    await fixture.orchestrator.tick();
    const dispatched = fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier);
    expect(dispatched).toEqual(['LIM-1', 'LIM-3']);
    expect(fixture.orchestrator.snapshot().running).toHaveLength(2);
    await fixture.orchestrator.tick();
    expect(fixture.eventsOf('issue-dispatched')).toHaveLength(2);
  });

  it('renders the prompt, runs the agent in its own worktree and continues after a clean exit', async () => {
    const issue = createTestIssue({ identifier: 'REN-1', title: 'Render me' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'cat > prompt.txt',
      frontMatter: { agent: { max_turns: 2 } },
    });
    await fixture.orchestrator.runOnce();
    const workspace = path.join(fixture.workspaceRoot, 'REN-1');
    const prompt = await readFile(path.join(workspace, 'prompt.txt'), 'utf8');
    // The command agent has no sessions, so the second turn gets the whole prompt again plus guidance.
    expect(prompt).toContain('Work on REN-1: Render me (attempt )');
    expect(prompt).toContain(
      'Continue working on REN-1: Render me. The issue is still active (turn 2 of at most 2).',
    );
    expect(fixture.eventsOf('agent-run-started').map((event) => event.turn)).toEqual([1, 2]);
    const head = await readFile(path.join(workspace, '.git'), 'utf8');
    expect(head).toContain('gitdir:');
    const retry = fixture.eventsOf('retry-scheduled');
    expect(retry).toEqual([
      expect.objectContaining({
        issueIdentifier: 'REN-1',
        attempt: 1,
        delayMs: 3_600_000,
        reason: 'continuation after a clean exit',
      }),
    ]);
    expect(fixture.orchestrator.snapshot().retrying).toEqual([
      expect.objectContaining({ identifier: 'REN-1', attempt: 1 }),
    ]);
  });

  it('dispatches the continuation with attempt 1 once it is due', async () => {
    const issue = createTestIssue({ identifier: 'CON-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'cat > prompt.txt',
      frontMatter: { agent: { continuation_delay_ms: 50 } },
    });
    await fixture.orchestrator.runOnce();
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-dispatched')).toHaveLength(2), waitOptions);
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.attempt)).toEqual([null, 1]);
  });

  it('removes forge credentials from the agent environment unless agent.env passes them', async () => {
    const issue = createTestIssue({ identifier: 'ENV-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'env > environment.txt',
      frontMatter: {
        agent: { env: { PASSED_ON: 'yes', GITLAB_TOKEN: '$EXPLICIT_GITLAB' }, pass_environment: ['KEEP_*'] },
      },
      orchestrator: {
        environment: {
          PATH: process.env.PATH,
          GITHUB_TOKEN: 'ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
          GH_TOKEN: 'gh-token-value',
          GITLAB_TOKEN: 'glpat-should-not-leak-by-default',
          KEEP_ME: 'kept',
          NOT_LISTED: 'dropped by the allowlist',
          KEEP_SECRET_TOKEN: 'passed-by-name-value',
        },
      },
    });
    process.env.EXPLICIT_GITLAB = 'glpat-explicitly-passed-value';
    try {
      await fixture.orchestrator.runOnce();
    } finally {
      delete process.env.EXPLICIT_GITLAB;
    }
    const environment = await readFile(path.join(fixture.workspaceRoot, 'ENV-1', 'environment.txt'), 'utf8');
    expect(environment).not.toContain('GITHUB_TOKEN');
    expect(environment).not.toContain('GH_TOKEN');
    expect(environment).toContain('GITLAB_TOKEN=glpat-explicitly-passed-value');
    expect(environment).toContain('KEEP_ME=kept');
    expect(environment).toContain('KEEP_SECRET_TOKEN=passed-by-name-value');
    expect(environment).not.toContain('NOT_LISTED');
    expect(environment).toContain('PASSED_ON=yes');
  });
});

describe('a dispatch that takes nothing on', () => {
  it('is not picked again in the same tick: with the forge unreadable the tick ends, and no agent ran', async () => {
    const scm = new MockScmProvider({
      findChangeRequest: () => {
        throw new Error('the forge answered 503');
      },
    });
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ identifier: 'DOWN-1' }), createTestIssue({ identifier: 'DOWN-2' })],
      agentCommand: 'cat > /dev/null',
      frontMatter: { scm: { kind: 'mock' } },
      orchestrator: { scms: { mock: scm } },
    });
    // Fail closed: an open change request may hide behind the failed lookup, so nothing runs.
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toEqual([
      'DOWN-1',
      'DOWN-2',
    ]);
    expect(scm.recorder.callsOf('findChangeRequest')).toHaveLength(2);
    expect(fixture.eventsOf('workspace-prepared')).toEqual([]);
    expect(fixture.eventsOf('tick-finished')).toEqual([expect.objectContaining({ dispatched: 0 })]);
  });
});

describe('failures', () => {
  it('blocks after max attempts with a comment and a label, and runs again once a person changes the issue', async () => {
    const issue = createTestIssue({ identifier: 'BLK-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'echo "compilation failed" >&2; exit 3',
      frontMatter: { agent: { max_attempts: 1 } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-blocked')).toEqual([
      expect.objectContaining({
        issueIdentifier: 'BLK-1',
        reason: expect.stringContaining('The agent command exited with 3: compilation failed'),
      }),
    ]);
    expect(fixture.tracker.comments).toEqual([
      expect.objectContaining({
        issueId: issue.id,
        key: 'loompa-blocked',
        body: expect.stringContaining('needs a person'),
      }),
    ]);
    expect(fixture.tracker.issues!.get(issue.id)!.labels).toContain('loompa:needs-human');
    expect(fixture.orchestrator.snapshot().blocked).toEqual([
      expect.objectContaining({ identifier: 'BLK-1' }),
    ]);

    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched')).toHaveLength(1);

    fixture.tracker.updateIssue(issue.id, { labels: [] });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched')).toHaveLength(2);
  });

  it('keeps an issue blocked across a restart', async () => {
    const issue = createTestIssue({ identifier: 'BLK-2' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'exit 1',
      frontMatter: { agent: { max_attempts: 1 } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-blocked')).toHaveLength(1);
    const { createOrchestrator } = await import('../src/index.js');
    const restarted = createOrchestrator({
      workflowPath: fixture.workflowPath,
      trackers: { mock: fixture.tracker },
    });
    const dispatched: string[] = [];
    restarted.events.on('issue-dispatched', (event) => dispatched.push(event.issueIdentifier));
    await restarted.runOnce();
    await restarted.stop();
    expect(dispatched).toEqual([]);
    expect(restarted.snapshot().blocked).toEqual([expect.objectContaining({ identifier: 'BLK-2' })]);
  });

  it('escalates to the next profile after a failure', async () => {
    const issue = createTestIssue({ identifier: 'ESC-1', type: 'bug' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'exit 1',
      frontMatter: {
        agent: {
          max_attempts: 3,
          max_retry_backoff_ms: 50,
          profiles: [
            { name: 'small', model: 'model-small' },
            { name: 'large', model: 'model-large' },
          ],
          escalation: ['small', 'large'],
        },
      },
    });
    await fixture.orchestrator.runOnce();
    await vi.waitFor(
      () => expect(fixture!.eventsOf('issue-dispatched').length).toBeGreaterThanOrEqual(3),
      waitOptions,
    );
    const dispatched = fixture.eventsOf('issue-dispatched');
    expect(dispatched.map((event) => [event.attempt, event.profile, event.model])).toEqual([
      [null, 'small', 'model-small'],
      [1, 'large', 'model-large'],
      [2, 'large', 'model-large'],
    ]);
    expect(dispatched[0]!.focus).toBe('bug');
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-blocked')).toHaveLength(1), waitOptions);
  });
});

describe('reconciliation', () => {
  it('stops the agent and removes the workspace when the issue turns terminal', async () => {
    const issue = createTestIssue({ identifier: 'TRM-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: waitingAgent('../TRM-1'),
      frontMatter: { hooks: { before_remove: 'touch ../TRM-1.before-remove' } },
    });
    await fixture.orchestrator.tick();
    const shellPid = await readPid(path.join(fixture.workspaceRoot, 'TRM-1.shell.pid'));
    const sleepPid = await readPid(path.join(fixture.workspaceRoot, 'TRM-1.sleep.pid'));
    fixture.tracker.updateIssue(issue.id, { state: 'Done' });
    await fixture.orchestrator.tick();
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-released')).toHaveLength(1), waitOptions);
    expect(fixture.eventsOf('issue-released')[0]).toMatchObject({ workspaceKept: false });
    expect(existsSync(path.join(fixture.workspaceRoot, 'TRM-1'))).toBe(false);
    expect(existsSync(path.join(fixture.workspaceRoot, 'TRM-1.before-remove'))).toBe(true);
    await vi.waitFor(() => {
      expect(isProcessAlive(shellPid)).toBe(false);
      expect(isProcessAlive(sleepPid)).toBe(false);
    }, waitOptions);
    expect(fixture.eventsOf('retry-scheduled')).toEqual([]);
  });

  it('stops the agent but keeps the workspace when the issue disappears', async () => {
    const issue = createTestIssue({ identifier: 'GON-1' });
    fixture = await createOrchestratorFixture({ issues: [issue], agentCommand: waitingAgent('../GON-1') });
    await fixture.orchestrator.tick();
    const sleepPid = await readPid(path.join(fixture.workspaceRoot, 'GON-1.sleep.pid'));
    fixture.tracker.deleteIssue(issue.id);
    await fixture.orchestrator.tick();
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-released')).toHaveLength(1), waitOptions);
    expect(fixture.eventsOf('issue-released')[0]).toMatchObject({
      workspaceKept: true,
      reason: 'the issue is no longer in the tracker',
    });
    expect(existsSync(path.join(fixture.workspaceRoot, 'GON-1'))).toBe(true);
    await vi.waitFor(() => expect(isProcessAlive(sleepPid)).toBe(false), waitOptions);
  });

  it('keeps running when refreshing the issues fails', async () => {
    const issue = createTestIssue({ identifier: 'REF-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: waitingAgent('../REF-1'),
      orchestrator: {},
    });
    await fixture.orchestrator.tick();
    await readPid(path.join(fixture.workspaceRoot, 'REF-1.sleep.pid'));
    const tracker = fixture.tracker;
    tracker.getIssues = async () => {
      throw new Error('tracker is down');
    };
    await fixture.orchestrator.tick();
    expect(fixture.eventsOf('tick-failed')).toEqual([
      expect.objectContaining({ stage: 'reconcile', message: 'tracker is down' }),
    ]);
    expect(fixture.orchestrator.snapshot().running).toEqual([
      expect.objectContaining({ identifier: 'REF-1' }),
    ]);
  });

  it('kills a stalled agent with its whole process group and schedules a retry', async () => {
    const issue = createTestIssue({ identifier: 'STL-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: waitingAgent('../STL-1'),
      frontMatter: { agent: { stall_timeout_ms: 300 } },
    });
    await fixture.orchestrator.tick();
    const shellPid = await readPid(path.join(fixture.workspaceRoot, 'STL-1.shell.pid'));
    const sleepPid = await readPid(path.join(fixture.workspaceRoot, 'STL-1.sleep.pid'));
    await vi.waitFor(async () => {
      await fixture!.orchestrator.tick();
      expect(fixture!.eventsOf('retry-scheduled')).toHaveLength(1);
    }, waitOptions);
    expect(fixture.eventsOf('retry-scheduled')[0]).toMatchObject({ attempt: 1, delayMs: 10_000 });
    expect(fixture.eventsOf('retry-scheduled')[0]!.reason).toMatch(/stalled|No output/);
    expect(isProcessAlive(shellPid)).toBe(false);
    expect(isProcessAlive(sleepPid)).toBe(false);
  });
});

describe('hooks', () => {
  it('a failing after_create aborts the attempt and removes the new workspace', async () => {
    const issue = createTestIssue({ identifier: 'HK-1' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'touch agent-ran',
      frontMatter: { hooks: { after_create: 'echo "npm ci failed" >&2; exit 7' } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('hook-failed')).toEqual([
      expect.objectContaining({
        hook: 'after_create',
        fatal: true,
        message: expect.stringContaining('exited with 7: npm ci failed'),
      }),
    ]);
    expect(existsSync(path.join(fixture.workspaceRoot, 'HK-1'))).toBe(false);
    expect(fixture.eventsOf('retry-scheduled')).toEqual([expect.objectContaining({ attempt: 1 })]);
  });

  it('a before_run that times out is killed with its children and aborts the attempt', async () => {
    const issue = createTestIssue({ identifier: 'HK-2' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'touch agent-ran',
      frontMatter: { hooks: { before_run: 'sleep 30 & echo $! > ../HK-2.hook.pid; wait', timeout_ms: 300 } },
    });
    await fixture.orchestrator.runOnce();
    const hookPid = await readPid(path.join(fixture.workspaceRoot, 'HK-2.hook.pid'));
    expect(fixture.eventsOf('hook-failed')).toEqual([
      expect.objectContaining({
        hook: 'before_run',
        fatal: true,
        message: expect.stringContaining('timed out after 300 ms'),
      }),
    ]);
    expect(existsSync(path.join(fixture.workspaceRoot, 'HK-2', 'agent-ran'))).toBe(false);
    await vi.waitFor(() => expect(isProcessAlive(hookPid)).toBe(false), waitOptions);
  });

  it('a failing after_run is reported and ignored', async () => {
    const issue = createTestIssue({ identifier: 'HK-3' });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'touch agent-ran',
      frontMatter: { hooks: { after_run: 'exit 1', after_create: 'touch created-by-hook' } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('hook-failed')).toEqual([
      expect.objectContaining({ hook: 'after_run', fatal: false }),
    ]);
    expect(existsSync(path.join(fixture.workspaceRoot, 'HK-3', 'agent-ran'))).toBe(true);
    expect(existsSync(path.join(fixture.workspaceRoot, 'HK-3', 'created-by-hook'))).toBe(true);
    expect(fixture.eventsOf('retry-scheduled')[0]).toMatchObject({
      reason: 'continuation after a clean exit',
    });
  });
});

describe('hot reload', () => {
  it('keeps dispatching with the last good workflow while the file is invalid, and resumes when fixed', async () => {
    const first = createTestIssue({ identifier: 'HOT-1' });
    fixture = await createOrchestratorFixture({ issues: [first], agentCommand: 'true' });
    await fixture.orchestrator.start();
    expect(fixture.eventsOf('issue-dispatched')).toHaveLength(1);
    const valid = await readFile(fixture.workflowPath, 'utf8');
    await writeFile(fixture.workflowPath, valid.replace('interval_ms: 3600000', 'interval_ms: -5'));
    await vi.waitFor(() => expect(fixture!.eventsOf('workflow-invalid')).toHaveLength(1), waitOptions);
    expect(fixture.eventsOf('workflow-invalid')[0]!.error.message).toContain('polling.interval_ms');
    expect(fixture.orchestrator.snapshot().workflow).toMatchObject({ valid: false });

    fixture.tracker.addIssue({ identifier: 'HOT-2', title: 'Arrived while invalid', state: 'todo' });
    await fixture.orchestrator.tick();
    expect(fixture.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toContain('HOT-2');

    await writeFile(fixture.workflowPath, valid.replace('Work on', 'Now work on'));
    await vi.waitFor(() => expect(fixture!.eventsOf('workflow-reloaded')).toHaveLength(1), waitOptions);
    expect(fixture.orchestrator.snapshot().workflow).toMatchObject({ valid: true, error: null });
  });

  it('fails at start on an unknown kind, listing the registered kinds', async () => {
    fixture = await createOrchestratorFixture({
      issues: [],
      agentCommand: 'true',
      frontMatter: { tracker: { kind: 'jira' } },
    });
    await expect(fixture.orchestrator.start()).rejects.toThrow(
      /tracker\.kind: unknown tracker kind "jira"; registered kinds: mock/,
    );
  });
});

describe('dry run', () => {
  it('decides and emits events but runs nothing and writes nothing', async () => {
    const issue = createTestIssue({ identifier: 'DRY-1' });
    const agent = new MockAgentBackend({ run: createTestRunResult() });
    fixture = await createOrchestratorFixture({
      issues: [issue],
      agentCommand: 'touch agent-ran',
      orchestrator: { dryRun: true, agents: { mock: agent } },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('issue-dispatched')).toEqual([
      expect.objectContaining({ issueIdentifier: 'DRY-1' }),
    ]);
    expect(existsSync(fixture.workspaceRoot)).toBe(false);
    expect(existsSync(fixture.stateDirectory)).toBe(false);
    expect(fixture.tracker.recorder.calls.map((call) => call.method)).toEqual(['listIssues']);
    expect(agent.recorder.calls).toEqual([]);
  });
});

describe('watch', () => {
  it('ticks at once when the tracker reports a change', async () => {
    fixture = await createOrchestratorFixture({ issues: [], agentCommand: 'true', watchable: true });
    await fixture.orchestrator.start();
    expect(fixture.eventsOf('tick-started')).toHaveLength(1);
    fixture.tracker.addIssue({ identifier: 'WAT-1', title: 'Pushed', state: 'todo' });
    fixture.tracker.emitChange({});
    await vi.waitFor(() => expect(fixture!.eventsOf('issue-dispatched')).toHaveLength(1), waitOptions);
  });
});

describe('start-up cleanup', () => {
  it('removes workspaces of issues that are already terminal', async () => {
    const issue = createTestIssue({ identifier: 'OLD-1', state: 'Done' });
    fixture = await createOrchestratorFixture({ issues: [issue], agentCommand: 'true' });
    const { WorkspaceManager } = await import('../src/index.js');
    const manager = new WorkspaceManager({
      repositoryPath: fixture.repository,
      repositoryUrl: null,
      workspaceRoot: fixture.workspaceRoot,
      branchPrefix: 'loompa/',
      stateDirectory: fixture.stateDirectory,
      baseBranch: null,
    });
    await manager.prepare('OLD-1');
    expect(existsSync(path.join(fixture.workspaceRoot, 'OLD-1'))).toBe(true);
    await fixture.orchestrator.runOnce();
    expect(existsSync(path.join(fixture.workspaceRoot, 'OLD-1'))).toBe(false);
    expect(fixture.eventsOf('workspace-removed')).toEqual([
      expect.objectContaining({ issueIdentifier: 'OLD-1' }),
    ]);
  });
});

void mkdir;
void symlink;

describe('secrets', () => {
  it('redacts credentials from agent events before they are published', async () => {
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const agent = new MockAgentBackend({
      run: (options) => {
        options.onEvent?.({ type: 'text', text: `found ${token} in .env` });
        options.onEvent?.({
          type: 'tool-result',
          toolCallId: 't1',
          output: `GITHUB_TOKEN=${token}`,
          isError: false,
        });
        return createTestRunResult();
      },
    });
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ identifier: 'SEC-1' })],
      agentCommand: 'true',
      frontMatter: { agent: { kind: 'mock', max_turns: 1 } },
      orchestrator: { agents: { mock: agent } },
    });
    await fixture.orchestrator.runOnce();
    const published = JSON.stringify(fixture.eventsOf('agent-event'));
    expect(published).toContain('found [REDACTED] in .env');
    expect(published).not.toContain(token);
  });
});
