import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeError, type Logger } from '@loompa/core';
import { runGit } from './run-git.js';
import { TaskCommitError } from './task-errors.js';

export interface GitTaskCommitterSettings {
  /** The source checkout whose current branch receives the commits. */
  repositoryPath: string;
  /** Push the branch after each commit. */
  push: boolean;
  /** Remote to push to. */
  remote: string;
  /** Changes recorded within this many milliseconds become one commit; 0 commits only on `flush()`. */
  delayMs: number;
  /** Author and committer of the commits; git's configured identity when absent. */
  author: { name: string; email: string } | null;
  logger?: Logger;
}

const updateRefAttempts = 3;

/**
 * Commits the tracker's task-file changes to the source checkout's current branch, batched.
 * It builds the commit in a temporary index (GIT_INDEX_FILE) seeded from HEAD, so whatever a
 * person has staged is neither committed nor disturbed, and it moves the branch with a
 * compare-and-swap `update-ref`, so a commit made meanwhile is never lost. Afterwards the real
 * index entries of the committed paths are refreshed, unless the person staged those paths too.
 */
export class GitTaskCommitter {
  // Paths to commit, and what happened to them in order, for the message.
  private pendingPaths = new Set<string>();
  private pendingSummaries: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private pushOutstanding = false;

  constructor(private readonly settings: GitTaskCommitterSettings) {}

  /** Notes a written task file and a one-line summary of the change. */
  record(filePath: string, summary: string): void {
    this.pendingPaths.add(filePath);
    this.pendingSummaries.push(summary);
    if (this.settings.delayMs > 0 && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch((error) =>
          this.settings.logger?.error('Committing task files failed', { error: describeError(error) }),
        );
      }, this.settings.delayMs);
      this.timer.unref();
    }
  }

  /** Commits (and pushes) everything recorded so far as one commit. Calls run one at a time. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const run = this.flushing.then(() => this.commitPending());
    this.flushing = run.catch(() => {});
    return run;
  }

  /** Stops the timer and commits what is left. */
  async close(): Promise<void> {
    await this.flush();
  }

  private async commitPending(): Promise<void> {
    if (this.pendingPaths.size === 0) {
      if (this.pushOutstanding) await this.push(await this.currentBranch());
      return;
    }
    const batch = { paths: [...this.pendingPaths], summaries: this.pendingSummaries };
    this.pendingPaths = new Set();
    this.pendingSummaries = [];
    try {
      const committed = await this.commit(batch);
      if (committed && this.settings.push) {
        this.pushOutstanding = true;
        await this.push(committed.branch);
      }
    } catch (error) {
      // Keep the changes for the next flush, ahead of any recorded meanwhile.
      this.pendingPaths = new Set([...batch.paths, ...this.pendingPaths]);
      this.pendingSummaries = [...batch.summaries, ...this.pendingSummaries];
      throw error;
    }
  }

  private git(args: string[], options: { env?: Record<string, string>; allowFailure?: boolean } = {}) {
    return runGit(args, { cwd: this.settings.repositoryPath, ...options });
  }

  private async currentBranch(): Promise<string> {
    const { stdout, exitCode } = await this.git(['symbolic-ref', '-q', 'HEAD'], { allowFailure: true });
    if (exitCode !== 0) {
      throw new TaskCommitError(
        `${this.settings.repositoryPath} is on a detached HEAD; task files are written but not committed`,
      );
    }
    return stdout.trim();
  }

  private async commit(batch: { paths: string[]; summaries: string[] }): Promise<{ branch: string } | null> {
    const topLevel = (await this.git(['rev-parse', '--show-toplevel'])).stdout.trim();
    const paths = batch.paths.map((filePath) => path.relative(topLevel, filePath).split(path.sep).join('/'));
    const branch = await this.currentBranch();
    const authorEnvironment: Record<string, string> = this.settings.author
      ? {
          GIT_AUTHOR_NAME: this.settings.author.name,
          GIT_AUTHOR_EMAIL: this.settings.author.email,
          GIT_COMMITTER_NAME: this.settings.author.name,
          GIT_COMMITTER_EMAIL: this.settings.author.email,
        }
      : {};
    const message = commitMessage(batch.summaries);

    for (let attempt = 1; attempt <= updateRefAttempts; attempt++) {
      const parent = await this.git(['rev-parse', '-q', '--verify', `${branch}^{commit}`], {
        allowFailure: true,
      });
      const parentCommit = parent.exitCode === 0 ? parent.stdout.trim() : null;
      const indexFile = path.join(os.tmpdir(), `loompa-task-index-${process.pid}-${randomUUID()}`);
      try {
        const temporaryIndex = { GIT_INDEX_FILE: indexFile };
        await this.git(parentCommit ? ['read-tree', parentCommit] : ['read-tree', '--empty'], {
          env: temporaryIndex,
        });
        await this.git(['update-index', '--add', '--remove', '--', ...paths], { env: temporaryIndex });
        const tree = (await this.git(['write-tree'], { env: temporaryIndex })).stdout.trim();
        if (parentCommit) {
          const parentTree = (await this.git(['rev-parse', `${parentCommit}^{tree}`])).stdout.trim();
          if (parentTree === tree) return null;
        }
        const commit = (
          await this.git(
            ['commit-tree', tree, ...(parentCommit ? ['-p', parentCommit] : []), '-m', message],
            {
              env: authorEnvironment,
            },
          )
        ).stdout.trim();

        // Paths the person staged themselves keep their staged version in the real index.
        const stagedByPerson = new Set(
          (
            await this.git([
              'diff',
              '--cached',
              '--name-only',
              '--no-renames',
              '-z',
              parentCommit ?? (await this.emptyTree()),
              '--',
              ...paths,
            ])
          ).stdout
            .split('\0')
            .filter((name) => name !== ''),
        );
        const moved = await this.git(
          [
            'update-ref',
            '-m',
            'loompa: commit task files',
            branch,
            commit,
            parentCommit ?? ''.padEnd(40, '0'),
          ],
          { allowFailure: true },
        );
        // Someone committed between our read of the branch and the update: build on theirs.
        if (moved.exitCode !== 0) continue;
        const refresh = paths.filter((name) => !stagedByPerson.has(name));
        if (refresh.length > 0)
          await this.git(['reset', '-q', commit, '--', ...refresh], { allowFailure: true });
        this.settings.logger?.info('Committed task files', { branch, commit, files: paths });
        return { branch };
      } finally {
        await rm(indexFile, { force: true });
      }
    }
    throw new TaskCommitError(
      `${branch} kept moving during ${updateRefAttempts} attempts to commit task files`,
    );
  }

  private async emptyTree(): Promise<string> {
    return (await this.git(['hash-object', '-t', 'tree', '/dev/null'])).stdout.trim();
  }

  private async push(branch: string): Promise<void> {
    await this.git(['push', '--quiet', this.settings.remote, `${branch}:${branch}`]);
    this.pushOutstanding = false;
  }
}

function commitMessage(summaries: string[]): string {
  const ids = [...new Set(summaries.map((summary) => summary.split(' ')[0]!))];
  const subject =
    summaries.length === 1 ? `tasks: ${summaries[0]}` : `tasks: update ${ids.join(', ')}`.slice(0, 200);
  return summaries.length === 1
    ? subject
    : `${subject}\n\n${summaries.map((line) => `- ${line}`).join('\n')}`;
}
