import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGit } from '../../git/run-git.js';
import { fetchCandidatesOf, fetchRunCommit } from './fetch-run-commit.js';

const identity = {
  GIT_AUTHOR_NAME: 'Tester',
  GIT_AUTHOR_EMAIL: 'tester@example.com',
  GIT_COMMITTER_NAME: 'Tester',
  GIT_COMMITTER_EMAIL: 'tester@example.com',
};
/** Git's first protocol: the server hands out advertised tips only (no fetching by sha). */
const protocolVersionZero = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'protocol.version',
  GIT_CONFIG_VALUE_0: '0',
};

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/**
 * A remote whose main has one commit and whose tag `v1.0` holds two more on no branch (the
 * release commit and its parent), and a clone that has only main.
 */
async function remoteWithTag() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-fetch-run-commit-'));
  roots.push(root);
  const remote = path.join(root, 'remote.git');
  const work = path.join(root, 'work');
  const clone = path.join(root, 'clone');
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', remote], { cwd: root });
  await runGit(['init', '--quiet', '--initial-branch=main', work], { cwd: root });
  const commit = async (file: string) => {
    await writeFile(path.join(work, file), `${file}\n`);
    await runGit(['add', file], { cwd: work });
    await runGit(['commit', '--quiet', '-m', file], { cwd: work, env: identity });
    return (await runGit(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
  };
  const main = await commit('README.md');
  await runGit(['push', '--quiet', remote, 'main'], { cwd: work });
  await runGit(['clone', '--quiet', remote, clone], { cwd: root });
  await runGit(['checkout', '--quiet', '--detach'], { cwd: work });
  const releaseParent = await commit('prepare.txt');
  const release = await commit('release.txt');
  await runGit(['tag', 'v1.0'], { cwd: work });
  await runGit(['push', '--quiet', remote, 'refs/tags/v1.0'], { cwd: work });
  return { remote, clone, main, release, releaseParent };
}

const present = async (repository: string, sha: string) =>
  (await runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: repository, allowFailure: true })).exitCode ===
  0;

describe('fetchRunCommit', () => {
  it('asks for the sha first, then the full ref, or the name as a branch and as a tag', () => {
    expect(fetchCandidatesOf({ headSha: 'abc', branch: 'main', ref: 'refs/tags/v1.0' })).toEqual([
      'abc',
      'refs/tags/v1.0',
    ]);
    expect(fetchCandidatesOf({ headSha: 'abc', branch: 'v1.0' })).toEqual([
      'abc',
      'refs/heads/v1.0',
      'refs/tags/v1.0',
    ]);
  });

  it('fetches a commit only a tag holds by its sha, creating no branch or tag', async () => {
    const { remote, clone, release } = await remoteWithTag();
    await fetchRunCommit(clone, { id: 'run-1', headSha: release, branch: 'v1.0' }, async () => ({
      remoteUrl: remote,
      environment: {},
    }));
    expect(await present(clone, release)).toBe(true);
    expect((await runGit(['tag', '--list'], { cwd: clone })).stdout.trim()).toBe('');
  });

  it('falls back to the tag when the server does not hand out the commit by its sha', async () => {
    const { remote, clone, releaseParent } = await remoteWithTag();
    // The release's parent is no advertised tip: only fetching the tag brings it.
    await fetchRunCommit(clone, { id: 'run-1', headSha: releaseParent, branch: 'v1.0' }, async () => ({
      remoteUrl: remote,
      environment: protocolVersionZero,
    }));
    expect(await present(clone, releaseParent)).toBe(true);
  });

  it('asks nothing of the remote when the commit is there already', async () => {
    const { clone, main } = await remoteWithTag();
    let asked = 0;
    await fetchRunCommit(clone, { id: 'run-1', headSha: main, branch: 'main' }, async () => {
      asked += 1;
      return null;
    });
    expect(asked).toBe(0);
  });

  it('says which run, which commit and what each attempt answered when the commit is nowhere', async () => {
    const { remote, clone } = await remoteWithTag();
    const missing = 'f'.repeat(40);
    const failure = fetchRunCommit(clone, { id: 'run-7', headSha: missing, branch: 'v2.0' }, async () => ({
      remoteUrl: remote,
      environment: {},
    }));
    await expect(failure).rejects.toThrow(
      `the commit ${missing} of run run-7 could not be fetched from the remote`,
    );
    await expect(failure).rejects.toThrow(/refs\/heads\/v2\.0: .*\nrefs\/tags\/v2\.0: /);
    await expect(
      fetchRunCommit(clone, { id: 'run-7', headSha: missing, branch: 'v2.0' }, async () => null),
    ).rejects.toThrow(`the commit ${missing} is not in ${clone} and the provider has no remote`);
  });
});
