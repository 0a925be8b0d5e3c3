import fs from 'node:fs/promises';
import path from 'node:path';
import { LoompaError, ScmError } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalRepositoryFixture,
  git,
  type LocalRepositoryFixture,
} from './local-repository-fixture.js';

describe('scm-local mergeability and merge', () => {
  let repository: LocalRepositoryFixture;
  beforeEach(async () => {
    repository = await createLocalRepositoryFixture();
  });
  afterEach(async () => {
    await repository.cleanup();
  });

  const open = async (
    provider: ReturnType<LocalRepositoryFixture['createProvider']>,
    branch: string,
    file: string,
    content: string,
  ) => {
    const { worktree, headSha } = await repository.createBranch(branch, file, content);
    const changeRequest = await provider.openChangeRequest({
      branch,
      baseBranch: 'main',
      title: `Change ${file}`,
      body: `Writes ${file}.`,
    });
    return { worktree, headSha, changeRequest };
  };

  const reasonOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      expect(LoompaError.isInstance(error) && error instanceof ScmError).toBe(true);
      return (error as ScmError).details.reason;
    }
    throw new Error('expected a rejection');
  };

  it('rebases a branch that is behind onto the base, moves the checked-out base and its files, leaves the branch', async () => {
    const provider = repository.createProvider();
    const { worktree, headSha, changeRequest } = await open(
      provider,
      'loompa/behind',
      'feature.txt',
      'feature\n',
    );
    await repository.commitToMain('other.txt', 'someone else\n');
    expect((await provider.getStatus({ changeRequest })).mergeability).toBe('behind');
    // A person's unrelated uncommitted edit in the source checkout survives the merge.
    await fs.writeFile(path.join(repository.repositoryPath, 'README.md'), 'line one\nline two\nmy notes\n');

    await provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha });

    const mainHead = await repository.head('main');
    expect(await git(repository.repositoryPath, 'log', '--format=%s', 'main')).toBe(
      'Write feature.txt\nWrite other.txt\nInitial commit',
    );
    expect(await git(repository.repositoryPath, 'rev-list', '--merges', 'main')).toBe('');
    expect(await git(repository.repositoryPath, 'log', '-1', '--format=%an', 'main')).toBe('Test Person');
    expect(await fs.readFile(path.join(repository.repositoryPath, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(await fs.readFile(path.join(repository.repositoryPath, 'README.md'), 'utf8')).toContain(
      'my notes',
    );
    expect(await git(repository.repositoryPath, 'status', '--porcelain')).toBe('M README.md');
    // The change's branch and the agent's worktree are untouched.
    expect(await repository.head('loompa/behind')).toBe(headSha);
    expect(await git(worktree, 'status', '--porcelain')).toBe('');

    const status = await provider.getStatus({ changeRequest });
    expect(status).toMatchObject({ state: 'merged', headSha });
    expect((await provider.findChangeRequest({ branch: 'loompa/behind' }))?.state).toBe('merged');
    expect(mainHead).not.toBe(headSha);
    expect(
      await reasonOf(provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha })),
    ).toBe('not_open');
  });

  it('fast-forwards without new commits when the branch is up to date, and moves a base nobody has checked out', async () => {
    await git(repository.repositoryPath, 'checkout', '--quiet', '--detach');
    const provider = repository.createProvider();
    const { headSha, changeRequest } = await open(provider, 'loompa/ahead', 'ahead.txt', 'ahead\n');
    await provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha });
    expect(await repository.head('main')).toBe(headSha);
  });

  it('refuses a moved head, failing checks, a missing approval and a conflict, and changes nothing', async () => {
    const provider = repository.createProvider({ checks: ['test ! -e BROKEN'], requiredApprovals: 1 });
    const broken = await open(provider, 'loompa/broken', 'BROKEN', 'x\n');
    const mainBefore = await repository.head('main');
    expect(
      await reasonOf(
        provider.merge({
          changeRequest: broken.changeRequest,
          method: 'rebase',
          expectedHeadSha: 'f'.repeat(40),
        }),
      ),
    ).toBe('head_moved');
    await provider.getStatus({ changeRequest: broken.changeRequest });
    expect(
      await reasonOf(
        provider.merge({
          changeRequest: broken.changeRequest,
          method: 'rebase',
          expectedHeadSha: broken.headSha,
        }),
      ),
    ).toBe('checks_not_passed');
    await provider.waitForIdle();
    expect(
      await reasonOf(
        provider.merge({
          changeRequest: broken.changeRequest,
          method: 'rebase',
          expectedHeadSha: broken.headSha,
        }),
      ),
    ).toBe('checks_not_passed');

    const clash = await open(provider, 'loompa/clash', 'shared.txt', 'mine\n');
    await provider.getStatus({ changeRequest: clash.changeRequest });
    await provider.waitForIdle();
    expect(
      await reasonOf(
        provider.merge({
          changeRequest: clash.changeRequest,
          method: 'rebase',
          expectedHeadSha: clash.headSha,
        }),
      ),
    ).toBe('review_required');
    await provider.approve({ branch: 'loompa/clash', reviewer: 'alice' });
    await repository.commitToMain('shared.txt', 'theirs\n');
    const mainAfterTheirs = await repository.head('main');
    expect((await provider.getStatus({ changeRequest: clash.changeRequest })).mergeability).toBe('conflict');
    for (const method of ['rebase', 'squash', 'merge'] as const) {
      expect(
        await reasonOf(
          provider.merge({ changeRequest: clash.changeRequest, method, expectedHeadSha: clash.headSha }),
        ),
      ).toBe('conflict');
    }
    expect(await repository.head('main')).toBe(mainAfterTheirs);
    expect(mainAfterTheirs).not.toBe(mainBefore);
    expect(await git(repository.repositoryPath, 'status', '--porcelain')).toBe('');
    expect((await provider.getStatus({ changeRequest: clash.changeRequest })).state).toBe('open');
  });

  it('refuses to overwrite uncommitted edits in the checkout of the base branch', async () => {
    const provider = repository.createProvider();
    const { headSha, changeRequest } = await open(provider, 'loompa/readme', 'README.md', 'new readme\n');
    await fs.writeFile(path.join(repository.repositoryPath, 'README.md'), 'a person is editing this\n');
    expect(
      await reasonOf(provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha })),
    ).toBe('base_checkout_blocked');
    expect(await fs.readFile(path.join(repository.repositoryPath, 'README.md'), 'utf8')).toBe(
      'a person is editing this\n',
    );
    expect((await provider.getStatus({ changeRequest })).state).toBe('open');
    await git(repository.repositoryPath, 'checkout', '--', 'README.md');
    await provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha });
    expect(await fs.readFile(path.join(repository.repositoryPath, 'README.md'), 'utf8')).toBe('new readme\n');
  });

  it('squashes into one commit by the change author, or records a merge commit', async () => {
    const provider = repository.createProvider();
    const squashed = await open(provider, 'loompa/squash', 'one.txt', '1\n');
    await repository.commit(squashed.worktree, 'two.txt', '2\n');
    const squashedHead = await repository.head('loompa/squash');
    await provider.merge({
      changeRequest: squashed.changeRequest,
      method: 'squash',
      expectedHeadSha: squashedHead,
    });
    expect(await git(repository.repositoryPath, 'log', '--format=%s|%an|%P', '-1', 'main')).toMatch(
      /^Change one\.txt\|Test Person\|[0-9a-f]{40}$/,
    );
    expect(await git(repository.repositoryPath, 'show', '--name-only', '--format=', 'main')).toBe(
      'one.txt\ntwo.txt',
    );

    const merged = await open(provider, 'loompa/merge', 'three.txt', '3\n');
    await provider.merge({
      changeRequest: merged.changeRequest,
      method: 'merge',
      expectedHeadSha: merged.headSha,
    });
    const parents = (await git(repository.repositoryPath, 'log', '-1', '--format=%P', 'main')).split(' ');
    expect(parents).toHaveLength(2);
    expect(parents[1]).toBe(merged.headSha);
    expect(await fs.readFile(path.join(repository.repositoryPath, 'three.txt'), 'utf8')).toBe('3\n');
  });

  it('recognizes a change merged by hand and a branch that was deleted', async () => {
    const provider = repository.createProvider();
    const byHand = await open(provider, 'loompa/by-hand', 'hand.txt', 'hand\n');
    expect((await provider.getStatus({ changeRequest: byHand.changeRequest })).mergeability).toBe('clean');
    await git(repository.repositoryPath, 'merge', '--quiet', '--ff-only', 'loompa/by-hand');
    expect(await provider.getStatus({ changeRequest: byHand.changeRequest })).toMatchObject({
      state: 'merged',
      headSha: byHand.headSha,
    });

    const deleted = await open(provider, 'loompa/deleted', 'gone.txt', 'gone\n');
    await git(repository.repositoryPath, 'worktree', 'remove', '--force', deleted.worktree);
    await git(repository.repositoryPath, 'branch', '-D', 'loompa/deleted');
    expect((await provider.getStatus({ changeRequest: deleted.changeRequest })).state).toBe('closed');
    expect((await provider.findChangeRequest({ branch: 'loompa/deleted' }))?.state).toBe('closed');
  });

  it('opens one change request per branch, survives restarts, and rejects unknown branches', async () => {
    const provider = repository.createProvider();
    const first = await open(provider, 'loompa/once', 'once.txt', 'once\n');
    const again = await provider.openChangeRequest({
      branch: 'loompa/once',
      baseBranch: 'main',
      title: 'x',
      body: '',
    });
    expect(again.id).toBe(first.changeRequest.id);
    expect(first.changeRequest).toMatchObject({ number: 1, url: null, state: 'open' });
    await provider.closeChangeRequest({ changeRequest: first.changeRequest });
    const reopened = await provider.openChangeRequest({
      branch: 'loompa/once',
      baseBranch: 'main',
      title: 'y',
      body: '',
    });
    expect(reopened.number).toBe(2);
    const restarted = repository.createProvider();
    expect(await restarted.findChangeRequest({ branch: 'loompa/once' })).toMatchObject({
      id: reopened.id,
      state: 'open',
    });
    expect(await restarted.getPushTarget()).toBeNull();
    await expect(
      restarted.openChangeRequest({ branch: 'loompa/missing', baseBranch: 'main', title: 't', body: '' }),
    ).rejects.toThrow(/Branch "loompa\/missing" does not exist/);
    const records = await fs.readdir(path.join(repository.stateDirectory, 'change-requests'));
    expect(records.sort()).toEqual(['1.json', '2.json']);
  });
});
