import { runGit } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { closingReferences, mapMergeableState, plainActionsLog } from '../src/index.js';
import { createGitHubScmFixture, type GitHubScmFixture, repositoryName } from './github-scm-fixture.js';

let fixture: GitHubScmFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

async function openPullRequest(current: GitHubScmFixture, branch: string, body = 'Resolves #1.') {
  const headSha = await current.createBranchWithCommit(branch);
  const changeRequest = await current.provider.openChangeRequest({
    branch,
    baseBranch: 'main',
    title: branch,
    body,
  });
  await current.fake.settle();
  return { headSha, changeRequest };
}

describe('GitHubScmProvider', () => {
  it('costs no rate-limit point to read a pull request that waits for review', async () => {
    fixture = await createGitHubScmFixture();
    const { changeRequest } = await openPullRequest(fixture, 'loompa/idle');
    fixture.fake.addReviewComment(repositoryName, Number(changeRequest.id), {
      author: 'reviewer',
      body: 'Why?',
      path: 'README.md',
      line: 1,
    });
    const first = await fixture.provider.getStatus({ changeRequest });
    expect(first.review.threads).toHaveLength(1);
    const pointsBefore = fixture.fake.rateLimitCost;
    const requestsBefore = fixture.fake.requests.length;
    const again = await fixture.provider.getStatus({ changeRequest });
    expect(fixture.fake.rateLimitCost - pointsBefore).toBe(0);
    expect(fixture.fake.requests.slice(requestsBefore).map((request) => request.status)).toEqual([
      304, 304, 304, 304, 304,
    ]);
    expect(again).toEqual(first);
    // A reply changes the pull request: the next read sees it.
    fixture.fake.addReviewComment(repositoryName, Number(changeRequest.id), {
      author: 'reviewer',
      body: 'Still waiting',
      inReplyTo: fixture.fake.reviewThreads(repositoryName, Number(changeRequest.id))[0]!.comments[0]!.id,
    });
    const changed = await fixture.provider.getStatus({ changeRequest });
    expect(changed.review.threads[0]!.comments.map((comment) => comment.body)).toEqual([
      'Why?',
      'Still waiting',
    ]);
  });

  it('opens drafts, adopts an open pull request, and reports changes requested until approved', async () => {
    fixture = await createGitHubScmFixture();
    const drafting = fixture.makeProvider({ draft: true });
    await fixture.createBranchWithCommit('loompa/draft');
    const opened = await drafting.openChangeRequest({
      branch: 'loompa/draft',
      baseBranch: 'main',
      title: 'Draft',
      body: 'b',
    });
    expect(fixture.fake.repository(repositoryName).issues.get(Number(opened.id))?.pullRequest?.draft).toBe(
      true,
    );
    // Opening again (a crash before it was remembered) adopts the open one.
    const adopted = await drafting.openChangeRequest({
      branch: 'loompa/draft',
      baseBranch: 'main',
      title: 'Draft',
      body: 'b',
    });
    expect(adopted.id).toBe(opened.id);
    await fixture.fake.settle();
    expect((await drafting.getStatus({ changeRequest: opened })).mergeability).toBe('blocked');
    fixture.fake.submitReview(repositoryName, Number(opened.id), {
      author: 'reviewer',
      state: 'CHANGES_REQUESTED',
      body: 'Not like this',
    });
    let status = await drafting.getStatus({ changeRequest: opened });
    expect(status.review.state).toBe('changes_requested');
    expect(status.review.threads).toEqual([
      expect.objectContaining({
        path: null,
        resolved: false,
        comments: [expect.objectContaining({ author: 'reviewer', body: 'Not like this' })],
      }),
    ]);
    fixture.fake.submitReview(repositoryName, Number(opened.id), { author: 'reviewer', state: 'APPROVED' });
    status = await drafting.getStatus({ changeRequest: opened });
    expect(status.review).toMatchObject({ state: 'approved', approvals: 1 });
  });

  it('answers a review summary with one pull request comment, however often the reply is sent', async () => {
    fixture = await createGitHubScmFixture();
    const { changeRequest } = await openPullRequest(fixture, 'loompa/summary-reply');
    fixture.fake.submitReview(repositoryName, Number(changeRequest.id), {
      author: 'reviewer',
      state: 'CHANGES_REQUESTED',
      body: 'Not like this',
    });
    const status = await fixture.provider.getStatus({ changeRequest });
    const summary = status.review.threads.find((thread) => thread.id.startsWith('review:'))!;
    // Core sends a reply again when it cannot tell whether the first one arrived (a lost
    // answer, a crash): the summary's reply lives outside any thread, so the provider keys it.
    for (let sending = 0; sending < 2; sending++) {
      await fixture.provider.replyToThread({
        changeRequest,
        threadId: summary.id,
        body: 'Addressed in abc.',
      });
    }
    const repository = fixture.fake.repository(repositoryName);
    const comments = fixture.fake.model.commentsOf(repository, Number(changeRequest.id));
    expect(comments.filter((comment) => comment.body.startsWith('Addressed in abc.'))).toHaveLength(1);
  });

  it('reports computing while GitHub computes mergeability, after re-reading with back-off', async () => {
    fixture = await createGitHubScmFixture();
    const { changeRequest } = await openPullRequest(fixture, 'loompa/computing');
    fixture.fake.setMergeability(repositoryName, Number(changeRequest.id), {
      mergeable: true,
      mergeableState: 'clean',
      unknownReads: 2,
    });
    const patient = await fixture.provider.getStatus({ changeRequest });
    expect(patient.mergeability).toBe('clean');
    fixture.fake.setMergeability(repositoryName, Number(changeRequest.id), {
      mergeable: true,
      mergeableState: 'clean',
      unknownReads: 10,
    });
    expect((await fixture.provider.getStatus({ changeRequest })).mergeability).toBe('computing');
  });

  it('folds check runs and commit statuses worst-wins and never waits on an empty combined status', async () => {
    fixture = await createGitHubScmFixture();
    const { headSha, changeRequest } = await openPullRequest(fixture, 'loompa/checks');
    let status = await fixture.provider.getStatus({ changeRequest });
    // Actions only: GitHub's combined status says "pending" for no statuses; that is not a check.
    expect(status.continuousIntegration).toMatchObject({
      state: 'success',
      checks: [expect.objectContaining({ name: 'unit-tests' })],
    });
    fixture.fake.seedCommitStatus(repositoryName, { sha: headSha, context: 'ci/external', state: 'pending' });
    status = await fixture.provider.getStatus({ changeRequest });
    expect(status.continuousIntegration.state).toBe('pending');
    fixture.fake.seedCommitStatus(repositoryName, {
      sha: headSha,
      context: 'ci/external',
      state: 'error',
      description: 'Build broke',
      targetUrl: 'https://ci.example/42',
    });
    status = await fixture.provider.getStatus({ changeRequest });
    expect(status.continuousIntegration.state).toBe('failure');
    const external = status.continuousIntegration.checks.find((check) => check.name === 'ci/external')!;
    expect(external).toMatchObject({ state: 'failure', url: 'https://ci.example/42' });
    const log = await fixture.provider.getCheckLog({
      changeRequest: { ...changeRequest, headSha },
      checkId: external.id,
      maxBytes: 1_000,
    });
    expect(log).toContain('Build broke');
    expect(log).toContain('https://ci.example/42');
  });

  it('serves annotations for a failed check run without a log', async () => {
    fixture = await createGitHubScmFixture({
      fake: {
        actions: async () => ({
          jobs: [
            {
              name: 'lint',
              conclusion: 'failure',
              log: null,
              annotations: [{ path: 'src/a.ts', line: 7, message: 'Unexpected any' }],
            },
          ],
        }),
      },
    });
    const { changeRequest } = await openPullRequest(fixture, 'loompa/annotated');
    const status = await fixture.provider.getStatus({ changeRequest });
    const lint = status.continuousIntegration.checks.find((check) => check.name === 'lint')!;
    const log = await fixture.provider.getCheckLog({ changeRequest, checkId: lint.id, maxBytes: 10_000 });
    expect(log).toContain('src/a.ts:7');
    expect(log).toContain('Unexpected any');
  });

  it('rebases a branch that is only behind on the server, and fails clearly on a conflict', async () => {
    fixture = await createGitHubScmFixture();
    const behind = await openPullRequest(fixture, 'loompa/behind');
    await fixture.commitToBase({ file: 'other.txt', content: 'theirs\n' });
    await fixture.fake.settle();
    const before = await fixture.provider.getStatus({ changeRequest: behind.changeRequest });
    expect(before.mergeability).toBe('behind');
    await fixture.provider.updateBranch({ changeRequest: behind.changeRequest });
    await fixture.fake.settle();
    const after = await fixture.provider.getStatus({ changeRequest: behind.changeRequest });
    expect(after.headSha).not.toBe(behind.headSha);
    expect(after.mergeability).toBe('clean');
    const bare = await fixture.fake.bareRepositoryPath(repositoryName);
    const parent = (await runGit(['rev-parse', `${after.headSha}~1`], { cwd: bare })).stdout.trim();
    expect(parent).toBe(await fixture.readBaseHead());

    const clashing = await fixture.createBranchWithCommit('loompa/clash', {
      file: 'shared.txt',
      content: 'mine\n',
    });
    const clash = await fixture.provider.openChangeRequest({
      branch: 'loompa/clash',
      baseBranch: 'main',
      title: 'c',
      body: 'b',
    });
    await fixture.commitToBase({ file: 'shared.txt', content: 'theirs\n' });
    await expect(fixture.provider.updateBranch({ changeRequest: clash })).rejects.toMatchObject({
      details: { rebaseFailed: true },
    });
    expect((await fixture.provider.getStatus({ changeRequest: clash })).headSha).toBe(clashing);
  });

  it('merges only the checked head, and closes the issue itself when the base is not the default branch', async () => {
    fixture = await createGitHubScmFixture();
    const issue = fixture.fake.seedIssue(repositoryName, { title: 'Release fix' });
    await fixture.git(['push', '--quiet', 'origin', 'main:refs/heads/release']);
    const headSha = await fixture.createBranchWithCommit('loompa/release-fix');
    const changeRequest = await fixture.provider.openChangeRequest({
      branch: 'loompa/release-fix',
      baseBranch: 'release',
      title: 'Release fix',
      body: `Resolves #${issue.number} (hostile: \`$(rm -rf /)\` <!-- -->).`,
    });
    await fixture.fake.settle();
    await expect(
      fixture.provider.merge({ changeRequest, method: 'squash', expectedHeadSha: 'f'.repeat(40) }),
    ).rejects.toMatchObject({ details: { headMoved: true } });
    expect(issue.state).toBe('open');
    await fixture.provider.merge({ changeRequest, method: 'squash', expectedHeadSha: headSha });
    expect((await fixture.provider.getStatus({ changeRequest })).state).toBe('merged');
    expect(issue.state).toBe('closed');
    const mergeRequest = fixture.fake.requests.find(
      (request) => request.operationId === 'pulls/merge' && request.status === 200,
    );
    expect(mergeRequest).toBeDefined();
  });

  it('babysits pull requests by number and label, forks included, and pushes to a fork only when allowed', async () => {
    fixture = await createGitHubScmFixture();
    const own = await openPullRequest(fixture, 'feature/by-someone');
    fixture.fake
      .repository(repositoryName)
      .issues.get(Number(own.changeRequest.id))!
      .labels.push('loompa:babysit');
    const contributorToken = fixture.fake.createToken('contributor');
    const forkNumbers: number[] = [];
    for (const [login, allowed] of [
      ['alice', true],
      ['bob', false],
    ] as const) {
      fixture.fake.createFork(repositoryName, login);
      fixture.fake.repository(`${login}/widgets`).collaborators.add('contributor');
      await fixture.git(['checkout', '--quiet', '-B', `${login}-fix`, 'main']);
      await fixture.git(['commit', '--quiet', '--allow-empty', '-m', `${login}'s fix`]);
      await runGit(
        ['push', '--quiet', fixture.fake.gitUrl(`${login}/widgets`), `HEAD:refs/heads/${login}-fix`],
        {
          cwd: fixture.workingCopy,
          env: fixture.fake.gitEnvironment(contributorToken),
        },
      );
      const seeded = fixture.fake.seedPullRequest(repositoryName, {
        title: `${login}'s fix`,
        // Alice's is found by label (lists leave out maintainer_can_modify), Bob's by number.
        labels: login === 'alice' ? ['loompa:babysit'] : [],
        head: `${login}-fix`,
        headRepository: `${login}/widgets`,
        author: login,
        maintainerCanModify: allowed,
        computeMergeability: true,
      });
      forkNumbers.push(seeded.number);
    }
    const closed = fixture.fake.seedPullRequest(repositoryName, {
      title: 'Closed',
      head: 'gone',
      state: 'closed',
    });
    const candidates = await fixture.provider.listBabysitCandidates({
      numbers: [forkNumbers[1]!, closed.number, 999],
      label: 'LOOMPA:babysit',
    });
    expect(candidates.map((candidate) => [candidate.number, candidate.author, candidate.pushable])).toEqual([
      [own.changeRequest.number, 'loompa-bot', true],
      [forkNumbers[0], 'alice', true],
      [forkNumbers[1], 'bob', false],
    ]);
    const alice = candidates[1]!;
    expect(alice.headRepositoryUrl).toBe(fixture.fake.gitUrl('alice/widgets'));
    expect(alice.headSha).toMatch(/^[0-9a-f]{40}$/);
    const target = (await fixture.provider.getPushTarget({ changeRequest: alice }))!;
    expect(target.remoteUrl).toBe(fixture.fake.gitUrl('alice/widgets'));
    expect(target.remoteUrl).not.toContain(fixture.token);
    expect(JSON.stringify(target.environment)).not.toContain(fixture.token);
    // The push target's environment is all git needs: a maintainer's push to alice's fork works, to bob's is refused.
    await fixture.git(['checkout', '--quiet', '-B', 'maintainer-push', alice.headSha!]);
    await fixture.git(['commit', '--quiet', '--allow-empty', '-m', 'Fixed by Loompa']);
    await runGit(['push', '--quiet', target.remoteUrl, 'HEAD:refs/heads/alice-fix'], {
      cwd: fixture.workingCopy,
      env: target.environment,
    });
    const bobTarget = (await fixture.provider.getPushTarget({ changeRequest: candidates[2]! }))!;
    await expect(
      runGit(['push', '--quiet', bobTarget.remoteUrl, 'HEAD:refs/heads/bob-fix'], {
        cwd: fixture.workingCopy,
        env: bobTarget.environment,
      }),
    ).rejects.toThrow();
    await fixture.fake.settle();
    const status = await fixture.provider.getStatus({ changeRequest: alice });
    expect(status.headSha).toBe(await fixture.git(['rev-parse', 'HEAD']));
  });

  it('cleans Actions logs; maps every mergeable state', () => {
    expect(
      plainActionsLog(
        '2026-01-01T00:00:00.1234567Z ##[group]Run x\n2026-01-01T00:00:01Z \x1b[31mred\x1b[0m\r\n',
      ),
    ).toBe('Run x\nred\n');
    expect(closingReferences('Closes #3, fixes #4 and resolves: #3; mentions #9')).toEqual([3, 4]);
    expect(mapMergeableState(null, 'unknown')).toBe('computing');
    expect(mapMergeableState(false, 'dirty')).toBe('conflict');
    expect(mapMergeableState(true, 'behind')).toBe('behind');
    expect(mapMergeableState(true, 'blocked')).toBe('blocked');
    expect(mapMergeableState(true, 'draft')).toBe('blocked');
    expect(mapMergeableState(true, 'unstable')).toBe('clean');
    expect(mapMergeableState(true, 'has_hooks')).toBe('clean');
    expect(mapMergeableState(true, 'something-new')).toBe('unknown');
  });
});
