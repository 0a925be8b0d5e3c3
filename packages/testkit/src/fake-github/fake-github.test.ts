import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { verify } from '@octokit/webhooks-methods';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeGitHub, type FakeGitHub } from './fake-github-server.js';

const execFileAsync = promisify(execFile);
let fake: FakeGitHub | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function start() {
  fake = await createFakeGitHub({ repositories: ['octo/widgets'] });
  return { github: fake, token: fake.createToken('loompa-bot') };
}

function call(github: FakeGitHub, token: string, path: string, init: RequestInit = {}) {
  return fetch(`${github.url}${path}`, {
    ...init,
    headers: {
      authorization: `token ${token}`,
      accept: 'application/vnd.github+json',
      ...(init.headers ?? {}),
    },
  });
}

describe('createFakeGitHub', () => {
  it('records an unknown route and a request off the description, and close() names them', async () => {
    const { github, token } = await start();
    github.seedIssue('octo/widgets', { title: 'Target' });
    expect((await call(github, token, '/repos/octo/widgets/pulls/1/nonsense')).status).toBe(404);
    const invalid = await call(github, token, '/repos/octo/widgets/issues/1/comments', {
      method: 'POST',
      body: JSON.stringify({ text: 'wrong field' }),
    });
    expect(invalid.status).toBe(422);
    expect(github.problems).toEqual([
      expect.stringContaining('no such route'),
      expect.stringContaining("must have required property 'body'"),
    ]);
    await expect(github.close()).rejects.toThrow(/GitHub would not accept/);
    fake = null;
  });

  it('answers If-None-Match with a free 304 only for the token the ETag was made for', async () => {
    const { github, token } = await start();
    const otherToken = github.createToken('someone-else');
    github.seedIssue('octo/widgets', { title: 'Cached' });
    const first = await call(github, token, '/repos/octo/widgets/issues/1');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('4999');

    const notModified = await call(github, token, '/repos/octo/widgets/issues/1', {
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('x-ratelimit-remaining')).toBe('4999');

    const otherUser = await call(github, otherToken, '/repos/octo/widgets/issues/1', {
      headers: { 'if-none-match': etag },
    });
    expect(otherUser.status).toBe(200);

    await call(github, token, '/repos/octo/widgets/issues/1', {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Changed' }),
    });
    const changed = await call(github, token, '/repos/octo/widgets/issues/1', {
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(github.rateLimitCost).toBe(4);
  });

  it('lists pull requests among issues and paginates with link headers', async () => {
    const { github, token } = await start();
    for (let index = 0; index < 4; index++) github.seedIssue('octo/widgets', { title: `Issue ${index}` });
    github.seedPullRequest('octo/widgets', { title: 'A change', head: 'feature' });
    const firstPage = await call(github, token, '/repos/octo/widgets/issues?per_page=2&direction=asc');
    const link = firstPage.headers.get('link')!;
    expect(link).toContain('rel="next"');
    expect(link).toContain('page=3>; rel="last"');
    const lastPage = (await (
      await call(github, token, '/repos/octo/widgets/issues?per_page=2&direction=asc&page=3')
    ).json()) as Array<{
      title: string;
      pull_request?: unknown;
    }>;
    expect(lastPage).toEqual([
      expect.objectContaining({ title: 'A change', pull_request: expect.any(Object) }),
    ]);
  });

  it('enforces the primary limit until the window resets, and sends secondary limits on demand', async () => {
    const { github, token } = await start();
    github.setRateLimitRemaining('loompa-bot', 0);
    const limited = await call(github, token, '/repos/octo/widgets/issues');
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(((await limited.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
    github.advanceClock(60 * 60 * 1000);
    expect((await call(github, token, '/repos/octo/widgets/issues')).status).toBe(200);

    github.injectFault(
      { kind: 'secondary-rate-limit', status: 429, retryAfterSeconds: 7 },
      { match: { method: 'GET' } },
    );
    const secondary = await call(github, token, '/repos/octo/widgets/issues');
    expect(secondary.status).toBe(429);
    expect(secondary.headers.get('retry-after')).toBe('7');
    expect(((await secondary.json()) as { message: string }).message).toMatch(/secondary rate limit/);
  });

  it('refuses missing and revoked credentials', async () => {
    const { github, token } = await start();
    expect((await fetch(`${github.url}/repos/octo/widgets/issues`)).status).toBe(401);
    github.revokeToken(token);
    expect((await call(github, token, '/repos/octo/widgets/issues')).status).toBe(401);
  });

  it('delivers signed webhooks for changes', async () => {
    const { github, token } = await start();
    const received: Array<{ event: string; body: string; signature: string }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          event: String(request.headers['x-github-event']),
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(request.headers['x-hub-signature-256']),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      github.addWebhook({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
        secret: 'shh-secret',
      });
      github.seedIssue('octo/widgets', { title: 'Hooked' });
      await call(github, token, '/repos/octo/widgets/issues/1/comments', {
        method: 'POST',
        body: JSON.stringify({ body: 'A comment' }),
      });
      await github.webhooksSettled();
      expect(received.map((delivery) => delivery.event)).toEqual(['issues', 'issue_comment']);
      for (const delivery of received)
        expect(await verify('shh-secret', delivery.body, delivery.signature)).toBe(true);
      expect(JSON.parse(received[1]!.body)).toMatchObject({
        action: 'created',
        comment: { body: 'A comment' },
      });
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('git over smart HTTP', () => {
  it('clones and pushes with the token as password, and refuses a missing or wrong token', async () => {
    const { github, token } = await start();
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'loompa-fake-git-'));
    // The token reaches git through a credential helper reading the environment, never argv.
    const git = (args: string[], cwd: string, secret: string) =>
      execFileAsync(
        'git',
        [
          '-c',
          'credential.helper=',
          '-c',
          'credential.helper=!f() { echo username=x-access-token; echo "password=$FAKE_GITHUB_TOKEN"; }; f',
          '-c',
          'user.name=Tester',
          '-c',
          'user.email=tester@example.com',
          ...args,
        ],
        { cwd, env: { ...process.env, FAKE_GITHUB_TOKEN: secret, GIT_TERMINAL_PROMPT: '0' } },
      );
    try {
      const clone = path.join(workspace, 'clone');
      await git(['clone', '--quiet', github.gitUrl('octo/widgets'), clone], workspace, token);
      await writeFile(path.join(clone, 'README.md'), '# widgets\n');
      await git(['add', 'README.md'], clone, token);
      await git(['commit', '--quiet', '-m', 'first'], clone, token);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone, token);
      const bare = await github.bareRepositoryPath('octo/widgets');
      const { stdout } = await execFileAsync('git', ['log', '--format=%s', 'main'], { cwd: bare });
      expect(stdout.trim()).toBe('first');

      await expect(
        git(['push', 'origin', 'HEAD:other'], clone, 'ghp_wrongwrongwrongwrongwrong00'),
      ).rejects.toThrow(/Authentication failed|401|Invalid username/);
      expect(
        github.requests
          .filter((request) => request.operationId === 'git/git-receive-pack')
          .map((r) => r.status),
      ).toContain(401);
      expect(github.rateLimitCost).toBe(0);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});

describe('GraphQL', () => {
  const query = (github: FakeGitHub, token: string, text: string) =>
    call(github, token, '/graphql', { method: 'POST', body: JSON.stringify({ query: text }) });

  it('answers a query that follows GitHub’s schema from the model, on the graphql budget', async () => {
    const { github, token } = await start();
    github.seedIssue('octo/widgets', { title: 'Queried', labels: ['bug'] });
    const response = await query(
      github,
      token,
      '{ rateLimit { cost remaining } viewer { login } repository(owner: "octo", name: "widgets") { issue(number: 1) { number title state labels(first: 10) { nodes { name } } } } }',
    );
    expect(response.headers.get('x-ratelimit-resource')).toBe('graphql');
    expect(await response.json()).toEqual({
      data: {
        rateLimit: { cost: 1, remaining: 4_999 },
        viewer: { login: 'loompa-bot' },
        repository: {
          issue: { number: 1, title: 'Queried', state: 'OPEN', labels: { nodes: [{ name: 'bug' }] } },
        },
      },
    });
    expect(github.rateLimitCost).toBe(1);
  });

  it('answers a query off the schema with errors and records it as a problem', async () => {
    const { github, token } = await start();
    const response = await query(
      github,
      token,
      '{ repository(owner: "octo", name: "widgets") { noSuchField } }',
    );
    expect(((await response.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(
      /Cannot query field "noSuchField"/,
    );
    expect(github.takeProblems()).toEqual([expect.stringContaining("breaks GitHub's schema")]);
  });
});

describe('secondary limit on content creation', () => {
  it('refuses comments past the per-minute limit with retry-after until the minute has passed', async () => {
    fake = await createFakeGitHub({
      repositories: ['octo/widgets'],
      contentCreationLimits: { perMinute: 2 },
    });
    const token = fake.createToken('loompa-bot');
    fake.seedIssue('octo/widgets', { title: 'Chatty' });
    const comment = () =>
      call(fake!, token, '/repos/octo/widgets/issues/1/comments', {
        method: 'POST',
        body: JSON.stringify({ body: 'hi' }),
      });
    expect((await comment()).status).toBe(201);
    expect((await comment()).status).toBe(201);
    const limited = await comment();
    expect(limited.status).toBe(403);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    fake.advanceClock(61_000);
    expect((await comment()).status).toBe(201);
  });
});

describe('pull requests and checks', () => {
  it('opens a pull request from a pushed branch, computes mergeability on read, and reports checks', async () => {
    const { github, token } = await start();
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'loompa-fake-pulls-'));
    const git = (args: string[], cwd: string) =>
      execFileAsync(
        'git',
        [
          '-c',
          'credential.helper=!f() { echo username=x-access-token; echo "password=$FAKE_GITHUB_TOKEN"; }; f',
          '-c',
          'user.name=Tester',
          '-c',
          'user.email=tester@example.com',
          ...args,
        ],
        { cwd, env: { ...process.env, FAKE_GITHUB_TOKEN: token, GIT_TERMINAL_PROMPT: '0' } },
      );
    try {
      const clone = path.join(workspace, 'clone');
      await git(['clone', '--quiet', github.gitUrl('octo/widgets'), clone], workspace);
      await writeFile(path.join(clone, 'README.md'), '# widgets\n');
      await git(['add', 'README.md'], clone);
      await git(['commit', '--quiet', '-m', 'base'], clone);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
      await git(['checkout', '--quiet', '-b', 'loompa/fix'], clone);
      await writeFile(path.join(clone, 'fix.txt'), 'fixed\n');
      await git(['add', 'fix.txt'], clone);
      await git(['commit', '--quiet', '-m', 'fix'], clone);
      await git(['push', '--quiet', 'origin', 'loompa/fix'], clone);
      const headSha = (await git(['rev-parse', 'HEAD'], clone)).stdout.trim();

      const created = await call(github, token, '/repos/octo/widgets/pulls', {
        method: 'POST',
        body: JSON.stringify({ title: 'Fix it', head: 'loompa/fix', base: 'main', body: 'Closes #1' }),
      });
      expect(created.status).toBe(201);
      const pull = (await created.json()) as { number: number; head: { sha: string } };
      expect(pull.head.sha).toBe(headSha);
      const again = await call(github, token, '/repos/octo/widgets/pulls', {
        method: 'POST',
        body: JSON.stringify({ title: 'Fix it again', head: 'loompa/fix', base: 'main' }),
      });
      expect(again.status).toBe(422);

      const byHead = (await (
        await call(github, token, '/repos/octo/widgets/pulls?head=octo:loompa/fix')
      ).json()) as unknown[];
      expect(byHead).toHaveLength(1);
      const firstRead = (await (
        await call(github, token, `/repos/octo/widgets/pulls/${pull.number}`)
      ).json()) as {
        mergeable: boolean | null;
      };
      expect(firstRead.mergeable).toBeNull();
      const secondRead = (await (
        await call(github, token, `/repos/octo/widgets/pulls/${pull.number}`)
      ).json()) as {
        mergeable: boolean | null;
        mergeable_state: string;
      };
      expect(secondRead).toMatchObject({ mergeable: true, mergeable_state: 'clean' });

      const noStatuses = (await (
        await call(github, token, `/repos/octo/widgets/commits/${headSha}/status`)
      ).json()) as {
        state: string;
        total_count: number;
      };
      expect(noStatuses).toMatchObject({ state: 'pending', total_count: 0 });
      github.seedCheckRun('octo/widgets', { headSha, name: 'test', conclusion: 'failure' });
      github.seedCheckRun('octo/widgets', { headSha, name: 'test', conclusion: 'success' });
      const checks = (await (
        await call(github, token, '/repos/octo/widgets/commits/loompa%2Ffix/check-runs')
      ).json()) as {
        total_count: number;
        check_runs: Array<{ conclusion: string }>;
      };
      expect(checks).toMatchObject({ total_count: 1, check_runs: [{ conclusion: 'success' }] });
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });

  it('runs the base repository’s Actions on a fork pull request’s head when it is opened after the push', async () => {
    fake = await createFakeGitHub({
      repositories: ['octo/widgets'],
      actions: async ({ repository }) => ({
        jobs: [{ name: `test in ${repository}`, conclusion: 'failure' }],
      }),
    });
    const github = fake;
    const ownerToken = github.createToken('octo');
    const aliceToken = github.createToken('alice');
    github.createFork('octo/widgets', 'alice');
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'loompa-fake-fork-'));
    const git = (args: string[], cwd: string, token = aliceToken) =>
      execFileAsync('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], {
        cwd,
        env: { ...process.env, ...github.gitEnvironment(token), GIT_TERMINAL_PROMPT: '0' },
      });
    try {
      const clone = path.join(workspace, 'clone');
      await git(['clone', '--quiet', github.gitUrl('alice/widgets'), clone], workspace);
      await git(['commit', '--quiet', '--allow-empty', '-m', 'base'], clone);
      await git(['push', '--quiet', 'origin', 'HEAD:main'], clone);
      await git(['push', '--quiet', github.gitUrl('octo/widgets'), 'HEAD:main'], clone, ownerToken);
      await github.settle();
      const baseRuns = github.repository('octo/widgets').checkRuns.length;
      const heads: string[] = [];
      for (const branch of ['seeded', 'opened']) {
        await git(['checkout', '--quiet', '-b', branch, 'main'], clone);
        await git(['commit', '--quiet', '--allow-empty', '-m', branch], clone);
        await git(['push', '--quiet', 'origin', branch], clone);
        heads.push((await git(['rev-parse', 'HEAD'], clone)).stdout.trim());
      }
      // The pushes' follow-ups end first: no pull request existed to run the parent's Actions for.
      await github.settle();
      expect(github.repository('octo/widgets').checkRuns).toHaveLength(baseRuns);
      github.seedPullRequest('octo/widgets', {
        title: 'Seeded',
        head: 'seeded',
        headRepository: 'alice/widgets',
        author: 'alice',
        maintainerCanModify: true,
        computeMergeability: true,
      });
      const opened = await call(github, aliceToken, '/repos/octo/widgets/pulls', {
        method: 'POST',
        body: JSON.stringify({ title: 'Opened', head: 'alice:opened', base: 'main' }),
      });
      expect(opened.status).toBe(201);
      await github.settle();
      // One run per head; the two openings' runs may land in either order.
      const runs = github.repository('octo/widgets').checkRuns.slice(baseRuns);
      expect(runs.map((run) => [run.headSha, run.name, run.conclusion]).sort()).toEqual(
        heads.map((head) => [head, 'test in octo/widgets', 'failure']).sort(),
      );
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
