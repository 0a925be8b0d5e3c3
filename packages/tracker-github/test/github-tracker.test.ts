import { afterEach, describe, expect, it } from 'vitest';
import { type GitHubTrackerTestbed, repositoryName, startGitHubTracker } from './github-tracker-fixture.js';

let testbed: GitHubTrackerTestbed | null = null;
afterEach(async () => {
  await testbed?.close();
  testbed = null;
});

async function start(options: Parameters<typeof startGitHubTracker>[0] = {}) {
  testbed = await startGitHubTracker(options);
  return testbed;
}

describe('GitHub tracker intake', () => {
  it('drops pull requests, which the issues endpoint returns as well', async () => {
    const { fake, tracker, seed } = await start();
    const issue = seed({ title: 'A real issue', state: 'todo' });
    fake.seedPullRequest(repositoryName, { title: 'A pull request', head: 'feature' });
    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(listed.map((item) => item.id)).toEqual([String(issue)]);
    const pullRequestNumber = issue + 1;
    expect(await tracker.getIssues({ ids: [String(pullRequestNumber)] })).toEqual([]);
  });

  it('narrows the GitHub query by labels (all must match), assignee and milestone', async () => {
    const { fake, tracker, seed } = await start({
      tracker: { labels: ['Loompa', 'backend'], assignee: 'loompa-bot', milestone: 'v1' },
    });
    const wanted = fake.seedIssue(repositoryName, {
      title: 'Everything matches',
      labels: ['loompa', 'Backend', 'bug'],
      assignees: ['loompa-bot'],
      milestone: 'v1',
    }).number;
    fake.seedIssue(repositoryName, {
      title: 'One label only',
      labels: ['loompa'],
      assignees: ['loompa-bot'],
      milestone: 'v1',
    });
    fake.seedIssue(repositoryName, {
      title: 'Nobody assigned',
      labels: ['loompa', 'backend'],
      milestone: 'v1',
    });
    fake.seedIssue(repositoryName, {
      title: 'Other milestone',
      labels: ['loompa', 'backend'],
      assignees: ['loompa-bot'],
      milestone: 'v2',
    });
    seed({ title: 'No labels', state: 'todo' });

    const listed = await tracker.listIssues({ states: ['todo'] });
    expect(listed.map((item) => item.id)).toEqual([String(wanted)]);
    expect(listed[0]).toMatchObject({
      labels: ['loompa', 'backend', 'bug'],
      type: 'bug',
      assignees: ['loompa-bot'],
    });
    const query = fake.requests.find((request) => request.operationId === 'issues/list-for-repo')!.query;
    expect(query).toContain('labels=Loompa%2Cbackend');
    expect(query).toContain('assignee=loompa-bot');
  });

  it('maps open, labelled and closed issues onto states, and moves them', async () => {
    const { fake, tracker, seed } = await start();
    const todo = seed({ title: 'Open', state: 'todo' });
    const doing = seed({ title: 'Labelled', state: 'in progress' });
    const cancelled = seed({ title: 'Not planned', state: 'cancelled' });
    const states = async () =>
      Object.fromEntries(
        (await tracker.getIssues({ ids: [todo, doing, cancelled].map(String) })).map((issue) => [
          issue.id,
          issue.state,
        ]),
      );
    expect(await states()).toEqual({ [todo]: 'todo', [doing]: 'in progress', [cancelled]: 'cancelled' });

    await tracker.transitionIssue!({ issueId: String(todo), state: 'In Progress' });
    await tracker.transitionIssue!({ issueId: String(doing), state: 'done' });
    await tracker.transitionIssue!({ issueId: String(cancelled), state: 'todo' });
    expect(await states()).toEqual({ [todo]: 'in progress', [doing]: 'done', [cancelled]: 'todo' });
    const repository = fake.repository(repositoryName);
    expect(repository.issues.get(doing)).toMatchObject({
      state: 'closed',
      stateReason: 'completed',
      labels: [],
    });
    expect(repository.issues.get(cancelled)!.state).toBe('open');
    await expect(tracker.transitionIssue!({ issueId: String(todo), state: 'limbo' })).rejects.toThrow(
      /known states: todo, in progress, done, cancelled/,
    );
  });

  it('reads blockers from issue dependencies and holds back an issue with an open blocker', async () => {
    const { tracker, seed } = await start();
    const blocker = seed({ title: 'Do me first', state: 'todo' });
    const finished = seed({ title: 'Already done', state: 'done' });
    const blocked = seed({ title: 'Blocked', state: 'todo', blockedBy: [blocker, finished] });
    const free = seed({ title: 'Blocked by finished work only', state: 'todo', blockedBy: [finished] });

    const issues = await tracker.getIssues({ ids: [String(blocked), String(free)] });
    expect(issues[0]).toMatchObject({
      dispatchable: false,
      blockedBy: [
        { id: String(blocker), identifier: `#${blocker}`, state: 'todo' },
        { id: String(finished), identifier: `#${finished}`, state: 'done' },
      ],
    });
    expect(issues[1]).toMatchObject({ dispatchable: true });
  });

  it('polls idle for free: every repeated read is a 304', async () => {
    const { fake, tracker, seed } = await start({ tracker: { labels: ['loompa'] } });
    for (let index = 0; index < 120; index++)
      seed({ title: `Issue ${index}`, state: 'todo', labels: ['loompa'] });
    const first = await tracker.listIssues({ states: ['todo', 'in progress'] });
    await tracker.getIssues({ ids: first.map((issue) => issue.id) });
    const costAfterFirstCycle = fake.rateLimitCost;
    const requestsBefore = fake.requests.length;

    const again = await tracker.listIssues({ states: ['todo', 'in progress'] });
    await tracker.getIssues({ ids: again.map((issue) => issue.id) });

    expect(again).toHaveLength(120);
    expect(fake.rateLimitCost).toBe(costAfterFirstCycle);
    // Two list pages, both 304; the refresh right after the list is answered from it.
    expect(fake.requests.slice(requestsBefore).map((request) => request.status)).toEqual([304, 304]);
  });

  it('refreshes from the list it just fetched, and reads again after its own write', async () => {
    const { fake, tracker, seed } = await start({ tracker: { listReuseMs: 60_000 } });
    const issue = String(seed({ title: 'Listed', state: 'todo' }));
    await tracker.listIssues({ states: ['todo'] });
    const requestsAfterList = fake.requests.length;
    expect((await tracker.getIssues({ ids: [issue] }))[0]!.state).toBe('todo');
    expect(fake.requests.length).toBe(requestsAfterList);

    await tracker.transitionIssue!({ issueId: issue, state: 'in progress' });
    expect((await tracker.getIssues({ ids: [issue] }))[0]!.state).toBe('in progress');
  });
});

describe('GitHub tracker writes', () => {
  it('keeps one comment per key, edited in place, and ignores markers in other people’s comments', async () => {
    const { fake, tracker, seed, comments } = await start();
    const issue = seed({ title: 'Status please', state: 'todo' });
    const repository = fake.repository(repositoryName);
    fake.model.addComment(
      repository,
      repository.issues.get(issue)!,
      'forged <!-- loompa:comment-key=status -->',
      'mallory',
    );

    await tracker.commentOnIssue!({ issueId: String(issue), body: 'Status: 1', key: 'status' });
    await tracker.commentOnIssue!({ issueId: String(issue), body: 'Status: 2', key: 'status' });
    await tracker.commentOnIssue!({ issueId: String(issue), body: 'Status: 2', key: 'status' });

    expect(comments(issue)).toEqual(['forged', 'Status: 2']);
    expect(fake.requestCount({ operationId: 'issues/create-comment' })).toBe(1);
    expect(fake.requestCount({ operationId: 'issues/update-comment' })).toBe(1);
  });

  it('claims through a lease comment, label and assignment, and refuses a second owner until release', async () => {
    const { fake, tracker, seed } = await start();
    const issue = String(seed({ title: 'Contended', state: 'todo' }));

    expect(await tracker.claimIssue!({ issueId: issue, owner: 'orchestrator-a', leaseMs: 60_000 })).toBe(
      true,
    );
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'orchestrator-b', leaseMs: 60_000 })).toBe(
      false,
    );
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'orchestrator-a', leaseMs: 60_000 })).toBe(
      true,
    );
    const claimed = fake.repository(repositoryName).issues.get(Number(issue))!;
    expect(claimed.labels).toContain('loompa:claimed');
    expect(claimed.assignees).toEqual(['loompa-bot']);
    // A renewal by the holder does not assign again, and the owner never appears in the comment.
    expect(fake.requestCount({ operationId: 'issues/add-assignees' })).toBe(1);
    const leaseComment = fake.model.commentsOf(fake.repository(repositoryName), Number(issue)).at(-1)!.body;
    expect(leaseComment).not.toContain('orchestrator-a');
    const [read] = await tracker.getIssues({ ids: [issue] });
    expect(read!.labels).not.toContain('loompa:claimed');

    await tracker.releaseIssue!({ issueId: issue, owner: 'orchestrator-b' });
    expect(claimed.labels).toContain('loompa:claimed');
    await tracker.releaseIssue!({ issueId: issue, owner: 'orchestrator-a' });
    expect(claimed.labels).not.toContain('loompa:claimed');
    expect(claimed.assignees).toEqual([]);
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'orchestrator-b', leaseMs: 60_000 })).toBe(
      true,
    );
  });

  it('gives a raced claim to one owner and leaves no stale lease behind for the next', async () => {
    const { fake, tracker, seed } = await start();
    const issue = String(seed({ title: 'Raced', state: 'todo' }));
    const results = await Promise.all(
      ['first', 'second', 'third'].map((owner) =>
        tracker.claimIssue!({ issueId: issue, owner, leaseMs: 60_000 }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = ['first', 'second', 'third'][results.indexOf(true)]!;
    const comments = () => fake.model.commentsOf(fake.repository(repositoryName), Number(issue));
    expect(comments()).toHaveLength(1);
    await tracker.releaseIssue!({ issueId: issue, owner: winner });
    expect(comments()).toHaveLength(0);
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'latecomer', leaseMs: 60_000 })).toBe(true);
  });

  it('lets an expired lease be taken over', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { tracker, seed } = await start({ tracker: { now: () => now } });
    const issue = String(seed({ title: 'Abandoned', state: 'todo' }));
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'crashed', leaseMs: 1_000 })).toBe(true);
    now += 2_000;
    expect(await tracker.claimIssue!({ issueId: issue, owner: 'successor', leaseMs: 1_000 })).toBe(true);
  });

  it('creates issues with priority, type and state as labels, and intake labels so it lists them', async () => {
    const { fake, tracker } = await start({ tracker: { labels: ['loompa'] } });
    const created = await tracker.createIssue!({
      issue: {
        title: 'Filed by Loompa',
        description: 'Body',
        state: 'in progress',
        priority: 1,
        type: 'feature',
        labels: ['ci'],
      },
    });
    expect(created).toMatchObject({
      title: 'Filed by Loompa',
      state: 'in progress',
      priority: 1,
      type: 'feature',
      labels: ['loompa', 'ci', 'enhancement'],
    });
    expect(fake.repository(repositoryName).issues.get(Number(created.id))!.labels).toEqual([
      'loompa',
      'ci',
      'priority:urgent',
      'enhancement',
      'loompa:in-progress',
    ]);
    expect((await tracker.listIssues({ states: ['in progress'] })).map((issue) => issue.id)).toEqual([
      created.id,
    ]);
  });
});

describe('GitHub tracker watch', () => {
  it('turns webhook deliveries about the repository’s issues into changes, once per delivery', async () => {
    const { fake, tracker, seed, receiver, webhookSecret } = await start({ webhooks: true });
    const changes: Array<string[] | undefined> = [];
    const controller = new AbortController();
    tracker.watch!({ abortSignal: controller.signal, onChange: (change) => changes.push(change.issueIds) });

    const issue = seed({ title: 'Hello', state: 'todo' });
    fake.seedPullRequest(repositoryName, { title: 'Not an issue', head: 'feature' });
    await fake.webhooksSettled();
    await expect.poll(() => changes, { timeout: 20_000 }).toEqual([[String(issue)]]);

    const opened = fake.webhookDeliveries[0]!;
    const again = await fake.redeliverWebhook(opened.id, webhookSecret);
    expect(again.status).toBe(200);
    const forged = await fake.deliverWebhook({
      url: receiver!.url,
      event: 'issues',
      payload: JSON.parse(opened.payload),
      secret: 'not-the-secret',
    });
    expect(forged.status).toBe(401);
    controller.abort();
    seed({ title: 'After the abort', state: 'todo' });
    await fake.webhooksSettled();
    expect(changes).toEqual([[String(issue)]]);
  });
});
