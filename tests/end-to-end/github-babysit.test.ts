import { writeFile } from 'node:fs/promises';
import { runGit } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import {
  createGitHubLoop,
  loopTestTimeoutMs,
  repositoryName,
  tickUntil,
} from './fixtures/github-loop-fixture.js';

/**
 * Babysitting on GitHub: a pull request Alice opened from her fork (maintainers may edit it),
 * labelled `loompa:babysit`, has a failing check. Loompa, with the real Claude Code CLI, fixes
 * it on her branch in her fork (a commit on top of hers, pushed with a lease), opens nothing,
 * and merges nothing without auto_merge.
 */
describe('babysitting a GitHub pull request someone else opened', () => {
  it(
    'fixes the failing check of a fork pull request on its own branch and keeps her commits',
    async () => {
      const loop = await createGitHubLoop({
        agent: 'claude',
        autoMerge: false,
        scmExtra: { babysit_label: 'loompa:babysit' },
      });
      const { fake } = loop;
      const aliceToken = fake.createToken('alice');
      fake.createFork(repositoryName, 'alice');
      const aliceEnvironment = {
        ...fake.gitEnvironment(aliceToken),
        GIT_AUTHOR_NAME: 'Alice',
        GIT_AUTHOR_EMAIL: 'alice@example.com',
        GIT_COMMITTER_NAME: 'Alice',
        GIT_COMMITTER_EMAIL: 'alice@example.com',
      };
      const aliceCheckout = `${loop.root}/alice`;
      await runGit(['clone', '--quiet', fake.gitUrl(repositoryName), aliceCheckout], {
        cwd: loop.root,
        env: aliceEnvironment,
      });
      const alice = (args: string[]) => runGit(args, { cwd: aliceCheckout, env: aliceEnvironment });
      await alice(['checkout', '--quiet', '-b', 'answer']);
      await alice(['commit', '--quiet', '--allow-empty', '-m', 'Alice: start the answer']);
      await writeFile(`${aliceCheckout}/answer.txt`, '41\n');
      await alice(['add', 'answer.txt']);
      await alice(['commit', '--quiet', '-m', 'Alice: the answer is 41']);
      const aliceHead = (await alice(['rev-parse', 'HEAD'])).stdout.trim();
      await alice([
        'push',
        '--quiet',
        fake.gitUrl('alice/answers'),
        'HEAD:refs/heads/answer',
        'main:refs/heads/main',
      ]);
      const pull = fake.seedPullRequest(repositoryName, {
        title: 'Compute the answer',
        body: 'By Alice.',
        head: 'answer',
        headRepository: 'alice/answers',
        author: 'alice',
        labels: ['loompa:babysit'],
        maintainerCanModify: true,
        computeMergeability: true,
      });
      await fake.settle();

      await tickUntil(loop, () => {
        const head = pull.pullRequest!.headSha;
        const checks = fake.repository(repositoryName).checkRuns.filter((run) => run.headSha === head);
        expect(head).not.toBe(aliceHead);
        expect(checks.map((run) => run.conclusion)).toEqual(['success']);
      });
      expect(loop.eventsOf('change-request-babysat')).toHaveLength(1);
      expect(loop.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
      expect(loop.eventsOf('change-request-opened')).toEqual([]);
      // Loompa's fix went to Alice's fork, on top of her two commits.
      const fork = await fake.bareRepositoryPath('alice/answers');
      const history = (await runGit(['log', '--format=%H %an', 'main..answer'], { cwd: fork })).stdout
        .trim()
        .split('\n');
      expect(history).toHaveLength(3);
      expect(history[1]!.split(' ')[0]).toBe(aliceHead);
      expect((await runGit(['show', 'answer:answer.txt'], { cwd: fork })).stdout.trim()).toBe('42');
      // The resumed agent was given the failing job's log tail.
      expect(JSON.stringify(loop.modelServer!.modelRequests().map((request) => request.body))).toContain(
        'expected the answer 42, found 41',
      );
      // Nothing merges without auto_merge, and nothing is opened.
      for (let tick = 0; tick < 3; tick++) {
        await fake.settle();
        await loop.orchestrator.tick();
      }
      expect(pull.pullRequest!.mergedAt).toBeNull();
      expect(fake.requests.filter((request) => request.operationId === 'pulls/merge')).toEqual([]);
      expect(fake.requests.filter((request) => request.operationId === 'pulls/create')).toEqual([]);
      const statusComments = fake.model
        .commentsOf(fake.repository(repositoryName), pull.number)
        .filter((comment) => comment.body.includes('loompa:comment-key=loompa-status'));
      expect(statusComments).toHaveLength(1);
      expect(fake.problems).toEqual([]);
    },
    loopTestTimeoutMs,
  );
});
