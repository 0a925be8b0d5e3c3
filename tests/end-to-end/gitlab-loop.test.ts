import { runGit } from '@loompa/core';
import { withoutKeyMarker } from '@loompa/gitlab-client';
import { describe, expect, it } from 'vitest';
import {
  createGitLabLoop,
  loopTestTimeoutMs,
  projectPath,
  tickUntil,
} from './fixtures/gitlab-loop-fixture.js';

describe('the change-request loop on GitLab', () => {
  it(
    'fixes a failed job from its trace, answers a discussion, merges with the checked sha after approval, closes the issue',
    async () => {
      const loop = await createGitLabLoop();
      const { fake } = loop;
      const issue = fake.seedIssue(projectPath, {
        title: 'Store the answer',
        description: 'Write answer.txt.',
      });

      await loop.orchestrator.runOnce();
      expect(loop.eventsOf('change-request-opened')).toHaveLength(1);
      const project = fake.project(projectPath);
      expect(project.mergeRequests).toHaveLength(1);
      const mergeRequest = project.mergeRequests[0]!;
      expect(mergeRequest.sourceBranch).toBe(loop.eventsOf('change-request-opened')[0]!.changeRequest.branch);

      // The first pipeline fails; the agent is resumed with the job's trace and fixes it.
      await tickUntil(loop, () =>
        expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']),
      );
      await tickUntil(loop, () => expect(fake.project(projectPath).pipelines.at(-1)?.status).toBe('success'));

      // A reviewer opens a thread; the agent addresses it, Loompa replies and resolves it.
      const discussionId = fake.addDiscussion(projectPath, mergeRequest.iid, {
        author: 'carol',
        body: 'Explain the answer in NOTES.md, please.',
        path: 'answer.txt',
        line: 1,
      });
      await tickUntil(loop, () => {
        const thread = mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
        expect(thread.notes.every((note) => note.resolved)).toBe(true);
      });
      const thread = mergeRequest.discussions.find((discussion) => discussion.id === discussionId)!;
      expect(thread.notes.map((note) => note.authorId)).toEqual([
        fake.state.users.find((user) => user.username === 'carol')!.id,
        fake.user.id,
      ]);
      // The hidden marker lets a retry after a crash find the reply instead of posting it twice.
      expect(thread.notes[1]!.body).toMatch(
        /^Addressed in [0-9a-f]{12}\.\n\n<!-- loompa-reply [0-9a-f]+ -->$/,
      );
      expect(fake.mergeRequest(projectPath, mergeRequest.iid).state).toBe('opened');

      // Approval lets the merge through, with the head that was checked.
      fake.approve(projectPath, mergeRequest.iid, 'carol');
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));
      expect(mergeRequest.state).toBe('merged');
      const merges = fake.requests.filter(
        (request) => request.method === 'PUT' && request.path.endsWith('/merge'),
      );
      expect(merges.map((request) => request.status)).toEqual([200]);
      const main = (
        await runGit(['rev-parse', 'refs/heads/main'], { cwd: project.repositoryPath })
      ).stdout.trim();
      const answer = await runGit(['show', `${main}:answer.txt`], { cwd: project.repositoryPath });
      expect(answer.stdout.trim()).toBe('42');
      expect(
        (await runGit(['show', `${main}:NOTES.md`], { cwd: project.repositoryPath })).stdout.trim(),
      ).toBe('42 is the answer.');
      const storedIssue = project.issues.find((candidate) => candidate.iid === issue.iid)!;
      expect(storedIssue.state).toBe('closed');
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual([
        'ci-failure',
        'review',
      ]);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'after a restart adopts the open merge request: no second merge request, note or agent run',
    async () => {
      const loop = await createGitLabLoop();
      const { fake } = loop;
      fake.seedIssue(projectPath, { title: 'Survive a restart' });
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('reaction-started')).toHaveLength(1));
      await tickUntil(loop, () => expect(fake.project(projectPath).pipelines.at(-1)?.status).toBe('success'));
      await loop.orchestrator.tick();
      const project = fake.project(projectPath);
      const notesBefore = project.mergeRequests.flatMap((mergeRequest) =>
        mergeRequest.discussions.flatMap((discussion) =>
          discussion.notes.map((note) => withoutKeyMarker(note.body)),
        ),
      );
      const issueNotesBefore = project.issues[0]!.discussions.length;
      await loop.orchestrator.stop();

      const restarted = loop.restart();
      await restarted.runOnce();
      for (let tick = 0; tick < 3; tick += 1) {
        await fake.settle();
        await restarted.tick();
      }
      expect(project.mergeRequests).toHaveLength(1);
      const notesAfter = project.mergeRequests.flatMap((mergeRequest) =>
        mergeRequest.discussions.flatMap((discussion) =>
          discussion.notes.map((note) => withoutKeyMarker(note.body)),
        ),
      );
      expect(notesAfter).toHaveLength(notesBefore.length);
      expect(project.issues[0]!.discussions).toHaveLength(issueNotesBefore);
      expect(loop.eventsOf('change-request-opened')).toHaveLength(1);
      expect(loop.eventsOf('reaction-started')).toHaveLength(1);
    },
    loopTestTimeoutMs,
  );
});
