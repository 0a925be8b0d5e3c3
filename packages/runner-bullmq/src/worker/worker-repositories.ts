import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  loompaGitIdentity,
  type RunnerWorkspaces,
  runGit,
  type Workspace,
  workspaceKeyFor,
} from '@loompa/core';
import { retried } from '../retried.js';

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

export interface WorkerRepositoriesSettings {
  /** Bare clones, one per repository URL, kept between jobs. */
  cacheDirectory: string;
  /** One worktree per repository and issue. */
  workspaceRoot: string;
  /** The worker's own git credentials for fetching and pushing (`GIT_CONFIG_*`, `SSH_AUTH_SOCK`). */
  gitEnvironment: Record<string, string>;
}

/** Where one job's work happens, and how it goes back. */
export interface JobWorkspace extends RunnerWorkspaces {
  /** Commits the worktree as the agent left it and pushes it to `ref`; null when no worktree was made. */
  pushResult(ref: string, message: string): Promise<string | null>;
}

/**
 * The worker's copies of the repositories it works on: a bare clone per URL, fetched before
 * each job (so a worker fetches a repository once and then only what changed), and a fresh
 * worktree per job at the commit the orchestrator named. All git runs hardened, with the
 * worker's own credentials passed through the environment, never argv.
 */
export class WorkerRepositories {
  /** Changes to one clone (fetches, worktree adds and removals) run one at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly settings: WorkerRepositoriesSettings) {}

  private exclusive<Result>(clone: string, work: () => Promise<Result>): Promise<Result> {
    const previous = this.queues.get(clone) ?? Promise.resolve();
    const result = previous.then(work, work);
    this.queues.set(
      clone,
      result.catch(() => {}),
    );
    return result;
  }

  private clonePathFor(repositoryUrl: string): string {
    const key = createHash('sha256').update(repositoryUrl).digest('hex').slice(0, 16);
    return path.join(this.settings.cacheDirectory, key);
  }

  /** The bare clone of `repositoryUrl`, fetched now. */
  private async fetched(repositoryUrl: string): Promise<string> {
    const clone = this.clonePathFor(repositoryUrl);
    const env = this.settings.gitEnvironment;
    if (!(await exists(path.join(clone, 'HEAD')))) {
      await rm(clone, { recursive: true, force: true });
      await mkdir(this.settings.cacheDirectory, { recursive: true });
      await runGit(['clone', '--quiet', '--bare', repositoryUrl, clone], {
        cwd: this.settings.cacheDirectory,
        env,
      });
    }
    await retried(() =>
      runGit(['fetch', '--quiet', '--force', '--prune', repositoryUrl, '+refs/heads/*:refs/heads/*'], {
        cwd: clone,
        env,
      }),
    );
    return clone;
  }

  /**
   * A fresh worktree for the job at `baseCommit` when this clone has it, else at the tip of
   * `baseBranch`. A worktree left by an earlier job (or a worker killed mid-run) is replaced.
   */
  async workspaceFor(job: {
    repositoryUrl: string;
    baseBranch: string;
    baseCommit: string | null;
    identifier: string;
  }): Promise<JobWorkspace> {
    const clone = this.clonePathFor(job.repositoryUrl);
    const key = workspaceKeyFor(job.identifier);
    const workspacePath = path.join(this.settings.workspaceRoot, path.basename(clone), key);
    let prepared = false;
    const removeWorktree = () =>
      this.exclusive(clone, async () => {
        if (await exists(workspacePath)) {
          await runGit(['worktree', 'remove', '--force', '--force', workspacePath], {
            cwd: clone,
            allowFailure: true,
          });
          await rm(workspacePath, { recursive: true, force: true });
        }
        await runGit(['worktree', 'prune'], { cwd: clone, allowFailure: true });
      });
    return {
      baseBranch: async () => job.baseBranch,
      prepare: async (): Promise<Workspace> => {
        await removeWorktree();
        await this.exclusive(clone, async () => {
          await this.fetched(job.repositoryUrl);
          const start = await this.startingCommit(clone, job.baseCommit, job.baseBranch);
          await mkdir(path.dirname(workspacePath), { recursive: true });
          await runGit(['worktree', 'add', '--quiet', '--detach', workspacePath, start], { cwd: clone });
        });
        prepared = true;
        return { key, path: workspacePath, branch: `(detached at ${job.baseBranch})`, created: true };
      },
      remove: async () => {
        prepared = false;
        await removeWorktree();
        return workspacePath;
      },
      pushResult: async (ref, message) => {
        if (!prepared || !(await exists(workspacePath))) return null;
        const identity = { ...loompaGitIdentity };
        await runGit(['add', '--all'], { cwd: workspacePath, env: identity });
        await runGit(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message], {
          cwd: workspacePath,
          env: identity,
        });
        const commit = (await runGit(['rev-parse', 'HEAD'], { cwd: workspacePath })).stdout.trim();
        await retried(() =>
          runGit(['push', '--quiet', '--force', job.repositoryUrl, `${commit}:${ref}`], {
            cwd: workspacePath,
            env: this.settings.gitEnvironment,
          }),
        );
        return commit;
      },
    };
  }

  private async startingCommit(
    clone: string,
    baseCommit: string | null,
    baseBranch: string,
  ): Promise<string> {
    if (baseCommit) {
      const known = await runGit(['cat-file', '-e', `${baseCommit}^{commit}`], {
        cwd: clone,
        allowFailure: true,
      });
      if (known.exitCode === 0) return baseCommit;
    }
    return `refs/heads/${baseBranch}`;
  }
}
