import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '@loompa/core';
import type { FakeGitLab, FakeGitLabUser } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import {
  createGitLabLoop,
  type Loop,
  loopTestTimeoutMs,
  projectPath,
  tickUntil,
} from './fixtures/gitlab-loop-fixture.js';

/**
 * Babysitting on GitLab: merge requests a person opened (in the project, or from their fork)
 * put under Loompa's loop by label or by iid, against the fake GitLab over real HTTP and git.
 * The project's CI fails `test` until answer.txt holds 42.
 */

const aliceIdentity = {
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
};

/** Alice clones `project`, commits a wrong answer on `feature/answer`, and pushes it there. Returns her head. */
async function pushAlicesBranch(loop: Loop, alice: FakeGitLabUser, project: string): Promise<string> {
  const checkout = path.join(loop.root, `alice-${project.replace('/', '-')}`);
  const environment = { ...loop.fake.gitEnvironment(alice.token), ...aliceIdentity };
  await runGit(['clone', '--quiet', loop.fake.repositoryUrl(project), checkout], {
    cwd: loop.root,
    env: environment,
  });
  await runGit(['checkout', '--quiet', '-b', 'feature/answer'], { cwd: checkout });
  await writeFile(path.join(checkout, 'answer.txt'), '41\n');
  await runGit(['add', '.'], { cwd: checkout });
  await runGit(['commit', '--quiet', '-m', 'Alice: the answer is 41'], { cwd: checkout, env: environment });
  await runGit(['push', '--quiet', 'origin', 'feature/answer'], { cwd: checkout, env: environment });
  return (await runGit(['rev-parse', 'HEAD'], { cwd: checkout })).stdout.trim();
}

/** Alice opens a merge request through the API, as she would in the browser. */
async function openMergeRequest(
  fake: FakeGitLab,
  alice: FakeGitLabUser,
  from: string,
  body: Record<string, unknown>,
): Promise<{ iid: number }> {
  const response = await fetch(`${fake.url}/api/v4/projects/${encodeURIComponent(from)}/merge_requests`, {
    method: 'POST',
    headers: { 'private-token': alice.token, 'content-type': 'application/json' },
    body: JSON.stringify({
      source_branch: 'feature/answer',
      target_branch: 'main',
      title: 'Compute the answer',
      ...body,
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { iid: number };
}

function statusNotes(fake: FakeGitLab, iid: number): string[] {
  return fake
    .mergeRequest(projectPath, iid)
    .discussions.flatMap((discussion) => discussion.notes)
    .map((note) => note.body)
    .filter((body) => body.includes('loompa-status'));
}

describe('babysitting GitLab merge requests Loompa did not open', () => {
  it(
    'fixes the failing pipeline of a merge request labelled loompa:babysit, on its own branch, without merging',
    async () => {
      const loop = await createGitLabLoop('command', {
        scm: { babysit_label: 'loompa:babysit', auto_merge: false },
      });
      const alice = loop.fake.createUser({ username: 'alice' });
      const aliceHead = await pushAlicesBranch(loop, alice, projectPath);
      const { iid } = await openMergeRequest(loop.fake, alice, projectPath, { labels: 'loompa:babysit' });

      await tickUntil(loop, () => {
        const pipeline = loop.fake.project(projectPath).pipelines.at(-1);
        expect(loop.fake.mergeRequest(projectPath, iid).sha).not.toBe(aliceHead);
        expect(pipeline?.status).toBe('success');
        expect(loop.orchestrator.snapshot().awaiting[0]?.waitingFor).toMatch(
          /approving review|auto_merge is off/,
        );
      });
      const mergeRequest = loop.fake.mergeRequest(projectPath, iid);
      expect(mergeRequest.state).toBe('opened');
      const repository = loop.fake.project(projectPath).repositoryPath;
      const log = await runGit(['log', '--format=%an: %s', 'main..feature/answer'], { cwd: repository });
      expect(log.stdout.trim().split('\n')).toEqual([
        `${loop.fake.user.username}: change-request-${iid}: fix failing checks`,
        'Alice: Alice: the answer is 41',
      ]);
      expect((await runGit(['rev-parse', 'feature/answer~1'], { cwd: repository })).stdout.trim()).toBe(
        aliceHead,
      );
      expect(loop.eventsOf('change-request-babysat')).toEqual([
        expect.objectContaining({ issueId: `change-request:${iid}`, reason: 'label' }),
      ]);
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
      expect(loop.eventsOf('change-request-opened')).toEqual([]);
      expect(statusNotes(loop.fake, iid)).toHaveLength(1);
      expect(statusNotes(loop.fake, iid)[0]).toContain('babysitting this change request');
      // No issue anywhere was touched.
      expect(loop.fake.project(projectPath).issues).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'never pushes to a fork whose owner did not allow commits from members; it says what it would do and blocks',
    async () => {
      const loop = await createGitLabLoop('command', { scm: { babysit: [1], auto_merge: false } });
      const alice = loop.fake.createUser({ username: 'alice' });
      const fork = await loop.fake.forkProject(projectPath, { path: 'alice/answers' });
      const aliceHead = await pushAlicesBranch(loop, alice, fork.pathWithNamespace);
      const { iid } = await openMergeRequest(loop.fake, alice, fork.pathWithNamespace, {
        target_project_id: loop.fake.project(projectPath).id,
        allow_collaboration: false,
      });
      expect(iid).toBe(1);

      await tickUntil(loop, () => expect(loop.eventsOf('issue-blocked')).toHaveLength(1));
      expect(loop.eventsOf('issue-blocked')[0]).toMatchObject({
        issueId: 'change-request:1',
        issueIdentifier: 'change-request-1',
        reason: `Loompa would fix the failing checks (test), but may not push to feature/answer of ${loop.fake.repositoryUrl(fork.pathWithNamespace)}: the fork does not allow edits by maintainers`,
      });
      expect(loop.eventsOf('reaction-started')).toEqual([]);
      const notes = statusNotes(loop.fake, iid);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain('Blocked: Loompa would fix the failing checks (test)');
      for (let tick = 0; tick < 2; tick++) await loop.orchestrator.tick();
      // Her fork's branch is exactly where she left it, and the project grew no branch of hers.
      const forkHead = await runGit(['rev-parse', 'refs/heads/feature/answer'], { cwd: fork.repositoryPath });
      expect(forkHead.stdout.trim()).toBe(aliceHead);
      const projectBranches = await runGit(['branch', '--list'], {
        cwd: loop.fake.project(projectPath).repositoryPath,
      });
      expect(projectBranches.stdout).not.toContain('feature/answer');
      expect(loop.eventsOf('reaction-started')).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
