import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '@loompa/core';
import { withoutKeyMarker } from '@loompa/gitlab-client';
import type { FakeGitLabOptions } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import {
  createGitLabLoop,
  type Loop,
  loopTestTimeoutMs,
  projectPath,
  tickUntil,
} from './fixtures/gitlab-loop-fixture.js';

/**
 * Failure classification, job retries and scheduled-pipeline triage on GitLab, against the
 * fake GitLab with real pushes over smart HTTP, the GitLab tracker and SCM provider: a job's
 * `failure_reason` and trace decide its class, flaky and infrastructure failures are retried
 * once (`POST …/jobs/:id/retry`) at no fix attempt, and a failing pipeline schedule becomes one
 * GitLab issue per root cause.
 */

const jestTimeoutTrace = [
  '\x1b[32;1m$ pnpm test\x1b[0;m',
  '  ● upload › retries on a slow server',
  '    thrown: "Exceeded timeout of 5000 ms for a test.',
  'Tests:       1 failed, 30 passed, 31 total',
  '\x1b[31;1mERROR: Job failed: exit code 1\x1b[0;m',
].join('\n');
const runnerLostTrace = [
  'Running with gitlab-runner 17.5.0 (abc1234)',
  '  on docker-autoscaler-3 xYz12, system ID: s_0123456789',
  '\x1b[32;1m$ pnpm build\x1b[0;m',
  'ERROR: Job failed (system failure): Error response from daemon: container is not running',
].join('\n');

/** Merge request branches: `unit` times out and `build` loses its runner, once per pipeline; retries pass. */
const flakyPipelines: FakeGitLabOptions['continuousIntegration'] = (commit) =>
  commit.ref === 'main'
    ? { jobs: [{ name: 'unit', status: 'success', trace: 'ok\n' }] }
    : {
        jobs: [
          {
            name: 'unit',
            status: 'failed',
            trace: jestTimeoutTrace,
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

const agentRuns = (loop: Loop) =>
  readFileSync(loop.agentRunsLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
const retryRequests = (loop: Loop) =>
  loop.fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/retry'));

describe('CI failures on GitLab', () => {
  it(
    'retries a flaky job and a runner_system_failure once through job retry, at no fix attempt, and merges',
    async () => {
      const loop = await createGitLabLoop('command', {
        approvalsRequired: 0,
        workflow: { scm: { required_approvals: 0 }, reactions: { ci: { max_attempts: 1 } } },
        continuousIntegration: flakyPipelines,
      });
      loop.fake.seedIssue(projectPath, { title: 'Store the answer' });
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));

      const classified = loop.eventsOf('check-failures-classified');
      expect(classified).toHaveLength(1);
      expect(
        Object.fromEntries(
          classified[0]!.classifications.map((entry) => [entry.checkName, entry.classification]),
        ),
      ).toEqual({ unit: 'flaky', build: 'infrastructure' });
      expect(classified[0]!.classifications.find((entry) => entry.checkName === 'unit')?.testName).toBe(
        'upload › retries on a slow server',
      );
      // Each failed job retried once, and only once.
      expect(retryRequests(loop).map((request) => request.status)).toEqual([201, 201]);
      expect(loop.eventsOf('checks-rerun')).toHaveLength(1);
      expect(loop.eventsOf('reaction-started')).toEqual([]);
      expect(agentRuns(loop)).toEqual(['first']);
      expect(loop.eventsOf('change-request-merged')).toHaveLength(1);
      const pipeline = loop.fake
        .project(projectPath)
        .pipelines.find((candidate) => candidate.ref !== 'main')!;
      expect(pipeline.jobs.filter((job) => job.retried).map((job) => job.name)).toEqual(['unit', 'build']);
      expect(loop.fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'two merge requests at once on a moving base: each head’s flaky jobs retried once, no fix attempt, both merged',
    async () => {
      const loop = await createGitLabLoop('command', {
        approvalsRequired: 0,
        workflow: {
          // Flaky-test issues are filed but not dispatched: only labelled work is.
          tracker: { required_labels: ['work'] },
          scm: { required_approvals: 0 },
          reactions: { ci: { max_attempts: 1 } },
          ci: { flaky_issue_after: 3 },
        },
        continuousIntegration: flakyPipelines,
        // Each issue's work in its own file, so the second merge request only needs a rebase.
        agentScript: 'echo 41 > "answer-$(printf %s "$prompt" | md5sum | cut -c1-8).txt"; echo first >> RUNS',
      });
      loop.fake.seedIssue(projectPath, { title: 'Store the first answer', labels: ['work'] });
      loop.fake.seedIssue(projectPath, { title: 'Store the `second` answer <b>now</b>', labels: ['work'] });
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(2));

      expect(loop.eventsOf('change-request-merged')).toHaveLength(2);
      // The second merge request fell behind the first merge: GitLab rebased it, no agent ran.
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).not.toContain('ci-failure');
      expect(agentRuns(loop)).toEqual(['first', 'first']);
      const project = loop.fake.project(projectPath);
      const branchPipelines = project.pipelines.filter((pipeline) => pipeline.ref !== 'main');
      // The second merge request was rebased onto the first merge: a new head, a new pipeline.
      expect(branchPipelines.length).toBeGreaterThanOrEqual(3);
      for (const pipeline of branchPipelines) {
        for (const name of ['unit', 'build']) {
          const runs = pipeline.jobs.filter((job) => job.name === name);
          expect(runs.filter((job) => job.retried).length).toBeLessThanOrEqual(1);
          expect(runs.at(-1)?.status).toBe('success');
        }
      }
      const retried = branchPipelines.flatMap((pipeline) => pipeline.jobs.filter((job) => job.retried));
      expect(retryRequests(loop).map((request) => request.status)).toEqual(retried.map(() => 201));
      expect(loop.eventsOf('checks-rerun').length).toBe(retried.length / 2);
      // Three heads flaked the same way: one GitLab issue per flaky test, not three.
      const filed = loop.eventsOf('flaky-test-issue-filed').filter((event) => event.created);
      expect(filed.map((event) => event.occurrences)).toEqual([3, 3]);
      const flakyIssues = project.issues.filter((issue) => issue.title.startsWith('Flaky test'));
      expect(flakyIssues.map((issue) => issue.title).sort()).toEqual([
        expect.stringContaining('build'),
        'Flaky test: upload › retries on a slow server',
      ]);
      for (const issue of flakyIssues) expect(issue.labels).toContain('flaky-test');
      expect(loop.fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'resumes the agent with the trace of a real assertion failure, and retries nothing',
    async () => {
      const loop = await createGitLabLoop('command', {
        approvalsRequired: 0,
        workflow: { scm: { required_approvals: 0 } },
        continuousIntegration: async (commit) => {
          const answer = (await commit.readFile('answer.txt'))?.trim() ?? null;
          return answer === null || answer === '42'
            ? { jobs: [{ name: 'test', status: 'success', trace: 'all passed\n' }] }
            : {
                jobs: [
                  {
                    name: 'test',
                    status: 'failed',
                    failureReason: 'script_failure',
                    trace: ` FAIL  src/answer.test.ts > answer > is 42\nAssertionError: expected the answer 42, found ${answer}\nERROR: Job failed: exit code 1\n`,
                  },
                ],
              };
        },
      });
      loop.fake.seedIssue(projectPath, { title: 'Store the answer' });
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));

      expect(loop.eventsOf('check-failures-classified')[0]!.classifications).toEqual([
        expect.objectContaining({
          checkName: 'test',
          classification: 'code',
          testName: 'src/answer.test.ts > answer > is 42',
        }),
      ]);
      expect(retryRequests(loop)).toEqual([]);
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
      const prompt = readFileSync(path.join(loop.root, 'ci-fix-prompt.txt'), 'utf8');
      expect(prompt).toContain('- "test": code');
      expect(prompt).toContain('AssertionError: expected the answer 42, found 41');
      expect(agentRuns(loop)).toEqual(['first', 'ci-fix']);
      expect(loop.fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'triages a failing scheduled pipeline into one GitLab issue with the agent’s analysis; the same cause again is a comment',
    async () => {
      const loop = await createGitLabLoop('command', {
        continuousIntegration: (commit) =>
          commit.source === 'schedule'
            ? {
                jobs: [
                  { name: 'lint', status: 'success', trace: 'ok\n' },
                  { name: 'e2e', status: 'failed', trace: jestTimeoutTrace },
                ],
              }
            : { jobs: [{ name: 'unit', status: 'success', trace: 'ok\n' }] },
        workflow: {
          // Triage issues are not dispatched: only labelled work is.
          tracker: { required_labels: ['work'] },
          triage: { workflows: ['Nightly'], interval_ms: 1, labels: ['ci-triage', 'nightly'] },
        },
        agentScript: [
          'echo triage >> RUNS',
          'echo "$prompt" > TRIAGE_PROMPT',
          'echo "ROOT CAUSE: the upload test depends on a slow external server"',
          'echo "CULPRIT COMMIT: $(git log -1 --format=%H)"',
          'echo "SUGGESTED FIX: stub the server in the upload test"',
        ].join('\n'),
      });
      const { fake } = loop;
      // The agent works in a throw-away worktree: it keeps its prompt at an absolute path.
      const promptFile = path.join(loop.root, 'triage-prompt.txt');
      const script = path.join(loop.root, 'agent.sh');
      await writeFile(script, readFileSync(script, 'utf8').replace('TRIAGE_PROMPT', promptFile));
      const schedule = fake.createPipelineSchedule(projectPath, { description: 'Nightly', ref: 'main' });
      const first = (await fake.runPipelineSchedule(projectPath, schedule.id))!;
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('ci-triage-finished')).toHaveLength(1));

      const project = fake.project(projectPath);
      expect(loop.eventsOf('ci-triage-started')).toEqual([
        { runId: String(first.id), workflow: 'Nightly', headSha: first.sha, failedJobs: ['e2e'] },
      ]);
      const finished = loop.eventsOf('ci-triage-finished')[0]!;
      expect(finished).toMatchObject({ created: true, failed: null });
      const triageIssues = () => project.issues.filter((issue) => issue.title.startsWith('CI triage'));
      expect(triageIssues()).toHaveLength(1);
      const issue = triageIssues()[0]!;
      expect(finished.trackerIssueIdentifier).toContain(String(issue.iid));
      expect(issue.title).toBe('CI triage: Nightly: the upload test depends on a slow external server');
      expect(issue.labels).toEqual(['ci-triage', 'nightly']);
      expect(issue.description).toContain(`**Likely culprit commit:** \`${first.sha}\``);
      expect(issue.description).toContain('Exceeded timeout of 5000 ms for a test');
      expect(issue.description).toContain(`/-/pipelines/${first.id}`);
      const prompt = readFileSync(promptFile, 'utf8');
      expect(prompt).toContain(`failed on main at commit ${first.sha}`);
      expect(prompt).toContain('upload › retries on a slow server');

      // The next night fails the same way: a comment on the same issue, no second agent run.
      const second = (await fake.runPipelineSchedule(projectPath, schedule.id))!;
      await tickUntil(loop, () => expect(loop.eventsOf('ci-triage-finished')).toHaveLength(2));
      expect(loop.eventsOf('ci-triage-finished')[1]).toEqual({
        runId: String(second.id),
        workflow: 'Nightly',
        fingerprint: finished.fingerprint,
        trackerIssueIdentifier: finished.trackerIssueIdentifier,
        created: false,
        failed: null,
      });
      expect(triageIssues()).toHaveLength(1);
      const comments = issue.discussions.flatMap((discussion) =>
        discussion.notes.map((note) => withoutKeyMarker(note.body)),
      );
      expect(comments.filter((body) => body.includes('Failed again with the same cause'))).toHaveLength(1);
      expect(agentRuns(loop)).toEqual(['triage']);
      // No merge request, and nothing dispatched: the triage issue lacks the `work` label.
      expect(project.mergeRequests).toEqual([]);

      // Triaged pipelines are remembered: more ticks file and comment nothing more.
      for (let tick = 0; tick < 3; tick += 1) {
        await fake.settle();
        await loop.orchestrator.tick();
      }
      await loop.orchestrator.stop();
      expect(loop.eventsOf('ci-triage-finished')).toHaveLength(2);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );

  it(
    'triages a scheduled pipeline that failed on a tag whose commit is on no branch: the commit is fetched by its sha',
    async () => {
      const loop = await createGitLabLoop('command', {
        continuousIntegration: (commit) =>
          commit.source === 'schedule'
            ? { jobs: [{ name: 'release-check', status: 'failed', trace: jestTimeoutTrace }] }
            : { jobs: [{ name: 'unit', status: 'success', trace: 'ok\n' }] },
        workflow: {
          tracker: { required_labels: ['work'] },
          triage: { workflows: ['Release check'], interval_ms: 1 },
        },
        agentScript: [
          'echo triage >> RUNS',
          'echo "$prompt" > TRIAGE_PROMPT',
          'echo "ROOT CAUSE: the release build misses its version file"',
          'echo "CULPRIT COMMIT: $(git log -1 --format=%H)"',
          'echo "SUGGESTED FIX: write VERSION before tagging"',
        ].join('\n'),
      });
      const { fake } = loop;
      const promptFile = path.join(loop.root, 'triage-prompt.txt');
      const script = path.join(loop.root, 'agent.sh');
      await writeFile(script, readFileSync(script, 'utf8').replace('TRIAGE_PROMPT', promptFile));
      // A release commit only the tag holds, pushed to GitLab from another clone: the
      // orchestrator's checkout has never seen it, and no branch of that name exists.
      const seed = path.join(loop.root, 'seed');
      const gitEnvironment = {
        ...fake.gitEnvironment(),
        GIT_AUTHOR_NAME: 'Releaser',
        GIT_AUTHOR_EMAIL: 'releaser@example.com',
        GIT_COMMITTER_NAME: 'Releaser',
        GIT_COMMITTER_EMAIL: 'releaser@example.com',
      };
      await runGit(['checkout', '--quiet', '--detach'], { cwd: seed });
      await writeFile(path.join(seed, 'CHANGELOG.md'), '# 1.0\n');
      await runGit(['add', '.'], { cwd: seed });
      await runGit(['commit', '--quiet', '-m', 'Release 1.0'], { cwd: seed, env: gitEnvironment });
      await runGit(['tag', 'v1.0'], { cwd: seed });
      const tagged = (await runGit(['rev-parse', 'HEAD'], { cwd: seed })).stdout.trim();
      await runGit(['push', '--quiet', fake.repositoryUrl(projectPath), 'refs/tags/v1.0'], {
        cwd: seed,
        env: gitEnvironment,
      });
      const present = (sha: string) =>
        runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: loop.repository, allowFailure: true }).then(
          (result) => result.exitCode === 0,
        );
      expect(await present(tagged)).toBe(false);

      const schedule = fake.createPipelineSchedule(projectPath, {
        description: 'Release check',
        ref: 'refs/tags/v1.0',
      });
      const pipeline = (await fake.runPipelineSchedule(projectPath, schedule.id))!;
      expect(pipeline).toMatchObject({ ref: 'v1.0', tag: true, sha: tagged, source: 'schedule' });
      await loop.orchestrator.runOnce();
      await tickUntil(loop, () => expect(loop.eventsOf('ci-triage-finished')).toHaveLength(1));

      expect(loop.eventsOf('ci-triage-started')).toEqual([
        {
          runId: String(pipeline.id),
          workflow: 'Release check',
          headSha: tagged,
          failedJobs: ['release-check'],
        },
      ]);
      expect(loop.eventsOf('ci-triage-finished')[0]).toMatchObject({ created: true, failed: null });
      const triageIssues = fake
        .project(projectPath)
        .issues.filter((issue) => issue.title.startsWith('CI triage'));
      expect(triageIssues.map((issue) => issue.title)).toEqual([
        'CI triage: Release check: the release build misses its version file',
      ]);
      // The agent worked on the tagged commit itself.
      expect(triageIssues[0]!.description).toContain(`**Likely culprit commit:** \`${tagged}\``);
      expect(readFileSync(promptFile, 'utf8')).toContain(`failed on tag v1.0 at commit ${tagged}`);
      // Only objects were fetched: no branch or tag appeared in the orchestrator's checkout.
      expect(await present(tagged)).toBe(true);
      expect((await runGit(['tag', '--list'], { cwd: loop.repository })).stdout.trim()).toBe('');
      expect(
        (
          await runGit(['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: loop.repository })
        ).stdout
          .trim()
          .split('\n'),
      ).toEqual(['refs/heads/main']);
      expect(agentRuns(loop)).toEqual(['triage']);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
