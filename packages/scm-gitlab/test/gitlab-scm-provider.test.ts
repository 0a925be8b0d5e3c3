import { redactSecrets, runGit, ScmError } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGitLabScmFixture,
  failingCheck,
  type GitLabScmFixture,
  projectPath,
  statusWhen,
} from './gitlab-scm-fixture.js';

let fixture: GitLabScmFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

async function start(options: Parameters<typeof createGitLabScmFixture>[0] = {}) {
  fixture = await createGitLabScmFixture(options);
  return fixture;
}

async function openFor(
  current: GitLabScmFixture,
  branch: string,
  change?: { file: string; content: string },
) {
  const head = await current.createBranchWithCommit(branch, change);
  const changeRequest = await current.provider.openChangeRequest({
    branch,
    baseBranch: 'main',
    title: `Change ${branch}`,
    body: 'body',
  });
  return { head, changeRequest };
}

describe('GitLabScmProvider', () => {
  it('reports computing while GitLab is checking, then clean once detailed_merge_status is mergeable', async () => {
    // Merge commits allowed: a moved target needs no rebase, so the check ends in `mergeable`.
    const current = await start({ project: { mergeMethod: 'merge' } });
    const { changeRequest } = await openFor(current, 'loompa/checking');
    await current.fake.settle();
    // The target moves: GitLab's answer is stale and the next read says "checking".
    await current.commitToBase({ file: 'other.txt', content: 'other\n' });
    await current.fake.sync();
    const checking = await current.provider.getStatus({ changeRequest });
    expect(checking.mergeability).toBe('computing');
    await current.fake.settle();
    const checked = await current.provider.getStatus({ changeRequest });
    expect(checked.mergeability).toBe('clean');
  });

  it('reports behind once the check finds the fast-forward project needs a rebase', async () => {
    const current = await start();
    const { changeRequest } = await openFor(current, 'loompa/behind');
    await current.fake.settle();
    await current.commitToBase({ file: 'other.txt', content: 'other\n' });
    await current.fake.sync();
    expect((await current.provider.getStatus({ changeRequest })).mergeability).toBe('computing');
    await current.fake.settle();
    expect((await current.provider.getStatus({ changeRequest })).mergeability).toBe('behind');
  });

  it('rebases on the server, waiting until GitLab has finished, and the merge request follows', async () => {
    const current = await start();
    const { head, changeRequest } = await openFor(current, 'loompa/rebase', {
      file: 'mine.txt',
      content: 'mine\n',
    });
    const baseHead = await current.commitToBase({ file: 'theirs.txt', content: 'theirs\n' });
    await statusWhen(current, changeRequest, (status) => status.mergeability === 'behind');
    await current.provider.updateBranch({ changeRequest });
    const after = await statusWhen(current, changeRequest, (status) => status.mergeability === 'clean');
    expect(after.headSha).not.toBe(head);
    const contains = await runGit(['merge-base', '--is-ancestor', baseHead, after.headSha!], {
      cwd: current.fake.project(projectPath).repositoryPath,
      allowFailure: true,
    });
    expect(contains.exitCode).toBe(0);
  });

  it('turns a rebase that ends in merge_error into an ScmError saying a local rebase is needed', async () => {
    const current = await start();
    const { changeRequest } = await openFor(current, 'loompa/clash', {
      file: 'shared.txt',
      content: 'mine\n',
    });
    await current.commitToBase({ file: 'shared.txt', content: 'theirs\n' });
    await statusWhen(current, changeRequest, (status) => status.mergeability === 'conflict');
    const failure = await current.provider.updateBranch({ changeRequest }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScmError);
    expect((failure as ScmError).message).toBe(
      `GitLab could not rebase merge request !${changeRequest.id} onto main: Rebase failed. Please rebase locally`,
    );
    expect((failure as ScmError).details).toMatchObject({ rebaseFailed: true });
    const rebaseCalls = current.fake.requests.filter((request) => request.path.endsWith('/rebase'));
    expect(rebaseCalls.map((request) => request.status)).toEqual([202]);
  });

  it('counts jobs of child pipelines and external commit statuses as checks', async () => {
    const current = await start({
      fake: {
        continuousIntegration: () => ({
          jobs: [{ name: 'lint', status: 'success', trace: 'ok\n' }],
          childPipelines: [
            {
              bridgeName: 'downstream',
              jobs: [{ name: 'integration', status: 'failed', trace: 'boom in child\n' }],
            },
          ],
        }),
      },
    });
    const { head, changeRequest } = await openFor(current, 'loompa/children');
    current.fake.setCommitStatus(projectPath, head, { name: 'external/security', status: 'failed' });
    const status = await statusWhen(
      current,
      changeRequest,
      (read) => read.continuousIntegration.state === 'failure',
    );
    const byName = Object.fromEntries(
      status.continuousIntegration.checks.map((check) => [check.name, check]),
    );
    expect(byName.lint?.state).toBe('success');
    expect(byName['downstream / integration']?.state).toBe('failure');
    expect(byName['external/security']).toMatchObject({ state: 'failure' });
    expect(byName['external/security']!.id).toMatch(/^status:/);
    const log = await current.provider.getCheckLog({
      changeRequest,
      checkId: byName['downstream / integration']!.id,
      maxBytes: 1000,
    });
    expect(log).toBe('boom in child\n');
  });

  it('serves job logs without colours or section markers', async () => {
    const current = await start();
    const { changeRequest } = await openFor(current, 'loompa/log', {
      file: failingCheck.triggerFile,
      content: 'x\n',
    });
    const status = await statusWhen(
      current,
      changeRequest,
      (read) => read.continuousIntegration.state === 'failure',
    );
    const log = await current.provider.getCheckLog({
      changeRequest,
      checkId: status.continuousIntegration.checks[0]!.id,
      maxBytes: 10_000,
    });
    expect(log).toBe(`$ npm test\nrunning 12 tests\n${failingCheck.logLine}\n\nJob failed: exit code 1\n`);
  });

  it('reports requested changes as changes_requested, and approvals as approved', async () => {
    const current = await start({ project: { approvalsRequired: 1 } });
    const { changeRequest } = await openFor(current, 'loompa/review');
    const blocked = await statusWhen(current, changeRequest, (status) => status.mergeability !== 'computing');
    expect(blocked).toMatchObject({ mergeability: 'blocked', review: { state: 'none' } });
    current.fake.requestChanges(projectPath, Number(changeRequest.id), 'carol');
    expect((await current.provider.getStatus({ changeRequest })).review.state).toBe('changes_requested');
    current.fake.approve(projectPath, Number(changeRequest.id), 'carol');
    const approved = await statusWhen(current, changeRequest, (status) => status.mergeability === 'clean');
    expect(approved.review.state).toBe('approved');
  });

  it('adopts the open merge request when opening one for the same branch again', async () => {
    const current = await start();
    const { changeRequest } = await openFor(current, 'loompa/twice');
    const again = await current.provider.openChangeRequest({
      branch: 'loompa/twice',
      baseBranch: 'main',
      title: 'Again',
      body: 'body',
    });
    expect(again.id).toBe(changeRequest.id);
    expect(current.fake.project(projectPath).mergeRequests).toHaveLength(1);
  });

  it('lets GitLab merge once the pipeline succeeds when the workflow asks for it', async () => {
    const current = await start({ project: { onlyAllowMergeIfPipelineSucceeds: true } });
    current.fake.holdPipelines();
    const provider = current.makeProvider({ mergeWhenPipelineSucceeds: true });
    const { head, changeRequest } = await openFor(current, 'loompa/auto-merge');
    await provider.merge({ changeRequest, method: 'merge', expectedHeadSha: head });
    expect((await provider.getStatus({ changeRequest })).state).toBe('open');
    expect(current.fake.mergeRequest(projectPath, Number(changeRequest.id)).mergeWhenPipelineSucceeds).toBe(
      true,
    );
    current.fake.releasePipelines();
    await current.fake.settle();
    expect((await provider.getStatus({ changeRequest })).state).toBe('merged');
  });

  it('pushes with the token in the environment only, and the token is redacted from logs', async () => {
    const current = await start();
    const target = await current.provider.getPushTarget({});
    expect(target!.remoteUrl).toBe(current.fake.repositoryUrl(projectPath));
    expect(target!.remoteUrl).not.toContain(current.fake.token);
    await runGit(['checkout', '--quiet', '-B', 'pushed'], { cwd: current.workingCopy });
    await runGit(['push', '--quiet', target!.remoteUrl, 'HEAD:refs/heads/pushed'], {
      cwd: current.workingCopy,
      env: target!.environment,
    });
    expect(current.fake.project(projectPath).knownBranchHeads.has('pushed')).toBe(true);
    const header = target!.environment.GIT_CONFIG_VALUE_0!;
    expect(redactSecrets(`git said: ${header}`)).not.toContain(header.split(' ').at(-1));
  });

  it('says which merge request a failed call was about', async () => {
    const current = await start();
    const failure = await current.provider
      .getStatus({
        changeRequest: {
          id: '404',
          number: 404,
          url: null,
          branch: 'b',
          baseBranch: 'main',
          title: 't',
          state: 'open',
        },
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScmError);
    expect((failure as Error).message).toContain(
      'GitLab (project group/project) could not read the status of merge request !404',
    );
    expect((failure as Error).message).toContain('404');
  });
});
