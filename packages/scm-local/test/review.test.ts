import fs from 'node:fs/promises';
import path from 'node:path';
import type { AgentRunOptions } from '@loompa/core';
import { createTestRunResult, MockAgentBackend } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reviewerProblemCommentKey } from '../src/index.js';
import {
  createLocalRepositoryFixture,
  git,
  type LocalRepositoryFixture,
} from './local-repository-fixture.js';

describe('scm-local review', () => {
  let repository: LocalRepositoryFixture;
  beforeEach(async () => {
    repository = await createLocalRepositoryFixture();
  });
  afterEach(async () => {
    await repository.cleanup();
  });

  it('asks the reviewer agent only after checks pass, once per head, and turns its comments into threads', async () => {
    const seenByReviewer: Array<{ prompt: string; files: string[]; model: string | undefined }> = [];
    const answer = (finalText: string) => async (options: AgentRunOptions) => {
      seenByReviewer.push({
        prompt: options.prompt,
        files: await fs.readdir(options.cwd),
        model: options.model,
      });
      return createTestRunResult({ finalText });
    };
    const reviewerAgent = new MockAgentBackend({
      run: [
        answer(
          'NEEDS_CHANGES\nThe greeting is unclear.\n- greeting.txt:1: say who is greeted\n- `src/app.ts`: add a test\n- mention it in the README',
        ),
        answer('Looks good now.\n\nAPPROVED'),
      ],
    });
    const provider = repository.createProvider({
      checks: ['test ! -e BROKEN'],
      reviewer: { agent: reviewerAgent, model: 'review-model', prompt: 'Check the wording.' },
    });
    const { worktree } = await repository.createBranch('loompa/greeting', 'BROKEN', 'broken\n');
    await repository.commit(worktree, 'greeting.txt', 'hello\n');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/greeting',
      baseBranch: 'main',
      title: 'Add a greeting',
      body: 'Greets people.',
    });

    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    let status = await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    expect(status.continuousIntegration.state).toBe('failure');
    expect(reviewerAgent.recorder.callsOf('run')).toHaveLength(0);
    expect(status.review.state).toBe('none');
    expect(status.mergeability).toBe('blocked');

    await git(worktree, 'rm', '--quiet', 'BROKEN');
    await git(worktree, 'commit', '--quiet', '-m', 'Remove BROKEN');
    const fixedHead = await git(worktree, 'rev-parse', 'HEAD');
    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    status = await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    status = await provider.getStatus({ changeRequest });
    expect(status.continuousIntegration.state).toBe('success');
    expect(reviewerAgent.recorder.callsOf('run')).toHaveLength(1);
    expect(seenByReviewer[0]!.model).toBe('review-model');
    expect(seenByReviewer[0]!.prompt).toContain('Add a greeting');
    expect(seenByReviewer[0]!.prompt).toContain('Check the wording.');
    expect(seenByReviewer[0]!.prompt).toContain('+hello');
    expect(seenByReviewer[0]!.files).toContain('greeting.txt');
    expect(seenByReviewer[0]!.files).not.toContain('BROKEN');
    expect(status.review.state).toBe('changes_requested');
    expect(status.mergeability).toBe('blocked');
    expect(
      status.review.threads.map((thread) => ({
        path: thread.path,
        line: thread.line,
        body: thread.comments[0]!.body,
        author: thread.comments[0]!.author,
      })),
    ).toEqual([
      { path: null, line: null, body: 'The greeting is unclear.', author: 'reviewer' },
      { path: 'greeting.txt', line: 1, body: 'say who is greeted', author: 'reviewer' },
      { path: 'src/app.ts', line: null, body: 'add a test', author: 'reviewer' },
      { path: null, line: null, body: 'mention it in the README', author: 'reviewer' },
    ]);
    await expect(
      provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: fixedHead }),
    ).rejects.toMatchObject({ details: { reason: 'review_required' } });

    // Reading the status again does not review the same head again, also after a restart.
    const restarted = repository.createProvider({
      checks: ['test ! -e BROKEN'],
      reviewer: { agent: reviewerAgent },
    });
    await restarted.getStatus({ changeRequest });
    await restarted.waitForIdle();
    expect(reviewerAgent.recorder.callsOf('run')).toHaveLength(1);

    const thread = status.review.threads[1]!;
    await restarted.replyToThread({ changeRequest, threadId: thread.id, body: 'Greets the world now.' });
    await restarted.resolveThread({ changeRequest, threadId: thread.id });
    const approvedHead = await repository.commit(worktree, 'greeting.txt', 'hello, world\n');
    await restarted.getStatus({ changeRequest });
    await restarted.waitForIdle();
    await restarted.waitForIdle();
    status = await restarted.getStatus({ changeRequest });
    expect(reviewerAgent.recorder.callsOf('run')).toHaveLength(2);
    expect(status.review.state).toBe('approved');
    expect(status.mergeability).toBe('clean');
    const replied = status.review.threads.find((candidate) => candidate.id === thread.id)!;
    expect(replied.resolved).toBe(true);
    expect(replied.comments.map((comment) => [comment.author, comment.body])).toEqual([
      ['reviewer', 'say who is greeted'],
      ['loompa', 'Greets the world now.'],
    ]);
    await restarted.merge({ changeRequest, method: 'rebase', expectedHeadSha: approvedHead });
    expect((await restarted.getStatus({ changeRequest })).state).toBe('merged');
  });

  it('reports a reviewer that fails in one kept-up-to-date comment and retries a head only once', async () => {
    const reviewerAgent = new MockAgentBackend({
      run: () =>
        createTestRunResult({
          status: 'failed',
          error: { kind: 'rate-limit', message: 'slow down' },
          finalText: null,
        }),
    });
    const provider = repository.createProvider({ reviewer: { agent: reviewerAgent } });
    await repository.createBranch('loompa/reviewer-fails', 'a.txt', 'a\n');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/reviewer-fails',
      baseBranch: 'main',
      title: 'A',
      body: '',
    });
    for (let read = 0; read < 4; read += 1) {
      await provider.getStatus({ changeRequest });
      await provider.waitForIdle();
    }
    expect(reviewerAgent.recorder.callsOf('run')).toHaveLength(2);
    const comments = await provider.listComments({ changeRequest });
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ key: reviewerProblemCommentKey });
    expect(comments[0]!.body).toContain('attempt 2 of 2');
    expect(comments[0]!.body).toContain('slow down');
    const status = await provider.getStatus({ changeRequest });
    expect(status.review.state).toBe('none');
    expect(status.mergeability).toBe('blocked');
  });

  it('takes approvals and requests for changes from people, through the API or review files', async () => {
    const provider = repository.createProvider({ requiredApprovals: 1 });
    const { worktree, headSha } = await repository.createBranch('loompa/person', 'person.txt', 'one\n');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/person',
      baseBranch: 'main',
      title: 'Person review',
      body: '',
    });
    expect((await provider.getStatus({ changeRequest })).mergeability).toBe('blocked');

    await provider.requestChanges({
      branch: 'loompa/person',
      reviewer: 'alice',
      comments: [{ path: 'person.txt', line: 1, body: 'Spell out the number' }, { body: 'Also add a test' }],
    });
    let status = await provider.getStatus({ changeRequest });
    expect(status.review.state).toBe('changes_requested');
    expect(
      status.review.threads.map((thread) => [thread.path, thread.line, thread.comments[0]!.author]),
    ).toEqual([
      ['person.txt', 1, 'alice'],
      [null, null, 'alice'],
    ]);

    const newHead = await repository.commit(worktree, 'person.txt', 'one (1)\n');
    // A change request stands until the same person decides again.
    expect((await provider.getStatus({ changeRequest })).review.state).toBe('changes_requested');

    // A review file written by hand, in the documented format.
    const reviews = path.join(repository.stateDirectory, 'reviews');
    await fs.writeFile(path.join(reviews, 'broken.json'), '{ "branch": "loompa/person", ');
    await fs.writeFile(
      path.join(reviews, 'zz-alice.json'),
      JSON.stringify({ branch: 'loompa/person', reviewer: 'alice', verdict: 'approved' }),
    );
    await fs.writeFile(
      path.join(reviews, 'zz-other-branch.json'),
      JSON.stringify({ branch: 'loompa/elsewhere', reviewer: 'bob', verdict: 'approved' }),
    );
    status = await provider.getStatus({ changeRequest });
    expect(status.review.state).toBe('approved');
    expect(status.mergeability).toBe('clean');
    expect(status.review.threads).toHaveLength(2);

    // Files are applied once: a restart reads them again without adding anything.
    const restarted = repository.createProvider({ requiredApprovals: 1 });
    expect((await restarted.getStatus({ changeRequest })).review.threads).toHaveLength(2);

    // An approval binds to the head it was given on.
    await restarted.approve({ branch: 'loompa/person', reviewer: 'carol', headSha });
    await repository.commit(worktree, 'person.txt', 'one (1)!\n');
    status = await restarted.getStatus({ changeRequest });
    expect(status.review.state).toBe('none');
    expect(status.mergeability).toBe('blocked');
    expect(newHead).not.toBe(headSha);

    // Fixing the broken file makes it count.
    await fs.writeFile(
      path.join(reviews, 'broken.json'),
      JSON.stringify({
        branch: 'loompa/person',
        reviewer: 'dave',
        verdict: null,
        comments: [{ body: 'One more thing' }],
      }),
    );
    status = await restarted.getStatus({ changeRequest });
    expect(status.review.threads.map((thread) => thread.comments[0]!.body)).toContain('One more thing');

    // The slot's approval (what `Orchestrator.approve` calls) approves the current head.
    await restarted.approveChangeRequest({ changeRequest, reviewer: 'erin' });
    status = await restarted.getStatus({ changeRequest });
    expect(status.review.state).toBe('approved');
    await expect(restarted.approve({ branch: 'loompa/missing', reviewer: 'x' })).rejects.toThrow(
      /no open change request/,
    );
  });
});
