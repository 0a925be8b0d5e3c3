import type { Logger } from '@loompa/core';
import { createFakeGitLab, type FakeGitLab } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabClient, type GitLabClientSettings, GitLabRequestError } from '../src/index.js';

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

let fake: FakeGitLab | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function setup(settings: Partial<GitLabClientSettings> = {}) {
  fake = await createFakeGitLab();
  await fake.createProject({ path: 'group/project' });
  const lines: LogLine[] = [];
  const client = createGitLabClient({
    host: fake.url,
    token: fake.token,
    logger: recordingLogger(lines),
    ...settings,
  });
  const requestsTo = (fragment: string) =>
    fake!.requests.filter((request) => request.path.includes(fragment));
  return { fake, client, lines, requestsTo };
}

const waits = (lines: LogLine[]) =>
  lines.filter((line) => line.message.startsWith('GitLab asked to retry')).map((line) => line.fields.delayMs);

describe('createGitLabClient', () => {
  it('reads a project by its group/project path through gitbeaker', async () => {
    const { client } = await setup();
    const project = await client.call(undefined, (api) => api.Projects.show('group/project'));
    expect(project.path_with_namespace).toBe('group/project');
  });

  it('waits out a 429 with Retry-After: 2 instead of retrying ten times at once', async () => {
    const { fake, client, lines, requestsTo } = await setup();
    fake.injectFault({ status: 429, retryAfterSeconds: 2, pathIncludes: 'projects/group%2Fproject' });
    const project = await client.call(undefined, (api) => api.Projects.show('group/project'));
    expect(project.path_with_namespace).toBe('group/project');
    // One refused request, one answered: gitbeaker alone would have sent ten in about 0.3 s.
    expect(requestsTo('projects/group%2Fproject').map((request) => request.status)).toEqual([429, 200]);
    expect(waits(lines)).toEqual([2000]);
    expect(lines.find((line) => line.message.startsWith('GitLab asked'))?.fields.source).toBe('server');
  });

  it('waits until RateLimit-Reset when GitLab sends no Retry-After', async () => {
    const requested: number[] = [];
    const { fake, client, requestsTo } = await setup({
      sleep: async (ms) => {
        requested.push(ms);
      },
    });
    fake.injectFault({ status: 429, rateLimitResetSeconds: 30 });
    await client.call(undefined, (api) => api.Projects.show('group/project'));
    expect(requestsTo('projects/group%2Fproject')).toHaveLength(2);
    expect(requested).toHaveLength(1);
    // The reset is whole epoch seconds about thirty seconds ahead (the wait itself was skipped);
    // the wide range keeps a slow machine from failing the test.
    expect(requested[0]).toBeGreaterThan(0);
    expect(requested[0]).toBeLessThanOrEqual(31_000);
  });

  it('retries a GET through 5xx answers with exponential back-off, then succeeds', async () => {
    const { fake, client, lines, requestsTo } = await setup({ retry: { baseDelayMs: 20 } });
    fake.injectFault({ status: 502, count: 2, method: 'GET' });
    const project = await client.call(undefined, (api) => api.Projects.show('group/project'));
    expect(project.id).toBe(fake.project('group/project').id);
    expect(requestsTo('projects/group%2Fproject').map((request) => request.status)).toEqual([502, 502, 200]);
    expect(waits(lines)).toEqual([20, 40]);
  });

  it('does not repeat a POST after a gateway error (it may have landed)', async () => {
    const { fake, client, requestsTo } = await setup({ retry: { baseDelayMs: 1 } });
    const issue = fake.seedIssue('group/project', { title: 'Comment here' });
    fake.injectFault({ status: 502, method: 'POST' });
    const failure = await client
      .call(undefined, (api) => api.IssueNotes.create('group/project', issue.iid, 'hello'))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitLabRequestError);
    expect((failure as GitLabRequestError).status).toBe(502);
    expect(requestsTo('/notes')).toHaveLength(1);
  });

  it('gives up after max attempts and says which call failed, without the token', async () => {
    const { fake, client, requestsTo } = await setup({ retry: { baseDelayMs: 1, maxAttempts: 3 } });
    fake.injectFault({ status: 503, count: 5 });
    const failure = (await client
      .call(undefined, (api) => api.Projects.show('group/project'))
      .catch((error: unknown) => error)) as GitLabRequestError;
    expect(failure).toBeInstanceOf(GitLabRequestError);
    expect(failure.message).toContain('GitLab GET projects/group%2Fproject answered 503');
    expect(requestsTo('projects/group%2Fproject')).toHaveLength(3);
    expect(JSON.stringify({ ...failure, message: failure.message, stack: failure.stack })).not.toContain(
      fake.token,
    );
  });

  it('fails at once, with the wait GitLab asked for, when Retry-After exceeds the longest allowed wait', async () => {
    const { fake, client, requestsTo } = await setup({ retry: { maxDelayMs: 1_000 } });
    fake.injectFault({ status: 429, retryAfterSeconds: 3600 });
    const failure = (await client
      .call(undefined, (api) => api.Projects.show('group/project'))
      .catch((error: unknown) => error)) as GitLabRequestError;
    expect(failure.status).toBe(429);
    expect(failure.code).toBe('gitlab_rate_limited');
    expect(failure.retryAfterMs).toBe(3_600_000);
    expect(requestsTo('projects/group%2Fproject')).toHaveLength(1);
  });

  it('stops waiting when the call is aborted during a back-off', async () => {
    const { fake, client, lines } = await setup();
    fake.injectFault({ status: 429, retryAfterSeconds: 120 });
    const controller = new AbortController();
    const pending = client.call(controller.signal, (api) => api.Projects.show('group/project'));
    const outcome = pending.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    while (waits(lines).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('stop now'));
    expect(((await outcome) as Error).message).toBe('stop now');
  });

  it('caps every list at maxPages pages of 100 and says so in the log', async () => {
    const { fake, client, lines, requestsTo } = await setup({ maxPages: 2 });
    for (let index = 0; index < 250; index += 1) fake.seedIssue('group/project', { title: `Issue ${index}` });
    const issues = await client.call(undefined, (api) =>
      api.Issues.all({ projectId: 'group/project', ...client.pageLimits }),
    );
    expect(issues).toHaveLength(200);
    expect(requestsTo('/issues')).toHaveLength(2);
    client.noteIfTruncated('issues', issues);
    expect(lines.some((line) => line.message === 'GitLab list cut at the page limit')).toBe(true);
  });

  it('follows pages up to the end when the list is shorter than the limit', async () => {
    const { fake, client, requestsTo } = await setup({ maxPages: 5 });
    for (let index = 0; index < 150; index += 1) fake.seedIssue('group/project', { title: `Issue ${index}` });
    const issues = await client.call(undefined, (api) =>
      api.Issues.all({ projectId: 'group/project', ...client.pageLimits }),
    );
    expect(issues).toHaveLength(150);
    expect(new Set(issues.map((issue) => issue.iid)).size).toBe(150);
    expect(requestsTo('/issues')).toHaveLength(2);
  });

  it('refuses an empty token with a message saying what to set', () => {
    expect(() => createGitLabClient({ host: 'http://127.0.0.1:1', token: '' })).toThrow(
      /GitLab token is empty/,
    );
  });
});
