import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createLocalScm } from '../src/index.js';
import type { LocalScmProvider } from '../src/local-scm-provider.js';
import type { LocalScmSettings } from '../src/local-scm-settings.js';

/** Test commits carry this identity explicitly: tests never rely on a global git identity. */
const identity = ['-c', 'user.name=Test Person', '-c', 'user.email=test@example.com'];

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', [...identity, ...args], { cwd, env: { GIT_TERMINAL_PROMPT: '0' } });
  return result.stdout.trim();
}

export interface LocalRepositoryFixture {
  root: string;
  /** The source checkout, on `main`. */
  repositoryPath: string;
  stateDirectory: string;
  /** Providers made by `createProvider`, closed on cleanup. */
  providers: LocalScmProvider[];
  createProvider(settings?: Partial<LocalScmSettings>): LocalScmProvider;
  /**
   * An agent-style worktree on a new branch from main, with one commit writing `file`;
   * returns the worktree directory and head.
   */
  createBranch(branch: string, file: string, content: string): Promise<{ worktree: string; headSha: string }>;
  /** Commits `file` with `content` in `cwd` (a worktree); returns the new head. */
  commit(cwd: string, file: string, content: string, message?: string): Promise<string>;
  /** Commits onto main in the source checkout. */
  commitToMain(file: string, content: string): Promise<string>;
  head(ref: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createLocalRepositoryFixture(): Promise<LocalRepositoryFixture> {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'loompa-scm-local-')));
  const repositoryPath = path.join(root, 'source');
  const stateDirectory = path.join(root, 'state');
  await fs.mkdir(repositoryPath);
  await git(repositoryPath, 'init', '--quiet', '--initial-branch=main');
  await fs.writeFile(path.join(repositoryPath, 'README.md'), 'line one\nline two\n');
  await fs.writeFile(path.join(repositoryPath, 'shared.txt'), 'original\n');
  await git(repositoryPath, 'add', '.');
  await git(repositoryPath, 'commit', '--quiet', '-m', 'Initial commit');
  const worktrees = new Map<string, string>();
  const providers: LocalScmProvider[] = [];

  const commit = async (cwd: string, file: string, content: string, message = `Write ${file}`) => {
    await fs.mkdir(path.dirname(path.join(cwd, file)), { recursive: true });
    await fs.writeFile(path.join(cwd, file), content);
    await git(cwd, 'add', '--', file);
    await git(cwd, 'commit', '--quiet', '-m', message);
    return git(cwd, 'rev-parse', 'HEAD');
  };

  return {
    root,
    repositoryPath,
    stateDirectory,
    providers,
    createProvider(settings = {}) {
      const provider = createLocalScm({ repositoryPath, stateDirectory, checkKillGraceMs: 500, ...settings });
      providers.push(provider);
      return provider;
    },
    async createBranch(branch, file, content) {
      const worktree = path.join(root, 'worktrees', branch.replace(/[^A-Za-z0-9]+/g, '-'));
      await git(repositoryPath, 'worktree', 'add', '--quiet', '-b', branch, worktree, 'main');
      worktrees.set(branch, worktree);
      const headSha = await commit(worktree, file, content);
      return { worktree, headSha };
    },
    commit,
    commitToMain: (file, content) => commit(repositoryPath, file, content),
    head: (ref) => git(repositoryPath, 'rev-parse', ref),
    async cleanup() {
      for (const provider of providers) await provider.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
