import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ChangeRequest, runGit } from '@loompa/core';
import { createGitHubClient, withoutMarkers } from '@loompa/github-client';
import {
  type ConformanceFileChange,
  createFakeGitHub,
  type FakeGitHub,
  type FakeGitHubActions,
  type FakeGitHubOptions,
} from '@loompa/testkit';
import { createGitHubScm, type GitHubScmProvider, type GitHubScmSettings } from '../src/index.js';

export const repositoryName = 'octo/widgets';
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
 * GitHub Actions running `unit-tests` on every pushed commit; it fails while the trigger file
 * exists. With `flaky.txt`, `integration` fails and passes when re-run.
 */
export const conformanceActions: FakeGitHubActions = async (commit) => {
  const broken = (await commit.readFile(failingCheck.triggerFile)) !== null;
  const flaky = (await commit.readFile(flakyCheck.triggerFile)) !== null;
  return {
    workflowName: 'CI',
    jobs: [
      {
        name: failingCheck.name,
        conclusion: broken ? 'failure' : 'success',
        log: broken
          ? `2026-01-01T00:00:00.0000000Z ##[group]Run npm test\n2026-01-01T00:00:01.0000000Z \x1b[36mrunning 12 tests\x1b[0m\n2026-01-01T00:00:02.0000000Z ##[endgroup]\n2026-01-01T00:00:02.1000000Z ${failingCheck.logLine}\n2026-01-01T00:00:02.2000000Z ##[error]Process completed with exit code 1.\n`
          : '2026-01-01T00:00:00.0000000Z running 12 tests\n2026-01-01T00:00:01.0000000Z all passed\n',
        annotations: broken
          ? [{ path: 'test/math.test.ts', line: 3, message: failingCheck.logLine, title: 'unit-tests' }]
          : [],
      },
      ...(flaky
        ? [
            {
              name: flakyCheck.name,
              conclusion: 'failure' as const,
              log: '2026-01-01T00:00:00.0000000Z Test timed out in 5000ms.\n',
              rerun: { conclusion: 'success' as const, log: '2026-01-01T00:00:00.0000000Z all passed\n' },
            },
          ]
        : []),
    ],
  };
};

export interface GitHubScmFixture {
  fake: FakeGitHub;
  token: string;
  provider: GitHubScmProvider;
  workingCopy: string;
  makeProvider(settings?: Partial<GitHubScmSettings>): GitHubScmProvider;
  git(args: string[]): Promise<string>;
  createBranchWithCommit(branch: string, change?: ConformanceFileChange): Promise<string>;
  addCommit(branch: string, change: ConformanceFileChange): Promise<string>;
  commitToBase(change: ConformanceFileChange): Promise<string>;
  readBaseHead(): Promise<string>;
  readComments(changeRequest: ChangeRequest): Promise<Array<{ body: string }>>;
  cleanup(): Promise<void>;
}

/**
 * A fake GitHub repository with a `main` branch, a developer's working copy that pushes to it
 * over smart HTTP (the token only in the environment), and a provider pointed at it.
 */
export async function createGitHubScmFixture(
  options: { fake?: FakeGitHubOptions } = {},
): Promise<GitHubScmFixture> {
  const fake = await createFakeGitHub({
    repositories: [repositoryName],
    actions: conformanceActions,
    ...options.fake,
  });
  const token = fake.createToken('loompa-bot');
  fake.createToken('reviewer');
  const workingCopy = await mkdtemp(path.join(os.tmpdir(), 'scm-github-'));
  const environment = { ...fake.gitEnvironment(token), ...identity };
  const git = async (args: string[]) =>
    (await runGit(args, { cwd: workingCopy, env: environment })).stdout.trim();
  await runGit(['init', '--quiet', '--initial-branch=main', workingCopy], { cwd: os.tmpdir() });
  await git(['remote', 'add', 'origin', fake.gitUrl(repositoryName)]);
  await writeFile(path.join(workingCopy, 'README.md'), '# Widgets\n');
  await git(['add', '--all']);
  await git(['commit', '--quiet', '-m', 'Initial commit']);
  await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);

  const commit = async (change: ConformanceFileChange) => {
    await writeFile(path.join(workingCopy, change.file), change.content);
    await git(['add', '--all']);
    await git(['commit', '--quiet', '-m', `Write ${change.file}`]);
    return git(['rev-parse', 'HEAD']);
  };
  const makeProvider = (settings: Partial<GitHubScmSettings> = {}) =>
    createGitHubScm({
      client: createGitHubClient({
        baseUrl: fake.url,
        credentials: { kind: 'token', token },
        retryBaseDelayMs: 10,
        writeSpacing: { minimumWriteIntervalMs: 0, minimumContentCreationIntervalMs: 0 },
      }),
      repository: repositoryName,
      mergeabilityRetryDelaysMs: [20, 50, 100, 200],
      ...settings,
    });

  return {
    fake,
    token,
    provider: makeProvider(),
    workingCopy,
    makeProvider,
    git,
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
      const bare = await fake.bareRepositoryPath(repositoryName);
      return (await runGit(['rev-parse', 'refs/heads/main'], { cwd: bare })).stdout.trim();
    },
    async readComments(changeRequest) {
      const repository = fake.repository(repositoryName);
      return fake.model
        .commentsOf(repository, Number(changeRequest.id))
        .filter((comment) => comment.author === 'loompa-bot')
        .map((comment) => ({ body: withoutMarkers(comment.body) }));
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
