import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueKeyMarker } from '@loompa/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGitHubLoop, repositoryName, waitOptions } from './fixtures/github-loop-fixture.js';
import { killOutright, startOrchestratorProcess } from './fixtures/orchestrator-process.js';

/**
 * Orchestrator processes SIGKILLed after GitHub created a triage or flaky-test issue and before
 * the orchestrator heard back (the fake withholds the answer to `issues/create`): the next
 * instance finds the issue by its key instead of filing it again (for triage, without running
 * the agent again), and what comes next for the same cause or test goes to that one issue.
 */

const runner = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-github-orchestrator.ts',
);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const failingLog = [
  '2026-01-01T00:00:00.0000000Z ##[group]Run pnpm test',
  '2026-01-01T00:00:01.0000000Z  FAIL  src/upload.test.ts > upload > retries on a slow server',
  '2026-01-01T00:00:01.1000000Z Error: Test timed out in 5000ms.',
  '2026-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

describe('crash recovery of CI issues on GitHub', () => {
  it('files one triage issue when the process dies between creating it and writing it down', {
    timeout: 300_000,
  }, async () => {
    const loop = await createGitHubLoop({
      agent: 'command',
      autoMerge: false,
      // Open issues are `todo`, which is not worked on here: the triage issue waits for a person.
      trackerExtra: { active_states: ['in progress'] },
      workflowExtra: { triage: { workflows: ['nightly.yml'], interval_ms: 1, labels: ['ci-triage'] } },
    });
    const { fake } = loop;
    await writeFile(
      path.join(loop.root, 'agent.sh'),
      [
        'cat > /dev/null',
        `echo triage >> ${loop.agentRunsLog}`,
        'echo "ROOT CAUSE: the upload test depends on a slow server"',
        'echo "CULPRIT COMMIT: unknown"',
        'echo "SUGGESTED FIX: stub the server"',
      ].join('\n'),
    );
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: path.join(loop.root, 'repository'),
      encoding: 'utf8',
    }).trim();
    const nightly = () =>
      fake.seedWorkflowRun(repositoryName, {
        workflowPath: 'nightly.yml',
        workflowName: 'Nightly',
        branch: 'main',
        headSha: head,
        jobs: [{ name: 'e2e', conclusion: 'failure', log: failingLog }],
      });
    const triageIssues = () =>
      [...fake.repository(repositoryName).issues.values()].filter(
        (issue) => !issue.pullRequest && issue.title.startsWith('CI triage'),
      );
    const agentRuns = () =>
      existsSync(loop.agentRunsLog)
        ? readFileSync(loop.agentRunsLog, 'utf8').split('\n').filter(Boolean)
        : [];
    nightly();
    fake.injectFault({ kind: 'answer-withheld' }, { match: { operationId: 'issues/create' } });

    // 1. GitHub has the issue; the orchestrator never learns it and is killed.
    const first = startOrchestratorProcess(runner, loop.workflowPath, children);
    await vi.waitFor(() => expect(triageIssues()).toHaveLength(1), waitOptions);
    await killOutright(first);
    expect(first.events.map((event) => event.type)).not.toContain('ci-triage-finished');
    expect(agentRuns()).toEqual(['triage']);
    const [issue] = triageIssues();
    expect(issue!.body).toContain(issueKeyMarker(`ci-triage:`).replace(' -->', ''));

    // 2. The next instance finds it by its key: no second agent run, no second issue.
    const second = startOrchestratorProcess(runner, loop.workflowPath, children);
    await vi.waitFor(
      () => expect(second.events.map((event) => event.type)).toContain('ci-triage-finished'),
      waitOptions,
    );
    expect(second.events.map((event) => event.type)).not.toContain('ci-triage-started');
    expect(triageIssues()).toHaveLength(1);
    expect(agentRuns()).toEqual(['triage']);

    // 3. The cause fails again: a comment on the same issue, which the second instance wrote down.
    nightly();
    await vi.waitFor(
      () =>
        expect(
          fake.model
            .commentsOf(fake.repository(repositoryName), issue!.number)
            .filter((comment) => comment.body.includes('Failed again with the same cause')),
        ).toHaveLength(1),
      waitOptions,
    );
    await killOutright(second);
    expect(triageIssues()).toHaveLength(1);
    expect(agentRuns()).toEqual(['triage']);
    expect(
      fake.requests
        .filter((request) => request.operationId === 'issues/create')
        .map((request) => request.status),
    ).toEqual([-1]);
    expect(fake.problems).toEqual([]);
  });

  it('files one flaky-test issue when the process dies between creating it and writing it down', {
    timeout: 300_000,
  }, async () => {
    const loop = await createGitHubLoop({
      agent: 'command',
      autoMerge: false,
      // Every pull request's unit job times out once and passes on its re-run: a flaky test.
      actions: async (commit) =>
        commit.branch === 'main'
          ? null
          : {
              workflowName: 'CI',
              jobs: [
                {
                  name: 'unit',
                  conclusion: 'failure',
                  log: failingLog,
                  rerun: { conclusion: 'success', log: '2026-01-01T00:00:00.0000000Z all passed\n' },
                },
              ],
            },
      // The work item is "in progress"; the flaky-test issue opens as "todo", which is not worked on.
      trackerExtra: { active_states: ['in progress'] },
      workflowExtra: { ci: { flaky_issue_after: 1, flaky_labels: ['flaky-test'] } },
    });
    const { fake } = loop;
    fake.seedIssue(repositoryName, {
      title: 'Store the answer',
      body: 'Write answer.txt.',
      labels: ['loompa', 'loompa:in-progress'],
    });
    const flakyIssues = () =>
      [...fake.repository(repositoryName).issues.values()].filter(
        (issue) => !issue.pullRequest && issue.title.startsWith('Flaky test'),
      );
    fake.injectFault({ kind: 'answer-withheld' }, { match: { operationId: 'issues/create' } });

    const first = startOrchestratorProcess(runner, loop.workflowPath, children);
    await vi.waitFor(() => expect(flakyIssues()).toHaveLength(1), waitOptions);
    await killOutright(first);
    expect(first.events.map((event) => event.type)).not.toContain('flaky-test-issue-filed');
    expect(flakyIssues()[0]!.title).toBe(
      'Flaky test: src/upload.test.ts > upload > retries on a slow server',
    );

    // The next instance sees the same failure-then-pass again and finds the issue by its key.
    const second = startOrchestratorProcess(runner, loop.workflowPath, children);
    await vi.waitFor(
      () => expect(second.events.map((event) => event.type)).toContain('flaky-test-issue-filed'),
      waitOptions,
    );
    await killOutright(second);
    expect(flakyIssues()).toHaveLength(1);
    expect(flakyIssues()[0]!.body).toContain('<!-- loompa:issue-key=flaky-test:');
    expect(
      fake.requests
        .filter((request) => request.operationId === 'issues/create')
        .map((request) => request.status),
    ).toEqual([-1]);
    expect(fake.problems).toEqual([]);
  });
});
