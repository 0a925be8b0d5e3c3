import { createFakeGitHub, type FakeGitHub, freePort } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, parseJsonLines, removeSandboxes, startLoompa } from './cli-fixture.js';

const tokenVariable = 'LOOMPA_TEST_GITHUB_TOKEN';
let fake: FakeGitHub | null = null;

afterEach(async () => {
  await removeSandboxes();
  await fake?.close();
  fake = null;
});

function githubTracker(github: FakeGitHub) {
  return {
    kind: 'github',
    repository: 'octo/widgets',
    api_url: github.url,
    token_variable: tokenVariable,
    required_labels: ['loompa'],
  };
}

describe('loompa with tracker.kind: github', () => {
  // Each test starts the real CLI (twice for validate); a busy machine needs far more than the default.
  it('dispatches the labelled issue with the command agent and comments on it once', {
    timeout: 180_000,
  }, async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    const token = fake.createToken('loompa-bot');
    const labelled = fake.seedIssue('octo/widgets', { title: 'Write the result', labels: ['loompa'] });
    const unlabelled = fake.seedIssue('octo/widgets', { title: 'Not for Loompa' });
    fake.seedPullRequest('octo/widgets', {
      title: 'Someone else’s change',
      head: 'feature',
      labels: ['loompa'],
    });
    const sandbox = await createSandbox({
      agentScript: 'echo "working on it"\necho done > result.txt',
      frontMatter: { tracker: githubTracker(fake) },
    });

    const result = await startLoompa(['run', '--once', '--json'], {
      cwd: sandbox.repository,
      env: { [tokenVariable]: token },
    });

    expect(result.exitCode).toBe(0);
    const events = parseJsonLines(result.stdout);
    const dispatched = events
      .filter((event) => event.type === 'issue-dispatched')
      .map((event) => event.issue);
    expect(dispatched).toEqual([`#${labelled.number}`]);
    expect(events.map((event) => event.type)).toContain('change-request-opened');
    const branches = sandbox.git('branch', '--list', 'loompa/*', '--format=%(refname:short)').split('\n');
    expect(branches).toHaveLength(1);
    expect(sandbox.git('show', `${branches[0]}:result.txt`)).toBe('done');

    const repository = fake.repository('octo/widgets');
    const comments = fake.model.commentsOf(repository, labelled.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`Loompa opened a change request for #${labelled.number}`);
    expect(comments[0]!.author).toBe('loompa-bot');
    expect(fake.model.commentsOf(repository, unlabelled.number)).toEqual([]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(token);
  });

  it('validate names a token variable that is not set, without printing any value', {
    timeout: 180_000,
  }, async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    const sandbox = await createSandbox({ frontMatter: { tracker: githubTracker(fake) } });
    const environment = { ...process.env, [tokenVariable]: '' };
    const result = await startLoompa(['validate'], { cwd: sandbox.repository, env: environment });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /WORKFLOW\.md:\d+:\d+: tracker\.token_variable: .*environment variable LOOMPA_TEST_GITHUB_TOKEN \(the GitHub token\) is empty or not set/,
    );

    const misspelt = await createSandbox({
      frontMatter: { tracker: { ...githubTracker(fake), repository: 'widgets' } },
    });
    const invalid = await startLoompa(['validate'], {
      cwd: misspelt.repository,
      env: { [tokenVariable]: 'ghp_thisisnotprintedanywhere0000' },
    });
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stdout).toMatch(/tracker\.repository: .*owner\/name/);
    expect(invalid.stdout).not.toContain('ghp_thisisnotprintedanywhere0000');
  });

  it('refuses a webhook with a bad signature and ticks at once on a good one, long before the next poll', {
    timeout: 180_000,
  }, async () => {
    fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
    const token = fake.createToken('loompa-bot');
    const secret = 'cli-webhook-secret';
    const port = await freePort();
    const sandbox = await createSandbox({
      agentScript: 'echo done > result.txt',
      frontMatter: {
        // An hour between polls: only the webhook can make the orchestrator look again.
        polling: { interval_ms: 3_600_000 },
        tracker: {
          ...githubTracker(fake),
          webhook: { secret_variable: 'LOOMPA_TEST_WEBHOOK_SECRET', port },
        },
      },
    });
    const receiverUrl = `http://127.0.0.1:${port}/github/webhooks`;
    const loompa = startLoompa(['run', '--json'], {
      cwd: sandbox.repository,
      env: { [tokenVariable]: token, LOOMPA_TEST_WEBHOOK_SECRET: secret },
    });
    // Everything the process prints, from the start, so no line is missed between waits.
    let output = '';
    loompa.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    loompa.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const printed = (predicate: (event: { type?: string; issue?: string; message?: string }) => boolean) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}'))
        .some((line) => predicate(JSON.parse(line)));
    const generously = { timeout: 60_000, interval: 100 };
    try {
      await expect
        .poll(() => printed((event) => event.message === 'receiving GitHub webhooks'), generously)
        .toBe(true);
      await expect.poll(() => printed((event) => event.type === 'tick-finished'), generously).toBe(true);

      const forged = await fake.deliverWebhook({
        url: receiverUrl,
        event: 'issues',
        payload: { action: 'opened', issue: { number: 99 }, repository: { full_name: 'octo/widgets' } },
        secret: 'not-the-secret',
      });
      expect(forged.status).toBe(401);

      fake.addWebhook({ url: receiverUrl, secret });
      const issue = fake.seedIssue('octo/widgets', { title: 'Arrived by webhook', labels: ['loompa'] });
      await fake.webhooksSettled();
      expect(fake.webhookDeliveries.at(-1)).toMatchObject({ event: 'issues', action: 'opened', status: 202 });
      await expect
        .poll(
          () => printed((event) => event.type === 'issue-dispatched' && event.issue === `#${issue.number}`),
          generously,
        )
        .toBe(true);
    } finally {
      loompa.kill('SIGINT');
    }
    const result = await loompa;
    const events = parseJsonLines(result.stdout);
    expect(events.filter((event) => event.type === 'tick-started').length).toBeGreaterThanOrEqual(2);
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  });
});
