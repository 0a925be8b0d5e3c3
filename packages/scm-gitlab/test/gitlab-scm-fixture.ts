import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ChangeRequest, type ChangeRequestStatus, runGit } from '@loompa/core';
import { withoutKeyMarker } from '@loompa/gitlab-client';
import {
  type ConformanceFileChange,
  createFakeGitLab,
  type FakeGitLab,
  type FakeGitLabOptions,
  type FakeGitLabProjectOptions,
} from '@loompa/testkit';
import { createGitLabScm, type GitLabScmProvider, type GitLabScmSettings } from '../src/index.js';

export const projectPath = 'group/project';
export const failingCheck = {
  name: 'unit-tests',
  logLine: 'AssertionError: expected 2 to equal 3',
  triggerFile: 'break-the-build.txt',
};

const identity = {
  GIT_AUTHOR_NAME: 'Developer',
  GIT_AUTHOR_EMAIL: 'developer@localhost',
  GIT_COMMITTER_NAME: 'Developer',
  GIT_COMMITTER_EMAIL: 'developer@localhost',
};

export const flakyCheck = { name: 'integration', triggerFile: 'flaky.txt' };

/**
 * A CI that runs `unit-tests` on every head and fails it when the trigger file is present; with
 * `flaky.txt` present, `integration` fails the first time and passes when retried.
 */
export const conformanceContinuousIntegration: FakeGitLabOptions['continuousIntegration'] = async (
  commit,
) => {
  const broken = (await commit.readFile(failingCheck.triggerFile)) !== null;
  const flaky = (await commit.readFile(flakyCheck.triggerFile)) !== null;
  return {
    jobs: [
      {
        name: failingCheck.name,
        status: broken ? 'failed' : 'success',
        trace: broken
          ? `\x1b[32;1m$ npm test\x1b[0;m\nsection_start:1700000000:tests\r\x1b[0Krunning 12 tests\n${failingCheck.logLine}\nsection_end:1700000001:tests\r\x1b[0K\nJob failed: exit code 1\n`
          : 'running 12 tests\nall passed\n',
      },
      ...(flaky
        ? [
            {
              name: flakyCheck.name,
              status: 'failed' as const,
              trace: 'Test timed out in 5000ms.\n',
              retries: [{ status: 'success' as const, trace: 'all passed\n' }],
            },
          ]
        : []),
    ],
  };
};

export interface GitLabScmFixture {
  fake: FakeGitLab;
  provider: GitLabScmProvider;
  workingCopy: string;
  makeProvider(settings?: Partial<GitLabScmSettings>): GitLabScmProvider;
  createBranchWithCommit(branch: string, change?: ConformanceFileChange): Promise<string>;
  addCommit(branch: string, change: ConformanceFileChange): Promise<string>;
  commitToBase(change: ConformanceFileChange): Promise<string>;
  readBaseHead(): Promise<string>;
  readComments(changeRequest: ChangeRequest): Promise<Array<{ body: string }>>;
  cleanup(): Promise<void>;
}

/**
 * A fake GitLab project with a `main` branch, a developer's working copy that pushes to it
 * over smart HTTP (the token only in the environment), and a provider pointed at it.
 */
export async function createGitLabScmFixture(
  options: { project?: Partial<FakeGitLabProjectOptions>; fake?: FakeGitLabOptions } = {},
): Promise<GitLabScmFixture> {
  const fake = await createFakeGitLab({
    continuousIntegration: conformanceContinuousIntegration,
    ...options.fake,
  });
  await fake.createProject({ path: projectPath, ...options.project });
  const workingCopy = await mkdtemp(path.join(os.tmpdir(), 'scm-gitlab-'));
  const env = { ...fake.gitEnvironment(), ...identity };
  const git = (args: string[]) => runGit(args, { cwd: workingCopy, env });
  await runGit(['init', '--quiet', '--initial-branch=main', workingCopy], { cwd: os.tmpdir() });
  await git(['remote', 'add', 'origin', fake.repositoryUrl(projectPath)]);
  await writeFile(path.join(workingCopy, 'README.md'), '# Project\n');
  await git(['add', '--all']);
  await git(['commit', '--quiet', '-m', 'Initial commit']);
  await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);

  const commit = async (change: ConformanceFileChange) => {
    await writeFile(path.join(workingCopy, change.file), change.content);
    await git(['add', '--all']);
    await git(['commit', '--quiet', '-m', `Write ${change.file}`]);
    return (await git(['rev-parse', 'HEAD'])).stdout.trim();
  };
  const makeProvider = (settings: Partial<GitLabScmSettings> = {}) =>
    createGitLabScm({
      client: { host: fake.url, token: fake.token, retry: { baseDelayMs: 10 } },
      project: projectPath,
      rebasePollIntervalMs: 20,
      ...settings,
    });

  return {
    fake,
    provider: makeProvider(),
    workingCopy,
    makeProvider,
    async createBranchWithCommit(branch, change) {
      await git(['fetch', '--quiet', 'origin', 'main']);
      await git(['checkout', '--quiet', '-B', branch, 'FETCH_HEAD']);
      const head = await commit(
        change ?? { file: `${branch.replaceAll('/', '-')}.txt`, content: `${branch}\n` },
      );
      await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return head;
    },
    async addCommit(branch, change) {
      await git(['checkout', '--quiet', branch]);
      const head = await commit(change);
      await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return head;
    },
    async commitToBase(change) {
      await git(['fetch', '--quiet', 'origin', 'main']);
      await git(['checkout', '--quiet', '-B', 'main', 'FETCH_HEAD']);
      const head = await commit(change);
      await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      return head;
    },
    async readBaseHead() {
      return (
        await runGit(['rev-parse', 'refs/heads/main'], { cwd: fake.project(projectPath).repositoryPath })
      ).stdout.trim();
    },
    async readComments(changeRequest) {
      const mergeRequest = fake.mergeRequest(projectPath, Number(changeRequest.id));
      return mergeRequest.discussions
        .flatMap((discussion) => discussion.notes)
        .filter((note) => note.authorId === fake.user.id)
        .map((note) => ({ body: withoutKeyMarker(note.body) }));
    },
    async cleanup() {
      try {
        await fake.close();
      } finally {
        await rm(workingCopy, { recursive: true, force: true });
      }
    },
  };
}

/** Reads the status until `accept` holds, letting the fake finish its background work in between. */
export async function statusWhen(
  current: GitLabScmFixture,
  changeRequest: ChangeRequest,
  accept: (status: ChangeRequestStatus) => boolean,
): Promise<ChangeRequestStatus> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const status = await current.provider.getStatus({ changeRequest });
    if (accept(status)) return status;
    await current.fake.settle();
  }
  throw new Error('the status never matched');
}
