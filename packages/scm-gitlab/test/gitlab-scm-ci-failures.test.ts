import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { classifyCheckFailure, runGit, ScmError } from '@loompa/core';
import type { FakeGitLabOptions } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineRunState } from '../src/index.js';
import {
  createGitLabScmFixture,
  type GitLabScmFixture,
  projectPath,
  statusWhen,
} from './gitlab-scm-fixture.js';

/**
 * What CI-failure handling needs from GitLab, against the fake GitLab with real pushes: failed
 * jobs carry `failure_reason` as their conclusion, failed jobs are retried under new ids,
 * and scheduled or default-branch pipelines are listed with their failed jobs and traces.
 */

let fixture: GitLabScmFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

const identity = {
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@localhost',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@localhost',
};

const runnerLostTrace = [
  'Running with gitlab-runner 17.5.0 (abc1234)',
  '  on docker-autoscaler-3 xYz12, system ID: s_0123456789',
  'Preparing the "docker+machine" executor',
  'ERROR: Job failed (system failure): Error response from daemon: container is not running',
].join('\n');

/** Branches: `unit` is flaky (fails with an assertion timeout, passes on retry), `build` loses its runner once. */
const flakyContinuousIntegration: FakeGitLabOptions['continuousIntegration'] = (commit) =>
  commit.source === 'schedule'
    ? {
        name: 'Nightly',
        jobs: [
          { name: 'lint', status: 'success', trace: 'ok\n' },
          {
            name: 'e2e',
            status: 'failed',
            trace: ' FAIL  e2e/upload.test.ts > upload > resumes\nAssertionError: expected 3 to be 4\n',
          },
        ],
        childPipelines: [
          {
            bridgeName: 'deploy',
            jobs: [
              {
                name: 'smoke',
                status: 'failed',
                failureReason: 'stuck_or_timeout_failure',
                trace: 'This job is stuck because no runner is active\n',
              },
            ],
          },
        ],
      }
    : commit.ref === 'main'
      ? { jobs: [{ name: 'unit', status: 'success', trace: 'ok\n' }] }
      : {
          jobs: [
            {
              name: 'unit',
              status: 'failed',
              trace: 'Exceeded timeout of 5000 ms for a test.\n',
              retries: [{ status: 'success', trace: 'all passed\n' }],
            },
            {
              name: 'build',
              status: 'failed',
              failureReason: 'runner_system_failure',
              trace: runnerLostTrace,
              retries: [{ status: 'success', trace: 'built\n' }],
            },
          ],
        };

async function start() {
  fixture = await createGitLabScmFixture({ fake: { continuousIntegration: flakyContinuousIntegration } });
  return fixture;
}

describe('GitLab CI failures', () => {
  it('reports failure_reason as the conclusion the classifier reads, and retries failed jobs under new ids', async () => {
    const current = await start();
    await current.createBranchWithCommit('loompa/flaky');
    const changeRequest = await current.provider.openChangeRequest({
      branch: 'loompa/flaky',
      baseBranch: 'main',
      title: 'Flaky',
      body: 'body',
    });
    const failed = await statusWhen(
      current,
      changeRequest,
      (status) => status.continuousIntegration.state === 'failure',
    );
    const checks = failed.continuousIntegration.checks;
    expect(checks.map((check) => [check.name, check.state, check.conclusion])).toEqual([
      ['unit', 'failure', 'script_failure'],
      ['build', 'failure', 'runner_system_failure'],
    ]);
    const build = checks.find((check) => check.name === 'build')!;
    const buildLog = await current.provider.getCheckLog({
      changeRequest,
      checkId: build.id,
      maxBytes: 10_000,
    });
    expect(
      classifyCheckFailure({ check: build, headSha: failed.headSha!, logTail: buildLog, history: [] }),
    ).toMatchObject({ classification: 'infrastructure' });

    await current.provider.rerunChecks({ changeRequest, checks });
    const retries = current.fake.requests.filter(
      (request) => request.method === 'POST' && request.path.endsWith('/retry'),
    );
    expect(retries.map((request) => [request.path, request.status])).toEqual(
      checks.map((check) => [`projects/group%2Fproject/jobs/${check.id.slice('job:'.length)}/retry`, 201]),
    );
    const passed = await statusWhen(
      current,
      changeRequest,
      (status) => status.continuousIntegration.state === 'success',
    );
    // The retries report under new ids; GitLab no longer lists the jobs they replaced.
    expect(passed.continuousIntegration.checks.map((check) => check.name).sort()).toEqual(['build', 'unit']);
    for (const check of passed.continuousIntegration.checks) {
      expect(checks.map((old) => old.id)).not.toContain(check.id);
      expect(check).not.toHaveProperty('conclusion');
    }

    // Retrying what GitLab already replaced is refused for every job: an error, so core counts the re-run as used.
    await expect(current.provider.rerunChecks({ changeRequest, checks })).rejects.toThrow(
      /retried none of "unit", "build".*not retryable/,
    );
  });

  it('reads and retries the jobs of a merge request from a fork in the fork, where its pipeline runs', async () => {
    const current = await start();
    const { fake, provider } = current;
    const fork = await fake.forkProject(projectPath, { path: 'alice/project' });
    const git = (args: string[]) =>
      runGit(args, { cwd: current.workingCopy, env: { ...fake.gitEnvironment(), ...identity } });
    await git(['checkout', '--quiet', '-B', 'feature/flaky', 'main']);
    await writeFile(path.join(current.workingCopy, 'feature.txt'), 'feature\n');
    await git(['add', '--all']);
    await git(['commit', '--quiet', '-m', 'A feature from a fork']);
    await git([
      'push',
      '--quiet',
      fake.repositoryUrl(fork.pathWithNamespace),
      'HEAD:refs/heads/feature/flaky',
    ]);
    const opened = await fetch(`${fake.url}/api/v4/projects/${fork.id}/merge_requests`, {
      method: 'POST',
      headers: { 'private-token': fake.token, 'content-type': 'application/json' },
      body: JSON.stringify({
        source_branch: 'feature/flaky',
        target_branch: 'main',
        title: 'From a fork',
        target_project_id: fake.project(projectPath).id,
        allow_collaboration: true,
      }),
    });
    expect(opened.status).toBe(201);
    const { iid } = (await opened.json()) as { iid: number };
    const [changeRequest] = await provider.listBabysitCandidates({ numbers: [iid], label: null });
    expect(changeRequest?.headRepositoryUrl).toBe(fake.repositoryUrl(fork.pathWithNamespace));
    const failed = await statusWhen(
      current,
      changeRequest!,
      (status) => status.continuousIntegration.state === 'failure',
    );
    const build = failed.continuousIntegration.checks.find((check) => check.name === 'build')!;
    expect(
      await provider.getCheckLog({ changeRequest: changeRequest!, checkId: build.id, maxBytes: 10_000 }),
    ).toBe(runnerLostTrace);
    await provider.rerunChecks({
      changeRequest: changeRequest!,
      checks: failed.continuousIntegration.checks,
    });
    expect(
      fake.requests
        .filter((request) => request.method === 'POST' && request.path.endsWith('/retry'))
        .map((request) => request.path.split('/')[1]),
    ).toEqual([String(fork.id), String(fork.id)]);
    await statusWhen(current, changeRequest!, (status) => status.continuousIntegration.state === 'success');
  });

  it('refuses to retry external commit statuses, saying only jobs can be', async () => {
    const current = await start();
    const head = await current.createBranchWithCommit('loompa/status');
    const changeRequest = await current.provider.openChangeRequest({
      branch: 'loompa/status',
      baseBranch: 'main',
      title: 'Status',
      body: 'body',
    });
    current.fake.setCommitStatus(projectPath, head, { name: 'external/security', status: 'failed' });
    const status = await statusWhen(current, changeRequest, (read) =>
      read.continuousIntegration.checks.some((check) => check.name === 'external/security'),
    );
    const external = status.continuousIntegration.checks.filter((check) => check.id.startsWith('status:'));
    const error = await current.provider
      .rerunChecks({ changeRequest, checks: external })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(ScmError);
    expect(String(error.message)).toContain('none of "external/security" is a GitLab CI job');
  });

  it('lists scheduled pipelines by schedule description, by source and by pipeline name, with their failed jobs and traces', async () => {
    const current = await start();
    const { fake, provider } = current;
    const nightly = fake.createPipelineSchedule(projectPath, { description: 'Nightly E2E', ref: 'main' });
    fake.createPipelineSchedule(projectPath, { description: 'Weekly audit', ref: 'main' });
    const first = (await fake.runPipelineSchedule(projectPath, nightly.id))!;
    const second = (await fake.runPipelineSchedule(projectPath, nightly.id))!;
    await fake.settle();

    const bySchedule = await provider.listWorkflowRuns({ workflows: ['nightly e2e'], perWorkflow: 5 });
    expect(bySchedule.map((run) => [run.id, run.workflow, run.branch, run.state])).toEqual([
      [String(second.id), 'nightly e2e', 'main', 'failure'],
      [String(first.id), 'nightly e2e', 'main', 'failure'],
    ]);
    expect(bySchedule[0]!.headSha).toBe(await current.readBaseHead());
    // One per page: the newest is found whichever way GitLab sorts.
    expect(
      (await provider.listWorkflowRuns({ workflows: ['Nightly E2E'], perWorkflow: 1 })).map((run) => run.id),
    ).toEqual([String(second.id)]);
    const schedulePages = fake.requests
      .filter((request) => request.path.endsWith(`pipeline_schedules/${nightly.id}/pipelines`))
      .map((request) => new URLSearchParams(request.query).get('page'));
    expect(schedulePages).toContain('2');
    expect(bySchedule[0]!.url).toContain(`/-/pipelines/${second.id}`);
    expect(await provider.listWorkflowRuns({ workflows: ['Weekly audit'], perWorkflow: 5 })).toEqual([]);
    expect(
      (await provider.listWorkflowRuns({ workflows: ['schedule'], perWorkflow: 1 })).map((run) => run.id),
    ).toEqual([String(second.id)]);
    // `Nightly` is no schedule's description: the pipelines named so (workflow:name) on the default branch.
    expect(
      (await provider.listWorkflowRuns({ workflows: ['Nightly'], perWorkflow: 5 })).map((run) => run.id),
    ).toEqual([String(second.id), String(first.id)]);
    const pushed = await provider.listWorkflowRuns({ workflows: ['push'], perWorkflow: 5 });
    expect(pushed.map((run) => [run.workflow, run.branch, run.state])).toEqual([['push', 'main', 'success']]);
    // The full ref where it is known: the default branch's pipelines; a schedule naming only
    // `main` may mean a branch or a tag, and listed pipelines do not say which.
    expect(pushed[0]!.ref).toBe('refs/heads/main');
    expect(bySchedule[0]!.ref).toBeUndefined();
    // A schedule on a tag: its pipelines carry the tag's name, and the schedule's full ref.
    const release = await current.createBranchWithCommit('release-work');
    await runGit(['tag', 'v1.0', release], { cwd: fake.project(projectPath).repositoryPath });
    const onTag = fake.createPipelineSchedule(projectPath, { description: 'Release', ref: 'refs/tags/v1.0' });
    const tagPipeline = (await fake.runPipelineSchedule(projectPath, onTag.id))!;
    expect(
      (await provider.listWorkflowRuns({ workflows: ['Release'], perWorkflow: 5 })).map((run) => [
        run.id,
        run.branch,
        run.ref,
        run.headSha,
      ]),
    ).toEqual([[String(tagPipeline.id), 'v1.0', 'refs/tags/v1.0', release]]);

    const jobs = await provider.listFailedJobs({ run: bySchedule[0]! });
    expect(jobs.map((job) => [job.name, job.conclusion])).toEqual([
      ['e2e', 'script_failure'],
      ['deploy / smoke', 'stuck_or_timeout_failure'],
    ]);
    const log = await provider.getJobLog({ run: bySchedule[0]!, jobId: jobs[0]!.id, maxBytes: 30 });
    expect(log).toBe('AssertionError: expected 3 to be 4\n'.slice(-30));
    await expect(
      provider.getJobLog({ run: bySchedule[0]!, jobId: 'check-run:12', maxBytes: 30 }),
    ).rejects.toThrow('is not a GitLab check id');
  });

  it('reads source:, schedule: and name: prefixes, so a schedule described "push" or "schedule" is reachable; bare keywords stay sources', async () => {
    const current = await start();
    const { fake, provider } = current;
    const run = async (description: string) => {
      const schedule = fake.createPipelineSchedule(projectPath, { description, ref: 'main' });
      return String((await fake.runPipelineSchedule(projectPath, schedule.id))!.id);
    };
    const describedPush = await run('push');
    const describedSchedule = await run('Schedule');
    const nightly = await run('Nightly');
    await fake.settle();
    const ids = async (workflow: string) =>
      (await provider.listWorkflowRuns({ workflows: [workflow], perWorkflow: 10 })).map((entry) => entry.id);
    const pushed = fake
      .project(projectPath)
      .pipelines.filter((pipeline) => pipeline.source === 'push' && pipeline.ref === 'main')
      .map((pipeline) => String(pipeline.id))
      .reverse();
    expect(pushed.length).toBeGreaterThan(0);
    const everyScheduled = [nightly, describedSchedule, describedPush];

    // Bare keywords are the sources they always were; `source:` says so explicitly.
    expect(await ids('push')).toEqual(pushed);
    expect(await ids('source:push')).toEqual(pushed);
    expect(await ids('schedule')).toEqual(everyScheduled);
    expect(await ids('source:Schedule')).toEqual(everyScheduled);
    // `schedule:` is a schedule's description, whatever it reads like (case ignored).
    expect(await ids('schedule:push')).toEqual([describedPush]);
    expect(await ids('Schedule: schedule')).toEqual([describedSchedule]);
    expect(await ids('schedule:Weekly')).toEqual([]);
    // A bare description is the schedule; `name:` the pipelines of that name on the default branch.
    expect(await ids('Nightly')).toEqual([nightly]);
    expect(await ids('name:Nightly')).toEqual(everyScheduled);
    const runs = await provider.listWorkflowRuns({ workflows: ['schedule:push'], perWorkflow: 10 });
    expect(runs.map((entry) => entry.workflow)).toEqual(['schedule:push']);

    // A malformed entry is refused before any request, naming the entry.
    const requestsBefore = fake.requests.length;
    await expect(
      provider.listWorkflowRuns({ workflows: ['source:nightly'], perWorkflow: 5 }),
    ).rejects.toThrow(
      'triage.workflows entry "source:nightly": GitLab has no pipeline source "nightly"; choose from schedule, push, web, api, trigger, pipeline,',
    );
    await expect(provider.listWorkflowRuns({ workflows: ['name: '], perWorkflow: 5 })).rejects.toThrow(
      'triage.workflows entry "name: ": nothing follows "name:" (write e.g. name:Nightly)',
    );
    expect(fake.requests.length).toBe(requestsBefore);
    expect(fake.problems).toEqual([]);
  });

  it('maps pipeline statuses to run states: only finished pipelines succeed or fail', () => {
    expect(
      ['success', 'skipped', 'manual', 'failed', 'canceled', 'running', 'pending', 'created'].map(
        pipelineRunState,
      ),
    ).toEqual(['success', 'success', 'success', 'failure', 'failure', 'pending', 'pending', 'pending']);
  });
});
