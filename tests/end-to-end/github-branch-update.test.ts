import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import {
  createGitHubLoop,
  loopTestTimeoutMs,
  repositoryName,
  tickUntil,
} from './fixtures/github-loop-fixture.js';

const identity = {
  GIT_AUTHOR_NAME: 'Dana',
  GIT_AUTHOR_EMAIL: 'dana@example.com',
  GIT_COMMITTER_NAME: 'Dana',
  GIT_COMMITTER_EMAIL: 'dana@example.com',
};

/**
 * A pull request that is only behind its base (someone merged an unrelated change) is brought
 * up to date by GitHub's own rebase update: no local rebase, no agent run, and the next push
 * and the merge build on the head GitHub made.
 */
describe('a GitHub pull request that falls behind its base', () => {
  it(
    'is updated by GitHub without the agent, then merged with the updated head',
    async () => {
      const loop = await createGitHubLoop({ agent: 'command', autoMerge: true });
      const { fake } = loop;
      const issue = fake.seedIssue(repositoryName, {
        title: 'Store the answer',
        body: 'Write answer.txt.',
        labels: ['loompa'],
      });
      const runs = () =>
        existsSync(loop.agentRunsLog)
          ? readFileSync(loop.agentRunsLog, 'utf8').split('\n').filter(Boolean)
          : [];

      await loop.orchestrator.runOnce();
      const pull = [...fake.repository(repositoryName).issues.values()].find(
        (candidate) => candidate.pullRequest,
      )!;
      await tickUntil(loop, () => {
        const checks = fake
          .repository(repositoryName)
          .checkRuns.filter((run) => run.headSha === pull.pullRequest!.headSha);
        expect(runs()).toEqual(['first', 'ci-fix']);
        expect(checks.map((run) => run.conclusion)).toEqual(['success']);
      });

      // Dana merges an unrelated change into main: the pull request is behind, not in conflict.
      const dana = path.join(loop.root, 'dana');
      const danaEnvironment = { ...fake.gitEnvironment(fake.createToken('dana')), ...identity };
      await runGit(['clone', '--quiet', fake.gitUrl(repositoryName), dana], {
        cwd: loop.root,
        env: danaEnvironment,
      });
      await writeFile(path.join(dana, 'CHANGELOG.md'), '# Changes\n');
      await runGit(['add', 'CHANGELOG.md'], { cwd: dana });
      await runGit(['commit', '--quiet', '-m', 'Dana: a changelog'], { cwd: dana, env: danaEnvironment });
      await runGit(['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], {
        cwd: dana,
        env: danaEnvironment,
      });
      const danaCommit = (await runGit(['rev-parse', 'HEAD'], { cwd: dana })).stdout.trim();
      const bare = await fake.bareRepositoryPath(repositoryName);

      const headBefore = pull.pullRequest!.headSha;
      await tickUntil(loop, () => expect(pull.pullRequest!.headSha).not.toBe(headBefore));
      const upToDate = await runGit(['merge-base', '--is-ancestor', danaCommit, pull.pullRequest!.headSha], {
        cwd: bare,
        allowFailure: true,
      });
      expect(upToDate.exitCode).toBe(0);
      // GitHub's update did it: one rebase update, and the agent never ran for it.
      const updates = fake.requests.filter(
        (request) =>
          request.operationId === 'graphql' &&
          JSON.stringify(request.body).includes('updatePullRequestBranch'),
      );
      expect(updates).toHaveLength(1);
      expect(runs()).toEqual(['first', 'ci-fix']);

      fake.submitReview(repositoryName, pull.number, { author: 'carol', state: 'APPROVED' });
      await tickUntil(loop, () => expect(loop.eventsOf('issue-done')).toHaveLength(1));
      const merges = fake.requests.filter((request) => request.operationId === 'pulls/merge');
      expect(merges.filter((request) => request.status === 200)).toHaveLength(1);
      const main = (await runGit(['rev-parse', 'refs/heads/main'], { cwd: bare })).stdout.trim();
      expect((await runGit(['show', `${main}:answer.txt`], { cwd: bare })).stdout.trim()).toBe('42');
      expect((await runGit(['show', `${main}:CHANGELOG.md`], { cwd: bare })).stdout.trim()).toBe('# Changes');
      expect(runs()).toEqual(['first', 'ci-fix']);
      expect(issue.state).toBe('closed');
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
