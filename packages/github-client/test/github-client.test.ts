import { generateKeyPairSync } from 'node:crypto';
import { createSilentLogger, type Logger } from '@loompa/core';
import { createFakeGitHub, type FakeGitHub } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClientOptions } from '../src/index.js';

const repository = 'octo/widgets';
let fake: FakeGitHub | null = null;

afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function start(): Promise<FakeGitHub> {
  fake = await createFakeGitHub({ repositories: [repository] });
  return fake;
}

/** Writes are not spaced in tests: spacing is plugin-throttling's, and would only slow them. */
function clientFor(
  github: FakeGitHub,
  options: Partial<GitHubClientOptions> & Pick<GitHubClientOptions, 'credentials'>,
) {
  return createGitHubClient({
    baseUrl: github.url,
    repository: { owner: 'octo', name: 'widgets' },
    retryBaseDelayMs: 20,
    writeSpacing: { minimumWriteIntervalMs: 0, minimumContentCreationIntervalMs: 0 },
    ...options,
  });
}

function recordingLogger(): Logger & { warnings: Array<{ message: string; fields: unknown }> } {
  const silent = createSilentLogger();
  const warnings: Array<{ message: string; fields: unknown }> = [];
  return Object.assign(Object.create(silent) as Logger, {
    warnings,
    warn(message: string, fields?: unknown) {
      warnings.push({ message, fields });
    },
  });
}

const listIssues = { owner: 'octo', repo: 'widgets', state: 'open' as const, per_page: 100 };

describe('createGitHubClient', () => {
  it('serves an unchanged list from its cache after a 304 that costs no rate limit', async () => {
    const github = await start();
    const token = github.createToken();
    github.seedIssue(repository, { title: 'First' });
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    const octokit = await client.octokit();

    const first = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    const costAfterFirst = github.rateLimitCost;
    const second = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);

    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    expect(github.rateLimitCost).toBe(costAfterFirst);
    expect(github.requests.at(-1)!.status).toBe(304);
    expect(client.cacheStatistics()).toMatchObject({ hits: 1, notModified: 1 });

    github.seedIssue(repository, { title: 'Second' });
    const third = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(third.data.map((issue) => issue.title).sort()).toEqual(['First', 'Second']);
    expect(github.rateLimitCost).toBe(costAfterFirst + 1);
  });

  it('drops cached ETags when the token rotates, because GitHub ties them to the token', async () => {
    const github = await start();
    let token = github.createToken('loompa-bot');
    github.seedIssue(repository, { title: 'Only' });
    const client = clientFor(github, { credentials: { kind: 'token', token: () => token } });
    const octokit = await client.octokit();

    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(client.cacheStatistics().hits).toBe(1);

    github.revokeToken(token);
    token = github.createToken('loompa-bot');
    const costBefore = github.rateLimitCost;
    const afterRotation = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(afterRotation.data).toHaveLength(1);
    expect(github.requests.at(-1)!.status).toBe(200);
    expect(github.rateLimitCost).toBe(costBefore + 1);
    expect(client.cacheStatistics()).toMatchObject({ hits: 1, invalidations: 1 });

    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(client.cacheStatistics().hits).toBe(2);
  });

  it('waits out a secondary rate limit for the retry-after GitHub names, then retries', async () => {
    const github = await start();
    const token = github.createToken();
    const logger = recordingLogger();
    const client = clientFor(github, { credentials: { kind: 'token', token }, logger });
    const octokit = await client.octokit();
    github.injectFault(
      { kind: 'secondary-rate-limit', retryAfterSeconds: 1 },
      { match: { operationId: 'issues/create' } },
    );

    const startedAt = performance.now();
    const created = await octokit.request('POST /repos/{owner}/{repo}/issues', {
      owner: 'octo',
      repo: 'widgets',
      title: 'After the limit',
    });

    expect(created.status).toBe(201);
    // A lower bound only: waiting at least retry-after is the point; a busy machine only adds.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(950);
    expect(github.requestCount({ operationId: 'issues/create' })).toBe(2);
    expect(
      github.requests.filter((request) => request.operationId === 'issues/create').map((r) => r.status),
    ).toEqual([403, 201]);
    expect(logger.warnings).toContainEqual({
      message: 'GitHub secondary rate limit reached',
      fields: expect.objectContaining({ retryAfterSeconds: 1, retrying: true }),
    });
  });

  it('gives up on a primary rate limit whose reset is further away than it may wait', async () => {
    const github = await start();
    const token = github.createToken('loompa-bot');
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    const octokit = await client.octokit();
    github.setRateLimitRemaining('loompa-bot', 0);

    await expect(octokit.request('GET /repos/{owner}/{repo}/issues', listIssues)).rejects.toMatchObject({
      status: 403,
    });
    expect(github.requestCount({ operationId: 'issues/list-for-repo' })).toBe(1);
    expect(client.rateBudget()).toMatchObject({ remaining: 0, limit: 5_000 });
  });

  it('retries a 502 and a reset connection, then succeeds', async () => {
    const github = await start();
    const token = github.createToken();
    github.seedIssue(repository, { title: 'Survivor' });
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    const octokit = await client.octokit();

    github.injectFault({ kind: 'status', status: 502 }, { match: { operationId: 'issues/get' } });
    const afterBadGateway = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', {
      owner: 'octo',
      repo: 'widgets',
      issue_number: 1,
    });
    expect(afterBadGateway.data.title).toBe('Survivor');
    expect(
      github.requests.filter((request) => request.operationId === 'issues/get').map((r) => r.status),
    ).toEqual([502, 200]);

    github.injectFault({ kind: 'connection-reset' }, { match: { operationId: 'issues/list-for-repo' } });
    const afterReset = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(afterReset.data).toHaveLength(1);
    expect(github.pendingFaults).toBe(0);
  });

  it('follows link pagination over 250 issues, skipping nothing', async () => {
    const github = await start();
    const token = github.createToken();
    for (let index = 1; index <= 250; index++) github.seedIssue(repository, { title: `Issue ${index}` });
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    const octokit = await client.octokit();

    const issues = await octokit.paginate('GET /repos/{owner}/{repo}/issues', listIssues);

    expect(issues).toHaveLength(250);
    expect(new Set(issues.map((issue) => issue.number)).size).toBe(250);
    expect(github.requestCount({ operationId: 'issues/list-for-repo' })).toBe(3);
  });

  it('reports the rate budget from response headers and from GET /rate_limit for free', async () => {
    const github = await start();
    const token = github.createToken('loompa-bot');
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    expect(client.rateBudget()).toBeNull();
    const octokit = await client.octokit();
    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(client.rateBudget()).toMatchObject({ resource: 'core', limit: 5_000, remaining: 4_999, used: 1 });
    const costBefore = github.rateLimitCost;
    expect(await client.fetchRateBudget()).toMatchObject({ remaining: 4_999 });
    expect(github.rateLimitCost).toBe(costBefore);
    expect(await client.login()).toBe('loompa-bot');
  });

  it('keeps the token out of the errors it throws', async () => {
    const github = await start();
    const token = github.createToken();
    github.revokeToken(token);
    const client = clientFor(github, { credentials: { kind: 'token', token } });
    const octokit = await client.octokit();
    const failure = await octokit
      .request('GET /repos/{owner}/{repo}/issues', listIssues)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 401 });
    expect(JSON.stringify(failure)).not.toContain(token);
    expect(String((failure as Error).message)).not.toContain(token);
  });
});

describe('createGitHubClient with a GitHub App', () => {
  function appKeys() {
    return generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
  }

  it('looks up the installation, mints one token, and refreshes it before it expires', async () => {
    const github = await start();
    const keys = appKeys();
    github.registerApp({ appId: 4242, slug: 'loompa-test', publicKeyPem: keys.publicKey });
    const installationId = github.installApp(4242, repository);
    github.seedIssue(repository, { title: 'For the App' });
    const client = clientFor(github, {
      credentials: { kind: 'app', appId: 4242, privateKey: keys.privateKey },
      now: () => github.now(),
    });
    const octokit = await client.octokit();

    const listed = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(listed.data.map((issue) => issue.title)).toEqual(['For the App']);
    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(github.credentials.installationTokensMinted).toBe(1);
    expect(github.requestCount({ operationId: 'apps/get-repo-installation' })).toBe(1);
    expect(client.cacheStatistics().hits).toBe(1);
    expect(github.requests.at(-1)!.identity).toBe(`installation:${installationId}`);

    // 56 minutes on: the hour-long token is inside the 5-minute margin and is replaced first.
    github.advanceClock(56 * 60 * 1000);
    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(github.credentials.installationTokensMinted).toBe(2);
    // The new token cannot use the old token's ETag: one full answer, then 304s again.
    expect(github.requests.at(-1)!.status).toBe(200);
    expect(client.cacheStatistics().invalidations).toBe(1);
    expect(github.requests.every((request) => request.status !== 401)).toBe(true);
    expect(await client.login()).toBe('loompa-test[bot]');

    // A revoked token is refused (auth-app first retries it for a few seconds, in case the
    // token is merely not replicated yet); then the client mints another and the request succeeds.
    github.credentials.revokeInstallationTokens(installationId);
    const afterRevocation = await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(afterRevocation.data).toHaveLength(1);
    expect(github.credentials.installationTokensMinted).toBe(3);
    expect(github.requests.at(-1)!.status).toBe(200);
  }, 120_000);

  it('uses a configured installation id without looking it up', async () => {
    const github = await start();
    const keys = appKeys();
    github.registerApp({ appId: 7, slug: 'other-app', publicKeyPem: keys.publicKey });
    const installationId = github.installApp(7, repository);
    const client = clientFor(github, {
      credentials: { kind: 'app', appId: 7, privateKey: keys.privateKey, installationId },
    });
    const octokit = await client.octokit();
    await octokit.request('GET /repos/{owner}/{repo}/issues', listIssues);
    expect(github.requestCount({ operationId: 'apps/get-repo-installation' })).toBe(0);
    expect(github.credentials.installationTokensMinted).toBe(1);
  });
});
