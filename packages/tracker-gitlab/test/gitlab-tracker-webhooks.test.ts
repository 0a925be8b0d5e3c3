import type { TrackerChange } from '@loompa/core';
import { freePort } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGitLabTrackerFixture,
  type GitLabTrackerFixture,
  projectPath,
} from './gitlab-tracker-fixture.js';

let fixture: GitLabTrackerFixture | null = null;
let controller = new AbortController();
afterEach(async () => {
  controller.abort();
  controller = new AbortController();
  await fixture?.fake.close();
  fixture = null;
});

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('GitLabTracker watch with webhooks', () => {
  it('reports an issue change from a delivery long before the next poll, and ignores a wrong token', async () => {
    const port = await freePort();
    fixture = await createGitLabTrackerFixture({
      pollIntervalMs: 600_000,
      webhook: { secret: 'hook-secret', host: '127.0.0.1', port, path: '/gitlab/webhooks' },
    });
    const { fake, tracker } = fixture;
    const changes: TrackerChange[] = [];
    tracker.watch({ abortSignal: controller.signal, onChange: (change) => changes.push(change) });
    const url = `http://127.0.0.1:${port}/gitlab/webhooks`;
    // The receiver starts in the background; wait until it answers.
    for (;;) {
      const probe = await fetch(url, { method: 'GET' }).catch(() => null);
      if (probe) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    fake.addWebhook({ project: projectPath, url, token: 'wrong-secret' });
    fake.addWebhook({ project: projectPath, url, token: 'hook-secret' });
    const issue = fake.seedIssue(projectPath, { title: 'Hooked' });
    await until(() => changes.length > 0);
    await fake.settle();
    expect(changes).toEqual([{ issueIds: [String(issue.iid)] }]);
    expect(fake.deliveries.map((delivery) => delivery.status).sort()).toEqual([200, 401]);
  });
});
