import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyOfNote } from '@loompa/gitlab-client';
import { freePort } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createGitLabLoop,
  loopTestTimeoutMs,
  projectPath,
  waitOptions,
} from './fixtures/gitlab-loop-fixture.js';
import { describeInstance, killOutright, startOrchestratorProcess } from './fixtures/orchestrator-process.js';

/**
 * The GitLab loop run by orchestrator processes that are killed with SIGKILL at several points
 * (after the merge request opened, after the pipeline fix was pushed and passed, right after
 * the discussion was replied to and resolved) and started again on the same state and the same
 * GitLab, with the real Claude Code CLI as the agent and GitLab's webhooks heard: one merge request, one status note, one
 * reply, each reaction run once, and one merge.
 */

const runner = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-gitlab-orchestrator.ts',
);

const webhookSecretVariable = 'LOOMPA_E2E_GITLAB_WEBHOOK_SECRET';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  delete process.env[webhookSecretVariable];
});

describe('crash recovery on GitLab', () => {
  it(
    'keeps one merge request, one status note, one reply and no repeated reaction across SIGKILLs',
    async () => {
      // Each instance also hears GitLab's webhooks on the same port (the orchestrator
      // processes inherit the secret's variable); deliveries to a killed one fail, as they would.
      process.env[webhookSecretVariable] = 'crash-test-webhook-secret';
      const port = await freePort();
      const webhook = { secret_variable: webhookSecretVariable, port };
      const loop = await createGitLabLoop('claude', { pollIntervalMs: 500, scm: { webhook } });
      const { fake } = loop;
      fake.addWebhook({
        project: projectPath,
        url: `http://127.0.0.1:${port}/gitlab/webhooks`,
        token: 'crash-test-webhook-secret',
      });
      const issue = fake.seedIssue(projectPath, {
        title: 'Store the answer',
        description: 'Write answer.txt.',
      });
      const project = fake.project(projectPath);
      const start = () => startOrchestratorProcess(runner, loop.workflowPath, children);
      const runs = () =>
        existsSync(loop.agentRunsLog)
          ? readFileSync(loop.agentRunsLog, 'utf8').split('\n').filter(Boolean)
          : [];
      const reactions: string[] = [];
      const reactionsOf = (instance: ReturnType<typeof start>) =>
        instance.events.filter((event) => event.type === 'reaction-started').map((event) => event.reaction!);

      // 1. Killed right after the merge request opened.
      const first = start();
      await vi.waitFor(
        () =>
          expect(
            first.events.map((event) => event.type),
            describeInstance(first),
          ).toContain('change-request-opened'),
        waitOptions,
      );
      await killOutright(first);
      reactions.push(...reactionsOf(first));
      expect(project.mergeRequests).toHaveLength(1);
      const mergeRequest = project.mergeRequests[0]!;

      // 2. The next instance adopts it, fixes the failed job from its trace, and is killed
      // once the pipeline of the fix passed.
      const second = start();
      await vi.waitFor(() => {
        // The instance's recent events say what it did when this does not happen.
        expect(runs(), describeInstance(second)).toEqual(['first', 'ci-fix']);
        const pipeline = project.pipelines.filter((candidate) => candidate.sha === mergeRequest.sha).at(-1);
        expect(pipeline?.status).toBe('success');
      }, waitOptions);
      await fake.settle();
      await killOutright(second);
      reactions.push(...reactionsOf(second));

      // 3. A reviewer opens a thread; the instance answering it is killed as soon as it is resolved.
      const discussionId = fake.addDiscussion(projectPath, mergeRequest.iid, {
        author: 'carol',
        body: 'Explain the answer in NOTES.md, please.',
        path: 'answer.txt',
        line: 1,
      });
      const thread = () => mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
      const third = start();
      await vi.waitFor(() => {
        // The instance's recent events say what it waited for when this does not happen.
        const resolved = thread().notes.every((note) => note.resolved);
        expect(resolved, describeInstance(third)).toBe(true);
      }, waitOptions);
      await killOutright(third);
      reactions.push(...reactionsOf(third));

      // 4. Approved: the last instance merges, and nothing is done twice.
      fake.approve(projectPath, mergeRequest.iid, 'carol');
      const fourth = start();
      await vi.waitFor(
        () =>
          expect(
            fourth.events.map((event) => event.type),
            describeInstance(fourth),
          ).toContain('issue-done'),
        waitOptions,
      );
      await killOutright(fourth);
      reactions.push(...reactionsOf(fourth));
      await fake.settle();

      expect(project.mergeRequests).toHaveLength(1);
      expect(mergeRequest.state).toBe('merged');
      expect(project.issues.find((candidate) => candidate.iid === issue.iid)!.state).toBe('closed');
      expect(runs()).toEqual(['first', 'ci-fix', 'review']);
      expect(reactions).toEqual(['ci-failure', 'review']);
      const bot = fake.user.id;
      const carol = fake.state.users.find((user) => user.username === 'carol')!.id;
      expect(thread().notes.map((note) => note.authorId)).toEqual([carol, bot]);
      // Keyed notes (the merge request's status note, the issue's notes) are upserted: one per key.
      const keysOf = (discussions: typeof mergeRequest.discussions) =>
        discussions
          .flatMap((discussion) => discussion.notes.map((note) => keyOfNote(note.body)))
          .filter(Boolean);
      const statusKeys = keysOf(mergeRequest.discussions);
      expect(statusKeys).toEqual(['loompa-status']);
      const issueKeys = keysOf(project.issues.find((candidate) => candidate.iid === issue.iid)!.discussions);
      expect(issueKeys).toEqual([...new Set(issueKeys)]);
      const succeeded = (method: string, pattern: RegExp, status: number) =>
        fake.requests.filter(
          (request) => request.method === method && pattern.test(request.path) && request.status === status,
        );
      expect(succeeded('POST', /\/merge_requests$/, 201)).toHaveLength(1);
      expect(succeeded('PUT', /\/merge_requests\/\d+\/merge$/, 200)).toHaveLength(1);
      expect(fake.requests.filter((request) => request.status >= 400)).toEqual([]);
      expect(fake.deliveries.some((delivery) => delivery.status !== null && delivery.status < 300)).toBe(
        true,
      );
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
