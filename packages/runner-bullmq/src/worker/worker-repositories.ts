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
  /**
   * The worktree's changes from the job's base commit as a binary diff, when the worktree
   * started there and the diff is text of at most `maxBytes`; null otherwise (then the result
   * goes through `pushResult`).
   */
  resultPatch(maxBytes: number): Promise<string | null>;
}

/**
 * The worker's copies of the repositories it works on: a bare clone per URL, fetched only when
 * a job starts from a commit it lacks (so a worker fetches a repository once and then only
 * what changed), and a fresh worktree per job at the commit the orchestrator named. All git runs hardened, with the
 * worker's own credentials passed through the environment, never argv.
 */
export class WorkerRepositories {
  /** Changes to one clone (fetches, worktree adds and removals) run one at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pruned = new Set<string>();

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

  /** The bare clone of `repositoryUrl`, cloned on first use. */
  private async cloned(repositoryUrl: string): Promise<string> {
    const clone = this.clonePathFor(repositoryUrl);
    if (!(await exists(path.join(clone, 'HEAD')))) {
      await rm(clone, { recursive: true, force: true });
      await mkdir(this.settings.cacheDirectory, { recursive: true });
      await runGit(['clone', '--quiet', '--bare', repositoryUrl, clone], {
        cwd: this.settings.cacheDirectory,
        env: this.settings.gitEnvironment,
      });
    }
    return clone;
  }

  /** Fetches `refspec` from `repositoryUrl` into the clone. */
  private async fetch(clone: string, repositoryUrl: string, refspec: string): Promise<void> {
    await retried(() =>
      runGit(['fetch', '--quiet', '--force', '--no-tags', repositoryUrl, refspec], {
        cwd: clone,
        env: this.settings.gitEnvironment,
      }),
    );
  }

  /** `commit` when the clone has it, else null. */
  private async known(clone: string, commit: string | null): Promise<string | null> {
    if (!commit) return null;
    const found = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: clone, allowFailure: true });
    return found.exitCode === 0 ? commit : null;
  }

  /**
   * Where a job's worktree starts: `baseCommit` when the clone has it (no fetch at all: most
   * jobs start from a base an earlier job already brought), else after fetching the branches,
   * else (a reaction's snapshot) after fetching its start ref; an attempt without a known base
   * commit starts at the tip of `baseBranch`.
   */
  private async startingCommit(
    clone: string,
    job: { repositoryUrl: string; baseBranch: string | null; baseCommit: string | null; startRef?: string },
  ): Promise<string> {
    const known = await this.known(clone, job.baseCommit);
    if (known) return known;
    await this.fetch(clone, job.repositoryUrl, '+refs/heads/*:refs/heads/*');
    const fetched = await this.known(clone, job.baseCommit);
    if (fetched) return fetched;
    if (job.startRef) {
      await this.fetch(clone, job.repositoryUrl, `+${job.startRef}:${job.startRef}`);
      const started = await this.known(clone, job.baseCommit);
      if (started) return started;
      throw new Error(`${job.startRef} in ${job.repositoryUrl} does not hold ${job.baseCommit}`);
    }
    if (!job.baseBranch) throw new Error(`the job names no base branch and ${job.baseCommit} is unknown`);
    return `refs/heads/${job.baseBranch}`;
  }

  /**
   * A fresh worktree for the job at `baseCommit` when this clone has it, else at the tip of
   * `baseBranch`. A worktree left by an earlier job (or a worker killed mid-run) is replaced.
   */
  async workspaceFor(job: {
    repositoryUrl: string;
    /** The branch an attempt starts from when its base commit cannot be had; null for a reaction. */
    baseBranch: string | null;
    baseCommit: string | null;
    /** A reaction's start ref: where `baseCommit` is fetched from when the clone lacks it. */
    startRef?: string;
    identifier: string;
  }): Promise<JobWorkspace> {
    const clone = this.clonePathFor(job.repositoryUrl);
    const key = workspaceKeyFor(job.identifier);
    const workspacePath = path.join(this.settings.workspaceRoot, path.basename(clone), key);
    let prepared = false;
    let startedAtBase = false;
    const removeWorktree = () =>
      this.exclusive(clone, async () => {
        const leftover = await exists(workspacePath);
        if (leftover) {
          await runGit(['worktree', 'remove', '--force', '--force', workspacePath], {
            cwd: clone,
            allowFailure: true,
          });
          await rm(workspacePath, { recursive: true, force: true });
        }
        // Registrations of worktrees gone missing (a killed worker's) are pruned once per
        // clone and process, and whenever one was removed here: not on every job.
        if (leftover || !this.pruned.has(clone)) {
          if (await exists(path.join(clone, 'HEAD')))
            await runGit(['worktree', 'prune'], { cwd: clone, allowFailure: true });
          this.pruned.add(clone);
        }
      });
    return {
      // Only attempts ask (a reaction starts at its exact commit).
      baseBranch: async () => job.baseBranch ?? 'HEAD',
      prepare: async (): Promise<Workspace> => {
        await removeWorktree();
        await this.exclusive(clone, async () => {
          await this.cloned(job.repositoryUrl);
          const start = await this.startingCommit(clone, job);
          await mkdir(path.dirname(workspacePath), { recursive: true });
          await runGit(['worktree', 'add', '--quiet', '--detach', workspacePath, start], { cwd: clone });
          startedAtBase = start === job.baseCommit;
        });
        prepared = true;
        return {
          key,
          path: workspacePath,
          branch: `(detached at ${job.baseBranch ?? job.baseCommit})`,
          created: true,
        };
      },
      remove: async () => {
        prepared = false;
        await removeWorktree();
        return workspacePath;
      },
      resultPatch: async (maxBytes) => {
        if (!prepared || !startedAtBase || !(await exists(workspacePath))) return null;
        await runGit(['add', '--all'], { cwd: workspacePath });
        const diff = await runGit(
          ['diff', '--cached', '--binary', '--full-index', '--no-renames', '--no-ext-diff', job.baseCommit!],
          { cwd: workspacePath },
        );
        // Text that is not UTF-8 would not survive the trip as a string: such work is pushed.
        if (diff.stdout.length > maxBytes || diff.stdout.includes('\uFFFD')) return null;
        // runGit strips the last newline, which git apply needs.
        return diff.stdout === '' ? '' : `${diff.stdout}\n`;
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
}
