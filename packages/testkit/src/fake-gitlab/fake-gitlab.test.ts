import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeGitLab, type FakeGitLab } from './create-fake-gitlab.js';

const gitIdentity = {
  GIT_AUTHOR_NAME: 'Tester',
  GIT_AUTHOR_EMAIL: 'tester@localhost',
  GIT_COMMITTER_NAME: 'Tester',
  GIT_COMMITTER_EMAIL: 'tester@localhost',
};

let fake: FakeGitLab | null = null;
const folders: string[] = [];

afterEach(async () => {
  await fake?.close();
  fake = null;
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function start(options: Parameters<typeof createFakeGitLab>[0] = {}) {
  fake = await createFakeGitLab(options);
  return fake;
}

function api(current: FakeGitLab, apiPath: string, init: RequestInit = {}) {
  return fetch(`${current.url}/api/v4/${apiPath}`, {
    ...init,
    headers: { 'private-token': current.token, 'content-type': 'application/json', ...init.headers },
  });
}

/** A working copy pushing to the fake over smart HTTP, the token in the environment only. */
async function workingCopy(current: FakeGitLab, projectPath: string) {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'fake-gitlab-test-'));
  folders.push(folder);
  const env = { ...current.gitEnvironment(), ...gitIdentity };
  await runGit(['init', '--quiet', '--initial-branch=main', folder], { cwd: os.tmpdir() });
  const commit = async (file: string, content: string) => {
    await writeFile(path.join(folder, file), content);
    await runGit(['add', '--all'], { cwd: folder });
    await runGit(['commit', '--quiet', '-m', `write ${file}`], { cwd: folder, env });
    return (await runGit(['rev-parse', 'HEAD'], { cwd: folder })).stdout.trim();
  };
  const push = (refspec: string, extra: string[] = []) =>
    runGit(['push', '--quiet', ...extra, current.repositoryUrl(projectPath), refspec], { cwd: folder, env });
  const checkout = (branch: string, from = 'main') =>
    runGit(['checkout', '--quiet', '-B', branch, from], { cwd: folder });
  return { folder, env, commit, push, checkout };
}

describe('createFakeGitLab', () => {
  it('serves a project by numeric id and by encoded group%2Fproject path', async () => {
    const current = await start();
    const project = await current.createProject({ path: 'group/project' });
    const byId = await (await api(current, `projects/${project.id}`)).json();
    const byPath = await (await api(current, 'projects/group%2Fproject')).json();
    expect(byId).toMatchObject({
      id: project.id,
      path_with_namespace: 'group/project',
      default_branch: 'main',
    });
    expect(byPath).toEqual(byId);
    expect((await api(current, 'projects/group%2Fmissing')).status).toBe(404);
  });

  it('refuses requests without a known token', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    const response = await fetch(`${current.url}/api/v4/projects/group%2Fproject`, {
      headers: { 'private-token': 'wrong' },
    });
    expect(response.status).toBe(401);
  });

  it('fails loudly on an unknown route and on an invalid body', async () => {
    const current = await createFakeGitLab();
    await current.createProject({ path: 'group/project' });
    expect((await api(current, 'projects/group%2Fproject/unknown_things')).status).toBe(404);
    const invalid = await api(current, 'projects/group%2Fproject/issues', {
      method: 'POST',
      body: JSON.stringify({ title: 'x', colour: 'red' }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('colour');
    expect(current.problems).toHaveLength(2);
    await expect(current.close()).rejects.toThrow(
      /no route for GET \/api\/v4\/projects\/group%2Fproject\/unknown_things/,
    );
  });

  it('pages lists with x-total, x-next-page and link headers', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    for (let index = 1; index <= 45; index += 1)
      current.seedIssue('group/project', { title: `Issue ${index}` });
    const first = await api(current, 'projects/group%2Fproject/issues?per_page=20&state=opened');
    expect(first.headers.get('x-total')).toBe('45');
    expect(first.headers.get('x-total-pages')).toBe('3');
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('link')).toMatch(/<[^>]*page=2[^>]*>; rel="next"/);
    expect(await first.json()).toHaveLength(20);
    const last = await api(current, 'projects/group%2Fproject/issues?per_page=20&page=3');
    expect(last.headers.get('x-next-page')).toBe('');
    expect(last.headers.get('link')).not.toContain('rel="next"');
    expect(await last.json()).toHaveLength(5);
  });

  it('answers injected faults: 429 with Retry-After, then 5xx, then the real answer', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    current.injectFault({ status: 429, retryAfterSeconds: 2, rateLimitResetSeconds: 2 });
    current.injectFault({ status: 502 });
    const limited = await api(current, 'projects/group%2Fproject');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect((await api(current, 'projects/group%2Fproject')).status).toBe(502);
    expect((await api(current, 'projects/group%2Fproject')).status).toBe(200);
  });

  it('keeps one label per scope, creates unknown labels, edits and closes issues', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    const issue = current.seedIssue('group/project', { title: 'Scoped', labels: ['status::todo', 'Bug'] });
    const edited = await api(current, `projects/group%2Fproject/issues/${issue.iid}`, {
      method: 'PUT',
      body: JSON.stringify({ add_labels: 'status::doing,New', remove_labels: 'bug', state_event: 'close' }),
    });
    expect(await edited.json()).toMatchObject({ labels: ['New', 'status::doing'], state: 'closed' });
    const labels = (await (await api(current, 'projects/group%2Fproject/labels')).json()) as Array<{
      name: string;
    }>;
    expect(labels.map((label) => label.name).sort()).toEqual(['Bug', 'New', 'status::doing', 'status::todo']);
  });

  it('takes pushes over smart HTTP with the token in the environment, and refuses them without', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    const head = await copy.commit('README.md', 'hello\n');
    await copy.push('HEAD:refs/heads/main');
    expect(current.project('group/project').knownBranchHeads.get('main')).toBe(head);
    const refused = await runGit(['push', current.repositoryUrl('group/project'), 'HEAD:refs/heads/other'], {
      cwd: copy.folder,
      allowFailure: true,
    });
    expect(refused.exitCode).not.toBe(0);
  });

  it('computes detailed_merge_status asynchronously: checking, then mergeable', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    await copy.commit('README.md', 'hello\n');
    await copy.push('HEAD:refs/heads/main');
    await copy.checkout('feature');
    await copy.commit('feature.txt', 'feature\n');
    await copy.push('HEAD:refs/heads/feature');
    const created = await api(current, 'projects/group%2Fproject/merge_requests', {
      method: 'POST',
      body: JSON.stringify({ source_branch: 'feature', target_branch: 'main', title: 'Feature' }),
    });
    expect(created.status).toBe(201);
    const opened = (await created.json()) as { iid: number; detailed_merge_status: string };
    expect(opened.detailed_merge_status).toBe('checking');
    await current.settle();
    const shown = await (await api(current, `projects/group%2Fproject/merge_requests/${opened.iid}`)).json();
    expect(shown).toMatchObject({ detailed_merge_status: 'mergeable', state: 'opened' });
  });

  it('runs pipelines per pushed head and serves failed job traces as text', async () => {
    const current = await start({
      continuousIntegration: async (commit) => ({
        jobs: [
          {
            name: 'test',
            status: (await commit.readFile('broken.txt')) === null ? 'success' : 'failed',
            trace: 'running tests\nassertion failed: 1 != 2\n',
          },
        ],
      }),
    });
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    await copy.commit('broken.txt', 'x\n');
    await copy.push('HEAD:refs/heads/main');
    await current.settle();
    const pipeline = current.project('group/project').pipelines[0]!;
    expect(pipeline.status).toBe('failed');
    const jobs = (await (
      await api(current, `projects/group%2Fproject/pipelines/${pipeline.id}/jobs?scope[]=failed`)
    ).json()) as Array<{ id: number; name: string }>;
    expect(jobs.map((job) => job.name)).toEqual(['test']);
    const trace = await api(current, `projects/group%2Fproject/jobs/${jobs[0]!.id}/trace`);
    expect(trace.headers.get('content-type')).toContain('text/plain');
    expect(await trace.text()).toContain('assertion failed');
  });

  it('rebases asynchronously: 202, rebase_in_progress, then merge_error on a conflict', async () => {
    const current = await start();
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    await copy.commit('shared.txt', 'base\n');
    await copy.push('HEAD:refs/heads/main');
    await copy.checkout('feature');
    await copy.commit('shared.txt', 'mine\n');
    await copy.push('HEAD:refs/heads/feature');
    await copy.checkout('main');
    await copy.commit('shared.txt', 'theirs\n');
    await copy.push('HEAD:refs/heads/main');
    const opened = (await (
      await api(current, 'projects/group%2Fproject/merge_requests', {
        method: 'POST',
        body: JSON.stringify({ source_branch: 'feature', target_branch: 'main', title: 'Clash' }),
      })
    ).json()) as { iid: number };
    const rebase = await api(current, `projects/group%2Fproject/merge_requests/${opened.iid}/rebase`, {
      method: 'PUT',
      body: '{}',
    });
    expect(rebase.status).toBe(202);
    expect(await rebase.json()).toEqual({ rebase_in_progress: true });
    await current.settle();
    const after = await (
      await api(
        current,
        `projects/group%2Fproject/merge_requests/${opened.iid}?include_rebase_in_progress=true`,
      )
    ).json();
    expect(after).toMatchObject({
      rebase_in_progress: false,
      merge_error: 'Rebase failed. Please rebase locally',
    });
  });

  it('retries a job as a new job in the same pipeline, which ends as scripted; the replaced one is hidden', async () => {
    const current = await start({
      continuousIntegration: async () => ({
        jobs: [
          {
            name: 'unit',
            status: 'failed',
            failureReason: 'runner_system_failure',
            trace: 'ERROR: Job failed (system failure): pod status is Failed\n',
            retries: [{ status: 'success', trace: 'all passed\n' }],
          },
          { name: 'lint', status: 'failed', trace: 'src/a.ts:1:1 lint/style\n' },
        ],
      }),
    });
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    await copy.commit('a.txt', 'a\n');
    await copy.push('HEAD:refs/heads/main');
    await current.settle();
    const pipeline = current.project('group/project').pipelines[0]!;
    const jobsOf = async (query = '') =>
      (await (
        await api(current, `projects/group%2Fproject/pipelines/${pipeline.id}/jobs${query}`)
      ).json()) as Array<{ id: number; name: string; status: string; failure_reason?: string }>;
    const failed = await jobsOf();
    expect(failed.map((job) => [job.name, job.status, job.failure_reason])).toEqual([
      ['unit', 'failed', 'runner_system_failure'],
      ['lint', 'failed', 'script_failure'],
    ]);

    const unit = failed[0]!;
    current.holdPipelines();
    const retry = await api(current, `projects/group%2Fproject/jobs/${unit.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(201);
    const retried = (await retry.json()) as { id: number; name: string; status: string };
    expect(retried).toMatchObject({ name: 'unit', status: 'pending' });
    expect(retried.id).not.toBe(unit.id);
    expect(pipeline.status).toBe('running');
    // The replaced job cannot be retried again.
    const again = await api(current, `projects/group%2Fproject/jobs/${unit.id}/retry`, { method: 'POST' });
    expect(again.status).toBe(403);
    expect(await again.json()).toEqual({ message: '403 Forbidden  - Job is not retryable' });
    current.releasePipelines();
    await current.settle();

    const latest = await jobsOf();
    expect(latest.map((job) => [job.id, job.name, job.status])).toEqual([
      [failed[1]!.id, 'lint', 'failed'],
      [retried.id, 'unit', 'success'],
    ]);
    expect(latest[1]).not.toHaveProperty('failure_reason');
    expect((await jobsOf('?include_retried=true')).map((job) => job.id)).toContain(unit.id);
    expect(await (await api(current, `projects/group%2Fproject/jobs/${retried.id}/trace`)).text()).toBe(
      'all passed\n',
    );
    // `lint` still fails, so the pipeline does; a retry of it fails the same way (nothing scripted).
    expect(pipeline.status).toBe('failed');
    const lintRetry = (await (
      await api(current, `projects/group%2Fproject/jobs/${failed[1]!.id}/retry`, { method: 'POST' })
    ).json()) as { id: number };
    await current.settle();
    expect((await jobsOf()).find((job) => job.id === lintRetry.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'script_failure',
    });
  });

  it('runs pipeline schedules and lists pipelines by source, name and schedule', async () => {
    const current = await start({
      continuousIntegration: async (commit) =>
        commit.source === 'schedule'
          ? { name: 'Nightly', jobs: [{ name: 'e2e', status: 'failed', trace: 'e2e failed\n' }] }
          : { jobs: [{ name: 'unit', status: 'success', trace: 'ok\n' }] },
    });
    await current.createProject({ path: 'group/project' });
    const copy = await workingCopy(current, 'group/project');
    await copy.commit('a.txt', 'a\n');
    await copy.push('HEAD:refs/heads/main');
    await current.settle();
    const nightly = current.createPipelineSchedule('group/project', {
      description: 'Nightly e2e',
      ref: 'main',
    });
    current.createPipelineSchedule('group/project', { description: 'Weekly', ref: 'main', active: false });
    const first = (await current.runPipelineSchedule('group/project', nightly.id))!;
    const play = await api(current, `projects/group%2Fproject/pipeline_schedules/${nightly.id}/play`, {
      method: 'POST',
    });
    expect(play.status).toBe(201);
    await current.settle();
    const second = current.project('group/project').pipelines.at(-1)!;
    expect(second.id).not.toBe(first.id);

    type PipelineJson = { id: number; source: string; name: string | null; status: string };
    const list = async (query: string) =>
      (await (await api(current, `projects/group%2Fproject/${query}`)).json()) as PipelineJson[];
    expect((await list('pipelines?source=schedule')).map((pipeline) => pipeline.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect((await list('pipelines?source=push&ref=main')).map((pipeline) => pipeline.source)).toEqual([
      'push',
    ]);
    expect(
      (await list('pipelines?name=Nightly&order_by=id&sort=asc')).map((pipeline) => pipeline.id),
    ).toEqual([first.id, second.id]);
    const schedules = (await (
      await api(current, 'projects/group%2Fproject/pipeline_schedules?scope=active')
    ).json()) as Array<{ id: number; description: string; last_pipeline: { id: number } | null }>;
    expect(schedules).toEqual([
      expect.objectContaining({
        id: nightly.id,
        description: 'Nightly e2e',
        last_pipeline: expect.objectContaining({ id: second.id }),
      }),
    ]);
    const triggered = await list(`pipeline_schedules/${nightly.id}/pipelines`);
    expect(triggered.map((pipeline) => [pipeline.id, pipeline.source, pipeline.status])).toEqual([
      [first.id, 'schedule', 'failed'],
      [second.id, 'schedule', 'failed'],
    ]);
    expect(
      (await list(`pipeline_schedules/${nightly.id}/pipelines?order_by=id&sort=desc`)).map(
        (pipeline) => pipeline.id,
      ),
    ).toEqual([second.id, first.id]);
    // A schedule on a tag runs on the tag's commit, which no branch holds: a tag pipeline.
    await copy.checkout('release');
    const released = await copy.commit('release.txt', '1.0\n');
    await copy.push('HEAD:refs/tags/v1.0');
    const onTag = current.createPipelineSchedule('group/project', { description: 'Release', ref: 'v1.0' });
    const tagged = (await current.runPipelineSchedule('group/project', onTag.id))!;
    expect(tagged).toMatchObject({ ref: 'v1.0', tag: true, sha: released, source: 'schedule' });
    expect(
      await (await api(current, `projects/group%2Fproject/pipelines/${tagged.id}`)).json(),
    ).toMatchObject({
      ref: 'v1.0',
      tag: true,
      sha: released,
    });
    expect((await list('pipelines?scope=tags')).map((pipeline) => pipeline.id)).toEqual([tagged.id]);
    expect((await list('pipelines?scope=branches')).map((pipeline) => pipeline.id)).toEqual([
      second.id,
      first.id,
      expect.any(Number),
    ]);
    const missing = current.createPipelineSchedule('group/project', {
      description: 'Gone',
      ref: 'refs/tags/v9',
    });
    await expect(current.runPipelineSchedule('group/project', missing.id)).rejects.toThrow(
      'schedule "Gone" runs on a missing branch or tag',
    );
    // A filter GitLab does not document is refused, so a client never believes it applied.
    const unknown = await api(current, 'projects/group%2Fproject/pipelines?branch=main');
    expect(unknown.status).toBe(400);
    expect(current.problems).toEqual([expect.stringContaining('branch')]);
    fake = null;
    await expect(current.close()).rejects.toThrow(/invalid input for GET .*pipelines/);
  });
});
