import { runGit } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import {
  createGitLabLoop,
  loopTestTimeoutMs,
  projectPath,
  tickUntil,
} from './fixtures/gitlab-loop-fixture.js';

describe('the change-request loop on GitLab with the real Claude Code CLI', () => {
  it(
    'opens a merge request, fixes the failed job from its trace, answers the discussion, merges after approval',
    async () => {
      const loop = await createGitLabLoop('claude');
      const { fake } = loop;
      const issue = fake.seedIssue(projectPath, {
        title: 'Store the answer',
        description: 'Write answer.txt.',
      });

      await loop.orchestrator.runOnce();
      expect(loop.eventsOf('change-request-opened')).toHaveLength(1);
      const project = fake.project(projectPath);
      const mergeRequest = project.mergeRequests[0]!;

      await tickUntil(loop, () =>
        expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']),
      );
      await tickUntil(loop, () => expect(fake.project(projectPath).pipelines.at(-1)?.status).toBe('success'));
      // The resumed session was given the failed job's trace.
      const prompts = JSON.stringify(loop.modelServer!.modelRequests().map((request) => request.body));
      expect(prompts).toContain('expected the answer 42, found 41');

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

      fake.approve(projectPath, mergeRequest.iid, 'carol');
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));
      expect(mergeRequest.state).toBe('merged');
      const main = (
        await runGit(['rev-parse', 'refs/heads/main'], { cwd: project.repositoryPath })
      ).stdout.trim();
      expect(
        (await runGit(['show', `${main}:answer.txt`], { cwd: project.repositoryPath })).stdout.trim(),
      ).toBe('42');
      expect(
        (await runGit(['show', `${main}:NOTES.md`], { cwd: project.repositoryPath })).stdout.trim(),
      ).toBe('42 is the answer.');
      expect(project.issues.find((candidate) => candidate.iid === issue.iid)!.state).toBe('closed');
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual([
        'ci-failure',
        'review',
      ]);
    },
    loopTestTimeoutMs,
  );
});
