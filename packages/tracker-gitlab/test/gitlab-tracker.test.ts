import { TrackerError } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabTracker } from '../src/index.js';
import {
  createGitLabTrackerFixture,
  type GitLabTrackerFixture,
  projectPath,
} from './gitlab-tracker-fixture.js';

let fixture: GitLabTrackerFixture | null = null;
afterEach(async () => {
  await fixture?.fake.close();
  fixture = null;
});

async function start(settings: Parameters<typeof createGitLabTrackerFixture>[0] = {}) {
  fixture = await createGitLabTrackerFixture(settings);
  return fixture;
}

describe('GitLabTracker', () => {
  it('reads plain GitLab issues: open is the first active state, closed the first terminal one', async () => {
    const { fake, tracker } = await start();
    const open = fake.seedIssue(projectPath, {
      title: 'Open',
      labels: ['Bug', 'type::Feature', 'priority::1'],
    });
    const closed = fake.seedIssue(projectPath, { title: 'Closed', state: 'closed' });
    const [readOpen] = await tracker.getIssues({ ids: [String(open.iid)] });
    expect(readOpen).toMatchObject({
      identifier: `#${open.iid}`,
      state: 'todo',
      labels: ['bug'],
      type: 'feature',
      priority: 1,
      url: `${fake.url}/${projectPath}/-/issues/${open.iid}`,
    });
    const [readClosed] = await tracker.getIssues({ ids: [String(closed.iid)] });
    expect(readClosed!.state).toBe('done');
  });

  it('passes required labels, assignee and milestone to GitLab instead of filtering afterwards', async () => {
    const { fake, tracker } = await start({ requiredLabels: ['agent'], assignee: 'alice', milestone: 'v1' });
    const wanted = fake.seedIssue(projectPath, {
      title: 'Wanted',
      labels: ['Agent'],
      assignees: ['alice'],
      milestone: 'v1',
    });
    fake.seedIssue(projectPath, { title: 'Unlabelled', assignees: ['alice'], milestone: 'v1' });
    fake.seedIssue(projectPath, {
      title: 'Someone else',
      labels: ['agent'],
      assignees: ['bob'],
      milestone: 'v1',
    });
    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(listed.map((issue) => issue.id)).toEqual([String(wanted.iid)]);
    const query = fake.requests.find((request) => request.path.endsWith('/issues'))!.query;
    expect(query).toContain('labels=agent');
    expect(query).toContain('assignee_username');
    expect(query).toContain('milestone=v1');
  });

  it('moves issues with scoped status labels, closing on terminal states and reopening after', async () => {
    const { fake, tracker } = await start();
    const issue = fake.seedIssue(projectPath, { title: 'Move me' });
    const stored = () => fake.project(projectPath).issues.find((candidate) => candidate.iid === issue.iid)!;
    await tracker.transitionIssue({ issueId: String(issue.iid), state: 'In Progress' });
    expect(stored()).toMatchObject({ state: 'opened', labels: ['status::In Progress'] });
    await tracker.transitionIssue({ issueId: String(issue.iid), state: 'Cancelled' });
    expect(stored()).toMatchObject({ state: 'closed', labels: ['status::Cancelled'] });
    await tracker.transitionIssue({ issueId: String(issue.iid), state: 'todo' });
    expect(stored()).toMatchObject({ state: 'opened', labels: [] });
    const requestsBefore = fake.requests.length;
    await tracker.transitionIssue({ issueId: String(issue.iid), state: 'TODO' });
    // Already there: one read, no write.
    expect(fake.requests.slice(requestsBefore).map((request) => request.method)).toEqual(['GET']);
  });

  it('keeps one keyed note per key, edited in place, and leaves people’s notes alone', async () => {
    const { fake, tracker, notesOf } = await start();
    const issue = fake.seedIssue(projectPath, { title: 'Talk' });
    await tracker.commentOnIssue({ issueId: String(issue.iid), body: 'one', key: 'status' });
    await tracker.commentOnIssue({ issueId: String(issue.iid), body: 'plain' });
    await tracker.commentOnIssue({ issueId: String(issue.iid), body: 'two', key: 'status' });
    expect(notesOf(issue.iid)).toEqual(['two', 'plain']);
  });

  it('creates issues with state, priority, type and assignee as GitLab labels and fields', async () => {
    const { fake, tracker } = await start();
    fake.createUser({ username: 'alice' });
    const created = await tracker.createIssue({
      issue: {
        title: 'New',
        description: 'Body',
        state: 'In Review',
        priority: 2,
        type: 'Bug',
        assignee: 'alice',
        labels: ['UI'],
      },
    });
    expect(created).toMatchObject({
      title: 'New',
      state: 'In Review',
      priority: 2,
      type: 'bug',
      labels: ['ui'],
      assignees: ['alice'],
    });
    const done = await tracker.createIssue({ issue: { title: 'Already done', state: 'done' } });
    expect(done.state).toBe('done');
    expect(fake.project(projectPath).issues.find((issue) => issue.title === 'Already done')!.state).toBe(
      'closed',
    );
  });

  it('claims an issue for one owner at a time, until the lease expires or is released', async () => {
    const { fake, tracker } = await start();
    const issue = fake.seedIssue(projectPath, { title: 'Contested' });
    const issueId = String(issue.iid);
    expect(await tracker.claimIssue({ issueId, owner: 'first', leaseMs: 60_000 })).toBe(true);
    expect(await tracker.claimIssue({ issueId, owner: 'second', leaseMs: 60_000 })).toBe(false);
    expect(await tracker.claimIssue({ issueId, owner: 'first', leaseMs: 60_000 })).toBe(true);
    const stored = fake.project(projectPath).issues.find((candidate) => candidate.iid === issue.iid)!;
    expect(stored.labels).toContain('loompa::claimed');
    expect(stored.assigneeIds).toEqual([fake.user.id]);
    const [read] = await tracker.getIssues({ ids: [issueId] });
    expect(read!.labels).not.toContain('loompa::claimed');
    await tracker.releaseIssue({ issueId, owner: 'first' });
    expect(stored.labels).not.toContain('loompa::claimed');
    expect(stored.assigneeIds).toEqual([]);
    expect(await tracker.claimIssue({ issueId, owner: 'second', leaseMs: 60_000 })).toBe(true);
  });

  it('ignores an expired lease left by a crashed orchestrator', async () => {
    const { fake, tracker } = await start();
    const issue = fake.seedIssue(projectPath, { title: 'Abandoned' });
    const crashed = fake.createUser({ username: 'crashed-bot' });
    const expired = '<!-- loompa:lease {"owner":"crashed","expiresAt":"2000-01-01T00:00:00.000Z"} -->';
    const response = await fetch(`${fake.url}/api/v4/projects/group%2Fproject/issues/${issue.iid}/notes`, {
      method: 'POST',
      headers: { 'private-token': crashed.token, 'content-type': 'application/json' },
      body: JSON.stringify({ body: `Loompa is working on this issue.\n\n${expired}` }),
    });
    expect(response.status).toBe(201);
    expect(await tracker.claimIssue({ issueId: String(issue.iid), owner: 'next', leaseMs: 60_000 })).toBe(
      true,
    );
  });

  it('lets exactly one of two orchestrators with different tokens claim an issue, even at once', async () => {
    const { fake, tracker } = await start();
    const other = fake.createUser({ username: 'other-bot' });
    const otherTracker = createGitLabTracker({
      client: { host: fake.url, token: other.token },
      project: projectPath,
    });
    const issue = fake.seedIssue(projectPath, { title: 'Wanted twice' });
    const issueId = String(issue.iid);
    const outcomes = await Promise.all([
      tracker.claimIssue({ issueId, owner: 'first', leaseMs: 60_000 }),
      otherTracker.claimIssue({ issueId, owner: 'second', leaseMs: 60_000 }),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes[0] ? 'first' : 'second';
    const loser = outcomes[0] ? otherTracker : tracker;
    expect(
      await loser.claimIssue({ issueId, owner: winner === 'first' ? 'second' : 'first', leaseMs: 60_000 }),
    ).toBe(false);
    await (outcomes[0] ? tracker : otherTracker).releaseIssue({ issueId, owner: winner });
    expect(
      await loser.claimIssue({ issueId, owner: winner === 'first' ? 'second' : 'first', leaseMs: 60_000 }),
    ).toBe(true);
  });

  it('says which issue and project when an issue does not exist', async () => {
    const { tracker } = await start();
    const failure = await tracker
      .transitionIssue({ issueId: '999', state: 'done' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TrackerError);
    expect((failure as Error).message).toBe('GitLab project group/project has no issue #999');
  });

  it('reports issue updates through watch by polling updated_after', async () => {
    const { fake, tracker } = await start();
    const controller = new AbortController();
    const reported: string[] = [];
    tracker.watch({
      abortSignal: controller.signal,
      onChange: (change) => reported.push(...(change.issueIds ?? [])),
    });
    const issue = fake.seedIssue(projectPath, { title: 'Watched' });
    while (!reported.includes(String(issue.iid))) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const watchQuery = fake.requests.find((request) => request.query.includes('updated_after'));
    expect(watchQuery).toBeDefined();
    expect(reported.filter((id) => id === String(issue.iid))).toHaveLength(1);
  });
});
