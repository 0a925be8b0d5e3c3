import { freePort } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabScmFixture, type GitLabScmFixture, projectPath } from './gitlab-scm-fixture.js';

let fixture: GitLabScmFixture | null = null;
let controller = new AbortController();
afterEach(async () => {
  controller.abort();
  controller = new AbortController();
  await fixture?.cleanup();
  fixture = null;
});

describe('GitLabScmProvider watch with webhooks', () => {
  it('has no watch without a webhook endpoint', async () => {
    fixture = await createGitLabScmFixture();
    expect(fixture.provider.watch).toBeUndefined();
  });

  it('reports the branch of merge request, pipeline and review-note events', async () => {
    fixture = await createGitLabScmFixture();
    const port = await freePort();
    const provider = fixture.makeProvider({
      webhook: { secret: 'hook-secret', host: '127.0.0.1', port, path: '/gitlab/webhooks' },
    });
    const branches: string[] = [];
    provider.watch!({
      abortSignal: controller.signal,
      onChange: (change) => branches.push(change.branch ?? ''),
    });
    const url = `http://127.0.0.1:${port}/gitlab/webhooks`;
    while (!(await fetch(url).catch(() => null))) await new Promise((resolve) => setTimeout(resolve, 10));
    fixture.fake.addWebhook({ project: projectPath, url, token: 'hook-secret' });
    await fixture.createBranchWithCommit('loompa/hooked');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/hooked',
      baseBranch: 'main',
      title: 'Hooked',
      body: 'body',
    });
    fixture.fake.addDiscussion(projectPath, Number(changeRequest.id), {
      author: 'carol',
      body: 'Please fix',
    });
    await fixture.fake.settle();
    while (branches.filter((branch) => branch === 'loompa/hooked').length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const kinds = fixture.fake.deliveries.map((delivery) => delivery.event);
    expect(kinds).toEqual(expect.arrayContaining(['Pipeline Hook', 'Merge Request Hook', 'Note Hook']));
    expect(new Set(branches)).toEqual(new Set(['loompa/hooked']));
  });
});
