import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoompaHttpServer, startLoompaHttpServer } from '@loompa/dashboard';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createGitLabLoop,
  type Loop,
  loopTestTimeoutMs,
  projectPath,
  tickUntil,
  waitOptions,
} from './fixtures/gitlab-loop-fixture.js';
import {
  describeInstance,
  killOutright,
  type RunningOrchestrator,
  startOrchestratorProcess,
} from './fixtures/orchestrator-process.js';

/**
 * The reply a review reaction owes its thread is kept in the item's record and sent until
 * GitLab takes it: refused replies and resolutions are sent again after a back-off (an event
 * each time), and a reply GitLab took but whose answer never reached the instance (SIGKILLed
 * meanwhile) is found by its marker after the restart instead of being posted twice.
 */

const runner = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-gitlab-orchestrator.ts',
);

const children: ChildProcess[] = [];
const servers: LoompaHttpServer[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const server of servers.splice(0)) await server.close();
});

const runsOf = (loop: Loop) =>
  existsSync(loop.agentRunsLog) ? readFileSync(loop.agentRunsLog, 'utf8').split('\n').filter(Boolean) : [];

/** The first attempt (answer 41) and the CI fix (42) are done, and the fix's pipeline passed. */
function expectFixedAndPassing(loop: Loop, message?: string): void {
  const project = loop.fake.project(projectPath);
  expect(runsOf(loop), message).toEqual(['first', 'ci-fix']);
  const mergeRequest = project.mergeRequests[0]!;
  const pipeline = project.pipelines.filter((candidate) => candidate.sha === mergeRequest.sha).at(-1);
  expect(pipeline?.status, message).toBe('success');
}

/** Requests of `method` to `pathPart` that GitLab carried out. */
function carriedOut(loop: Loop, method: string, pathPart: string) {
  return loop.fake.requests.filter(
    (request) =>
      request.method === method &&
      request.path.includes(pathPart) &&
      request.status >= 200 &&
      request.status < 300,
  );
}

/** A reviewer opens a thread on the merge request, asking for NOTES.md. */
function openReviewThread(loop: Loop) {
  const mergeRequest = loop.fake.project(projectPath).mergeRequests[0]!;
  const discussionId = loop.fake.addDiscussion(projectPath, mergeRequest.iid, {
    author: 'carol',
    body: 'Explain the answer in NOTES.md, please.',
    path: 'answer.txt',
    line: 1,
  });
  const thread = () => mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
  return { mergeRequest, discussionId, thread };
}

describe('replies to review threads on GitLab', () => {
  it(
    'sends a refused reply and resolution again after a back-off until GitLab takes them: one reply, resolved',
    async () => {
      const loop = await createGitLabLoop('command');
      const { fake } = loop;
      // The dashboard follows the loop: its item history says what happened to the thread.
      const dashboard = await startLoompaHttpServer({ orchestrator: loop.orchestrator, token: null });
      servers.push(dashboard);
      fake.seedIssue(projectPath, { title: 'Store the answer', description: 'Write answer.txt.' });
      await tickUntil(loop, () => expectFixedAndPassing(loop));
      const { discussionId, thread } = openReviewThread(loop);
      // GitLab refuses the reply three times, then the resolution once (500 on a write is
      // never retried by the client: core's own retry is what is tested).
      const notesPath = `discussions/${discussionId}/notes`;
      fake.injectFault({ status: 500, method: 'POST', pathIncludes: notesPath, count: 3 });
      fake.injectFault({ status: 500, method: 'PUT', pathIncludes: `discussions/${discussionId}`, count: 1 });

      await tickUntil(loop, () => {
        expect(thread().notes.every((note) => note.resolved)).toBe(true);
        expect(loop.eventsOf('thread-replied')).toHaveLength(1);
      });
      // A few more ticks: nothing is sent again.
      for (let tick = 0; tick < 3; tick++) {
        await fake.settle();
        await loop.orchestrator.tick();
      }

      const bot = fake.user.id;
      const carol = fake.state.users.find((user) => user.username === 'carol')!.id;
      expect(thread().notes.map((note) => note.authorId)).toEqual([carol, bot]);
      expect(thread().notes[1]!.body).toMatch(
        /^Addressed in [0-9a-f]{12}\.\n\n<!-- loompa-reply [0-9a-f]+ -->$/,
      );
      expect(carriedOut(loop, 'POST', notesPath)).toHaveLength(1);
      expect(runsOf(loop)).toEqual(['first', 'ci-fix', 'review']);
      const failures = loop.eventsOf('thread-reply-failed');
      expect(failures.map(({ step, failures: count }) => ({ step, count }))).toEqual([
        { step: 'reply', count: 1 },
        { step: 'reply', count: 2 },
        { step: 'reply', count: 3 },
        { step: 'resolve', count: 1 },
      ]);
      expect(failures.map((failure) => failure.retryInMs)).toEqual([1_000, 2_000, 4_000, 1_000]);
      expect(failures.every((failure) => failure.threadId === discussionId)).toBe(true);
      expect(loop.eventsOf('thread-replied')).toEqual([
        expect.objectContaining({ threadId: discussionId, resolved: true }),
      ]);
      const identifier = loop.eventsOf('thread-replied')[0]!.issueIdentifier;
      const item = (await (
        await fetch(`${dashboard.url}/api/v1/${encodeURIComponent(identifier)}`)
      ).json()) as { history: { entries: Array<{ kind: string; event?: string; text: string }> } };
      const threadEntries = item.history.entries.filter((entry) => entry.event?.startsWith('thread-'));
      expect(threadEntries.map((entry) => entry.text)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^replying to review thread ${discussionId} failed \\(1 in a row\\): .+; trying again in 1 s$`,
          ),
        ),
        expect.stringMatching(/\(2 in a row\): .+; trying again in 2 s$/),
        expect.stringMatching(/\(3 in a row\): .+; trying again in 4 s$/),
        expect.stringMatching(
          new RegExp(
            `^resolving review thread ${discussionId} failed \\(1 in a row\\): .+; trying again in 1 s$`,
          ),
        ),
        `replied to review thread ${discussionId} and resolved it`,
      ]);
      expect(threadEntries.every((entry) => entry.kind === 'event')).toBe(true);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'finds a reply GitLab took before a SIGKILL (its answer never arrived) by its marker and does not post it again',
    async () => {
      const loop = await createGitLabLoop('command', { pollIntervalMs: 500 });
      const { fake } = loop;
      fake.seedIssue(projectPath, { title: 'Store the answer', description: 'Write answer.txt.' });
      const start = () => startOrchestratorProcess(runner, loop.workflowPath, children);
      const reactionsOf = (instance: RunningOrchestrator) =>
        instance.events.filter((event) => event.type === 'reaction-started').map((event) => event.reaction);

      const first = start();
      await vi.waitFor(() => expectFixedAndPassing(loop, describeInstance(first)), waitOptions);
      const { discussionId, thread } = openReviewThread(loop);
      // GitLab stores the reply but its answer never leaves: the instance is killed waiting for it.
      const notesPath = `discussions/${discussionId}/notes`;
      fake.holdAnswers({ method: 'POST', pathIncludes: notesPath });
      await vi.waitFor(() => expect(thread().notes, describeInstance(first)).toHaveLength(2), waitOptions);
      await killOutright(first);
      expect(thread().notes.some((note) => note.resolved)).toBe(false);

      const second = start();
      await vi.waitFor(() => {
        expect(
          thread().notes.every((note) => note.resolved),
          describeInstance(second),
        ).toBe(true);
        expect(
          second.events.map((event) => event.type),
          describeInstance(second),
        ).toContain('thread-replied');
      }, waitOptions);
      await killOutright(second);

      const bot = fake.user.id;
      const carol = fake.state.users.find((user) => user.username === 'carol')!.id;
      expect(thread().notes.map((note) => note.authorId)).toEqual([carol, bot]);
      expect(
        fake.requests.filter((request) => request.method === 'POST' && request.path.includes(notesPath)),
      ).toHaveLength(1);
      expect(runsOf(loop)).toEqual(['first', 'ci-fix', 'review']);
      expect([...reactionsOf(first), ...reactionsOf(second)]).toEqual(['ci-failure', 'review']);
      expect(fake.requests.filter((request) => request.status >= 400)).toEqual([]);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
