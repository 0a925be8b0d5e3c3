import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGitHubLoop, repositoryName, waitOptions } from './fixtures/github-loop-fixture.js';
import { describeInstance, killOutright, startOrchestratorProcess } from './fixtures/orchestrator-process.js';

/**
 * The GitHub loop run by orchestrator processes that are killed with SIGKILL at several points
 * (after the pull request opened, after the CI fix was pushed, right after the review thread
 * was resolved) and started again on the same state and the same GitHub: one pull request, one
 * status comment, one reply, and each reaction run once.
 */

const runner = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-github-orchestrator.ts',
);
const webhookSecretVariable = 'LOOMPA_E2E_GITHUB_WEBHOOK_SECRET';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  delete process.env[webhookSecretVariable];
});

function startOrchestrator(workflowPath: string) {
  return startOrchestratorProcess(runner, workflowPath, children);
}

describe('crash recovery on GitHub', () => {
  it('keeps one pull request, one status comment and no repeated reaction across SIGKILLs', async () => {
    process.env[webhookSecretVariable] = 'crash-test-webhook-secret';
    const port = await freePort();
    const webhook = { secret_variable: webhookSecretVariable, port };
    const loop = await createGitHubLoop({ agent: 'command', autoMerge: true, scmExtra: { webhook } });
    const { fake } = loop;
    fake.addWebhook({ url: `http://127.0.0.1:${port}/github/webhooks`, secret: 'crash-test-webhook-secret' });
    const issue = fake.seedIssue(repositoryName, {
      title: 'Store the answer',
      body: 'Write answer.txt.',
      labels: ['loompa'],
    });
    const runs = () =>
      existsSync(loop.agentRunsLog)
        ? readFileSync(loop.agentRunsLog, 'utf8').split('\n').filter(Boolean)
        : [];
    const pullRequests = () =>
      [...fake.repository(repositoryName).issues.values()].filter((candidate) => candidate.pullRequest);

    // 1. Killed right after the pull request opened.
    const first = startOrchestrator(loop.workflowPath);
    await vi.waitFor(
      () =>
        expect(
          first.events.map((event) => event.type),
          describeInstance(first),
        ).toContain('change-request-opened'),
      waitOptions,
    );
    await killOutright(first);
    expect(pullRequests()).toHaveLength(1);
    const pull = pullRequests()[0]!;

    // 2. The next instance adopts it, fixes the failing check, and is killed once the fix passed.
    const second = startOrchestrator(loop.workflowPath);
    await vi.waitFor(() => {
      const checks = fake
        .repository(repositoryName)
        .checkRuns.filter((run) => run.headSha === pull.pullRequest!.headSha);
      expect(runs(), describeInstance(second)).toEqual(['first', 'ci-fix']);
      expect(
        checks.map((run) => run.conclusion),
        describeInstance(second),
      ).toEqual(['success']);
    }, waitOptions);
    await fake.settle();
    await killOutright(second);

    // 3. A review comment; the instance answering it is killed as soon as the thread is resolved.
    const comment = fake.addReviewComment(repositoryName, pull.number, {
      author: 'carol',
      body: 'Explain the answer in NOTES.md, please.',
      path: 'answer.txt',
      line: 1,
    });
    const third = startOrchestrator(loop.workflowPath);
    await vi.waitFor(() => {
      const thread = fake
        .reviewThreads(repositoryName, pull.number)
        .find((candidate) => candidate.id === comment.threadId)!;
      // The instance's recent events and stderr say what it waited for when this does not happen.
      expect(thread.resolved, describeInstance(third)).toBe(true);
    }, waitOptions);
    await killOutright(third);

    // 4. Approved: the last instance merges, and nothing is done twice.
    fake.submitReview(repositoryName, pull.number, { author: 'carol', state: 'APPROVED' });
    const fourth = startOrchestrator(loop.workflowPath);
    await vi.waitFor(
      () =>
        expect(
          fourth.events.map((event) => event.type),
          describeInstance(fourth),
        ).toContain('issue-done'),
      waitOptions,
    );
    await killOutright(fourth);
    await fake.settle();

    expect(pullRequests()).toHaveLength(1);
    expect(pull.pullRequest!.mergedAt).not.toBeNull();
    expect(issue.state).toBe('closed');
    expect(runs()).toEqual(['first', 'ci-fix', 'review']);
    const thread = fake
      .reviewThreads(repositoryName, pull.number)
      .find((candidate) => candidate.id === comment.threadId)!;
    expect(thread.comments.map((reply) => reply.author)).toEqual(['carol', 'loompa-bot']);
    const statusComments = fake.model
      .commentsOf(fake.repository(repositoryName), pull.number)
      .filter((candidate) => candidate.body.includes('loompa:comment-key=loompa-status'));
    expect(statusComments).toHaveLength(1);
    expect(
      fake.requests.filter((request) => request.operationId === 'pulls/merge' && request.status === 200),
    ).toHaveLength(1);
    expect(
      fake.requests.filter((request) => request.operationId === 'pulls/create' && request.status === 201),
    ).toHaveLength(1);
    // The instances heard GitHub's webhooks (deliveries to a killed one fail, as they would).
    expect(fake.webhookDeliveries.some((delivery) => delivery.status === 202)).toBe(true);
    expect(fake.problems).toEqual([]);
  }, 300_000);
});
