import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runGit } from '@loompa/core';
import { createGitHubWebhookHandler } from '@loompa/github-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pullRequestChangeOf } from '../src/index.js';
import { createGitHubScmFixture, type GitHubScmFixture, repositoryName } from './github-scm-fixture.js';

let fixture: GitHubScmFixture | null = null;
let server: Server | null = null;
let controller = new AbortController();
afterEach(async () => {
  controller.abort();
  controller = new AbortController();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = null;
  await fixture?.cleanup();
  fixture = null;
});

const secret = 'scm-webhook-secret-value';

/** The handler mounted in the "user's own" HTTP server, next to another route. */
async function mountedHandler() {
  const handler = createGitHubWebhookHandler({ secret });
  server = createServer((request, response) => {
    if (request.url === '/hooks/github') void handler.handle(request, response);
    else response.writeHead(200).end('the rest of the service');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hooks/github`;
  return { handler, url };
}

describe('GitHubScmProvider watch with webhooks', () => {
  it('has no watch without webhooks', async () => {
    fixture = await createGitHubScmFixture();
    expect(fixture.provider.watch).toBeUndefined();
  });

  it('ticks only the affected branch for pull request, review, thread and check events', async () => {
    fixture = await createGitHubScmFixture();
    const { handler, url } = await mountedHandler();
    const provider = fixture.makeProvider({ webhookReceiver: handler });
    const branches: string[] = [];
    provider.watch!({
      abortSignal: controller.signal,
      onChange: (change) => branches.push(change.branch ?? ''),
    });
    fixture.fake.addWebhook({ url, secret });
    await fixture.createBranchWithCommit('loompa/quiet');
    await fixture.createBranchWithCommit('loompa/hooked');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/hooked',
      baseBranch: 'main',
      title: 'Hooked',
      body: 'Resolves #1.',
    });
    await fixture.fake.settle();
    const comment = fixture.fake.addReviewComment(repositoryName, Number(changeRequest.id), {
      author: 'reviewer',
      body: 'Rename this',
      path: 'README.md',
      line: 1,
    });
    const status = await provider.getStatus({ changeRequest });
    await provider.resolveThread({ changeRequest, threadId: status.review.threads[0]!.id });
    fixture.fake.submitReview(repositoryName, Number(changeRequest.id), {
      author: 'reviewer',
      state: 'APPROVED',
    });
    await fixture.fake.settle();
    const events = new Set(fixture.fake.webhookDeliveries.map((delivery) => delivery.event));
    for (const event of [
      'pull_request',
      'pull_request_review',
      'pull_request_review_comment',
      'pull_request_review_thread',
      'check_run',
      'check_suite',
      'workflow_run',
    ]) {
      expect(events).toContain(event);
    }
    expect(fixture.fake.webhookDeliveries.every((delivery) => delivery.status === 202)).toBe(true);
    await vi.waitFor(
      () => expect(branches.filter((branch) => branch === 'loompa/hooked').length).toBeGreaterThanOrEqual(4),
      {
        timeout: 10_000,
      },
    );
    // Pushing `loompa/quiet` ran its checks, but it has no pull request: nothing names it.
    expect(new Set(branches)).toEqual(new Set(['loompa/hooked']));
    expect(comment.body).toBe('Rename this');
  });

  it('maps check events of a fork head to its branch by head commit', async () => {
    fixture = await createGitHubScmFixture();
    const { handler, url } = await mountedHandler();
    const provider = fixture.makeProvider({ webhookReceiver: handler });
    const branches: string[] = [];
    provider.watch!({
      abortSignal: controller.signal,
      onChange: (change) => branches.push(change.branch ?? ''),
    });
    // A contributor's fork with a branch and a pull request into octo/widgets.
    const contributorToken = fixture.fake.createToken('contributor');
    fixture.fake.createFork(repositoryName, 'contributor');
    fixture.fake.repository('contributor/widgets').collaborators.add('contributor');
    const environment = {
      ...fixture.fake.gitEnvironment(contributorToken),
      GIT_AUTHOR_NAME: 'C',
      GIT_AUTHOR_EMAIL: 'c@localhost',
      GIT_COMMITTER_NAME: 'C',
      GIT_COMMITTER_EMAIL: 'c@localhost',
    };
    await fixture.git(['checkout', '--quiet', '-B', 'fork-fix', 'main']);
    await fixture.git(['commit', '--quiet', '--allow-empty', '-m', 'A fix from a fork']);
    await runGit(
      [
        'push',
        '--quiet',
        fixture.fake.gitUrl('contributor/widgets'),
        'HEAD:refs/heads/fork-fix',
        'HEAD~1:refs/heads/main',
      ],
      {
        cwd: fixture.workingCopy,
        env: environment,
      },
    );
    const pull = fixture.fake.seedPullRequest(repositoryName, {
      title: 'Fork fix',
      head: 'fork-fix',
      headRepository: 'contributor/widgets',
      author: 'contributor',
      maintainerCanModify: true,
      computeMergeability: true,
    });
    // Reading it teaches the provider the fork head's commit.
    const [candidate] = await provider.listBabysitCandidates({ numbers: [pull.number], label: null });
    fixture.fake.addWebhook({ url, secret, events: ['check_run'] });
    fixture.fake.seedCheckRun(repositoryName, {
      headSha: candidate!.headSha!,
      name: 'external',
      conclusion: 'failure',
    });
    await fixture.fake.settle();
    const delivered = fixture.fake.webhookDeliveries.find((delivery) => delivery.event === 'check_run');
    expect(JSON.parse(delivered!.payload).check_run.pull_requests).toEqual([]);
    await vi.waitFor(() => expect(branches).toContain('fork-fix'), { timeout: 10_000 });
  });

  it('ignores other repositories and events it does not know', () => {
    const branchOfHead = () => 'mapped';
    expect(
      pullRequestChangeOf(
        {
          id: '1',
          event: 'pull_request',
          payload: {
            repository: { full_name: 'other/repo' },
            pull_request: { number: 1, head: { ref: 'x' } },
          },
        },
        repositoryName,
        branchOfHead,
      ),
    ).toBeNull();
    expect(
      pullRequestChangeOf(
        { id: '2', event: 'star', payload: { repository: { full_name: repositoryName } } },
        repositoryName,
        branchOfHead,
      ),
    ).toBeNull();
    expect(
      pullRequestChangeOf(
        {
          id: '3',
          event: 'status',
          payload: { repository: { full_name: repositoryName }, sha: 'abc', branches: [] },
        },
        repositoryName,
        branchOfHead,
      ),
    ).toEqual({ branches: ['mapped'], reviewedNumbers: [] });
  });
});
