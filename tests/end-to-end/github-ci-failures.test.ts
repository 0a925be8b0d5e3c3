import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createGitHubClient } from '@loompa/github-client';
import { createGitHubScm } from '@loompa/scm-github';
import { createFakeGitHub, type FakeGitHub, type FakeGitHubActions } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentRuns,
  createLoop,
  type LoopFixture,
  tickUntil,
} from './fixtures/change-request-loop-fixture.js';

/**
 * Failure classification, re-runs, flaky-test issues and scheduled triage against the fake
 * GitHub (validated by GitHub's OpenAPI description): markdown tasks, real git pushes over
 * smart HTTP, GitHub Actions jobs whose re-runs (`rerun-failed-jobs`) conclude as scripted.
 */

const repositoryName = 'octo/widgets';
const fakes: FakeGitHub[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

const jestTimeoutLog = [
  '2026-11-29T02:00:01.0000000Z ##[group]Run pnpm test',
  '2026-11-29T02:00:09.0000000Z   ● upload › retries on a slow server',
  '2026-11-29T02:00:09.0000000Z     thrown: "Exceeded timeout of 5000 ms for a test.',
  '2026-11-29T02:00:09.1000000Z Tests:       1 failed, 30 passed, 31 total',
  '2026-11-29T02:00:09.2000000Z ##[error]Process completed with exit code 1.',
].join('\n');
const runnerLostLog = [
  '2026-11-29T02:00:01.0000000Z ##[group]Run pnpm build',
  '2026-11-29T02:00:30.0000000Z ##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.',
  '2026-11-29T02:00:30.1000000Z ##[error]The operation was canceled.',
].join('\n');
const passedLog = '2026-11-29T02:00:01.0000000Z all passed\n';

/** A loop whose change requests are pull requests on the fake GitHub. */
async function gitHubLoop(options: {
  actions: FakeGitHubActions;
  agentScript: string;
  tasks?: Array<{ id: string; title: string }>;
  workflow?: Record<string, unknown>;
  agent?: Record<string, unknown>;
}): Promise<{ fixture: LoopFixture; fake: FakeGitHub }> {
  const fake = await createFakeGitHub({ repositories: [repositoryName], actions: options.actions });
  fakes.push(fake);
  const token = fake.createToken('loompa-bot');
  const provider = createGitHubScm({
    client: createGitHubClient({
      baseUrl: fake.url,
      credentials: { kind: 'token', token },
      retryBaseDelayMs: 10,
      writeSpacing: { minimumWriteIntervalMs: 0, minimumContentCreationIntervalMs: 0 },
    }),
    repository: repositoryName,
    mergeabilityRetryDelaysMs: [20, 50, 100, 200],
  });
  const fixture = await createLoop({
    tasks: options.tasks ?? [],
    agentScript: options.agentScript,
    scm: {},
    ...(options.agent ? { agent: options.agent } : {}),
    workflow: {
      scm: {
        kind: 'github',
        base_branch: 'main',
        auto_merge: true,
        required_approvals: 0,
        checks_settle_ms: 0,
      },
      ...options.workflow,
    },
    scms: { github: provider },
  });
  // The repository's main is the fake's main: pushed once, with the token in the environment
  // only. Asynchronously: the fake answers from this very process.
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  await promisify(execFile)('git', ['push', '--quiet', fake.gitUrl(repositoryName), 'main:refs/heads/main'], {
    cwd: fixture.repository,
    env: {
      ...process.env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    },
  });
  fixture.restart();
  return { fixture, fake };
}

/** Jobs that fail on a pull request branch until re-run (flaky unit tests, a lost runner). */
const flakyActions: FakeGitHubActions = async (commit) =>
  commit.branch === 'main'
    ? null
    : {
        workflowName: 'CI',
        jobs: [
          {
            name: 'unit',
            conclusion: 'failure',
            log: jestTimeoutLog,
            rerun: { conclusion: 'success', log: passedLog },
          },
          {
            name: 'build',
            conclusion: 'failure',
            log: runnerLostLog,
            rerun: { conclusion: 'success', log: passedLog },
          },
        ],
      };

describe('CI failures on GitHub', () => {
  it('re-runs a flaky test job and a lost runner once through rerun-failed-jobs, at no fix attempt, and merges', {
    timeout: 200_000,
  }, async () => {
    const { fixture, fake } = await gitHubLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      actions: flakyActions,
      agentScript: 'echo 42 > answer.txt',
      workflow: { reactions: { ci: { max_attempts: 1 } } },
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    const classified = fixture.eventsOf('check-failures-classified');
    expect(classified).toHaveLength(1);
    expect(
      Object.fromEntries(
        classified[0]!.classifications.map((entry) => [entry.checkName, entry.classification]),
      ),
    ).toEqual({ unit: 'flaky', build: 'infrastructure' });
    expect(classified[0]!.classifications.find((entry) => entry.checkName === 'unit')?.testName).toBe(
      'upload › retries on a slow server',
    );
    // One workflow run, re-run once: both jobs had failed in it.
    expect(fake.requestCount({ operationId: 'actions/re-run-workflow-failed-jobs' })).toBe(1);
    expect(fixture.eventsOf('checks-rerun')).toHaveLength(1);
    expect(fixture.eventsOf('reaction-started')).toEqual([]);
    expect(agentRuns(fixture)).toBe(1);
    expect(fixture.eventsOf('change-request-merged')).toHaveLength(1);
    expect(fake.takeProblems()).toEqual([]);
  });

  it('resumes the agent with the log of a real assertion failure', { timeout: 200_000 }, async () => {
    const { fixture, fake } = await gitHubLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      actions: async (commit) => {
        if (commit.branch === 'main') return null;
        const answer = (await commit.readFile('answer.txt'))?.trim();
        return {
          jobs: [
            answer === '42'
              ? { name: 'unit', conclusion: 'success', log: passedLog }
              : {
                  name: 'unit',
                  conclusion: 'failure',
                  log: ` FAIL  src/answer.test.ts > answer > is 42\nAssertionError: expected ${answer} to be 42\n##[error]Process completed with exit code 1.\n`,
                  // A real failure fails again when re-run.
                  rerun: { conclusion: 'failure' },
                },
          ],
        };
      },
      agentScript: [
        'case "$prompt" in',
        '  *"checks on your change failed"*) echo 42 > answer.txt; echo "$prompt" > ../reaction-prompt.txt ;;',
        '  *) echo 41 > answer.txt ;;',
        'esac',
      ].join('\n'),
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    expect(fixture.eventsOf('check-failures-classified')[0]!.classifications).toEqual([
      expect.objectContaining({ checkName: 'unit', classification: 'code' }),
    ]);
    expect(fake.requestCount({ operationId: 'actions/re-run-workflow-failed-jobs' })).toBe(0);
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
    const prompt = readFileSync(path.join(fixture.root, 'workspaces', 'reaction-prompt.txt'), 'utf8');
    expect(prompt).toContain('- "unit": code');
    expect(prompt).toContain('AssertionError: expected 41 to be 42');
    expect(agentRuns(fixture)).toBe(2);
    expect(fake.takeProblems()).toEqual([]);
  });

  it('files one issue for a test that flaked on three pull requests, not three', {
    timeout: 240_000,
  }, async () => {
    const { fixture, fake } = await gitHubLoop({
      actions: async (commit) =>
        commit.branch === 'main'
          ? null
          : {
              jobs: [
                {
                  name: 'unit',
                  conclusion: 'failure',
                  log: jestTimeoutLog,
                  rerun: { conclusion: 'success', log: passedLog },
                },
              ],
            },
      agentScript: 'echo done > "work-$(echo "$prompt" | grep -o "TASK-[0-9]" | head -1).txt"',
      agent: { max_concurrent_agents: 3 },
      workflow: {
        tracker: {
          kind: 'markdown',
          active_states: ['todo'],
          terminal_states: ['done'],
          required_labels: ['work'],
        },
        ci: { flaky_issue_after: 3 },
      },
    });
    const tasksDirectory = path.join(fixture.repository, '.loompa', 'tasks');
    await mkdir(tasksDirectory, { recursive: true });
    for (const id of ['TASK-1', 'TASK-2', 'TASK-3']) {
      await writeFile(
        path.join(tasksDirectory, `${id}.md`),
        `---\nid: ${id}\ntitle: Work ${id}\nstatus: todo\nlabels: [work]\ncreated: 2026-01-01T00:00:00.000Z\n---\n\nDo ${id}.\n`,
      );
    }
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(3));

    const occurrences = fixture.eventsOf('flaky-test-recorded').map((entry) => entry.occurrences);
    expect(occurrences.length).toBeGreaterThanOrEqual(3);
    const filed = fixture.eventsOf('flaky-test-issue-filed');
    expect(filed.filter((entry) => entry.created)).toEqual([expect.objectContaining({ occurrences: 3 })]);
    expect(new Set(filed.map((entry) => entry.trackerIssueIdentifier)).size).toBe(1);
    const flakyTasks = readdirSync(tasksDirectory)
      .filter((file) => file.endsWith('.md'))
      .map((file) => readFileSync(path.join(tasksDirectory, file), 'utf8'))
      .filter((text) => text.includes('Flaky test'));
    expect(flakyTasks).toHaveLength(1);
    expect(flakyTasks[0]).toContain('Flaky test: upload › retries on a slow server');
    expect(fixture.eventsOf('reaction-started').filter((event) => event.reaction === 'ci-failure')).toEqual(
      [],
    );
    expect(fake.takeProblems()).toEqual([]);
  });

  it('triages a failing nightly workflow into one issue with the agent’s analysis; the same cause again is a comment', {
    timeout: 200_000,
  }, async () => {
    const { fixture, fake } = await gitHubLoop({
      actions: async () => null,
      agentScript: [
        'echo "$prompt" > PROMPT_FILE',
        'echo "ROOT CAUSE: the upload test depends on a slow external server"',
        'echo "CULPRIT COMMIT: $(git log -1 --format=%H)"',
        'echo "SUGGESTED FIX: stub the server in the upload test"',
      ].join('\n'),
      workflow: {
        tracker: {
          kind: 'markdown',
          active_states: ['todo'],
          terminal_states: ['done'],
          required_labels: ['work'],
        },
        triage: { workflows: ['nightly.yml'], interval_ms: 1 },
      },
    });
    const agentScript = path.join(fixture.root, 'agent.sh');
    await writeFile(
      agentScript,
      readFileSync(agentScript, 'utf8').replace('PROMPT_FILE', path.join(fixture.root, 'triage-prompt.txt')),
    );
    const head = fixture.git('rev-parse', 'main');
    const nightly = (headSha: string) =>
      fake.seedWorkflowRun(repositoryName, {
        workflowPath: 'nightly.yml',
        workflowName: 'Nightly',
        branch: 'main',
        headSha,
        jobs: [
          { name: 'e2e', conclusion: 'failure', log: jestTimeoutLog },
          { name: 'lint', conclusion: 'success', log: passedLog },
        ],
      });
    const firstRun = nightly(head);
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(1));

    expect(fixture.eventsOf('ci-triage-started')).toEqual([
      { runId: String(firstRun), workflow: 'nightly.yml', headSha: head, failedJobs: ['e2e'] },
    ]);
    const first = fixture.eventsOf('ci-triage-finished')[0]!;
    expect(first).toMatchObject({ created: true, failed: null });
    const tasksDirectory = path.join(fixture.repository, '.loompa', 'tasks');
    const triageIssues = () =>
      readdirSync(tasksDirectory)
        .filter((file) => file.endsWith('.md'))
        .map((file) => readFileSync(path.join(tasksDirectory, file), 'utf8'))
        .filter((text) => text.includes('CI triage'));
    expect(triageIssues()).toHaveLength(1);
    expect(triageIssues()[0]).toContain(
      'CI triage: nightly.yml: the upload test depends on a slow external server',
    );
    expect(triageIssues()[0]).toContain(`**Likely culprit commit:** \`${head}\``);
    expect(triageIssues()[0]).toContain('Exceeded timeout of 5000 ms for a test');
    const prompt = readFileSync(path.join(fixture.root, 'triage-prompt.txt'), 'utf8');
    expect(prompt).toContain('upload › retries on a slow server');

    // The next night fails the same way: a comment on the same issue, no second agent run.
    const secondRun = nightly(head);
    await tickUntil(fixture, () => expect(fixture.eventsOf('ci-triage-finished')).toHaveLength(2));
    expect(fixture.eventsOf('ci-triage-finished')[1]).toMatchObject({
      runId: String(secondRun),
      fingerprint: first.fingerprint,
      trackerIssueIdentifier: first.trackerIssueIdentifier,
      created: false,
    });
    expect(triageIssues()).toHaveLength(1);
    expect(triageIssues()[0]).toContain('Failed again with the same cause');
    expect(agentRuns(fixture)).toBe(1);
    expect(fake.takeProblems()).toEqual([]);
  });
});
