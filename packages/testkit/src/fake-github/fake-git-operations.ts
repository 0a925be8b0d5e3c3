import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Who GitHub's own commits (merges, updates) are made by. */
const gitHubIdentity = {
  GIT_AUTHOR_NAME: 'GitHub',
  GIT_AUTHOR_EMAIL: 'noreply@github.com',
  GIT_COMMITTER_NAME: 'GitHub',
  GIT_COMMITTER_EMAIL: 'noreply@github.com',
};

async function git(cwd: string, args: string[], environment: Record<string, string> = {}) {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', ...environment },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

async function succeeds(cwd: string, args: string[]): Promise<boolean> {
  try {
    await git(cwd, args);
    return true;
  } catch {
    return false;
  }
}

/** Raised when a merge or update cannot be made without a person resolving a conflict. */
export class FakeGitConflict extends Error {}

/**
 * What GitHub does with a repository's git data on the server: mergeability of a head into a
 * base, merges by the three methods, branch updates by merge or rebase, and branch snapshots
 * for noticing pushes. Every operation runs real git on the bare repository; work that needs
 * a checkout uses a throwaway worktree.
 */
export class FakeGitOperations {
  /**
   * The commit a full ref names in `bare`, or null. Branch refs are read from the ref files
   * (loose, then packed) without starting git: pull requests re-read their heads on every read.
   */
  async resolve(bare: string, reference: string): Promise<string | null> {
    if (/^refs\/(heads|pull)\/[^\s]+$/.test(reference) && !reference.includes('..')) {
      const loose = await readFile(path.join(bare, reference), 'utf8').catch(() => null);
      if (loose !== null && /^[0-9a-f]{40}\s*$/.test(loose)) return loose.trim();
      const packed = await readFile(path.join(bare, 'packed-refs'), 'utf8').catch(() => '');
      for (const line of packed.split('\n')) {
        const [sha, name] = line.split(' ');
        if (name === reference && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
      }
      if (loose === null) return null;
    }
    try {
      return (await git(bare, ['rev-parse', '--verify', '--quiet', `${reference}^{commit}`])) || null;
    } catch {
      return null;
    }
  }

  /** Every branch and its commit. */
  async branches(bare: string): Promise<Map<string, string>> {
    const output = await git(bare, [
      'for-each-ref',
      '--format=%(refname:lstrip=2) %(objectname)',
      'refs/heads',
    ]);
    const branches = new Map<string, string>();
    for (const line of output.split('\n')) {
      const [name, sha] = line.split(' ');
      if (name && sha) branches.set(name, sha);
    }
    return branches;
  }

  /** Copies a fork's commit into the base repository under `refs/pull/<n>/head`, as GitHub keeps it. */
  async fetchInto(bare: string, sourceBare: string, sha: string, reference: string): Promise<void> {
    await git(bare, ['fetch', '--quiet', '--no-tags', sourceBare, `+${sha}:${reference}`]);
  }

  async setReference(bare: string, reference: string, sha: string, expectedOld?: string): Promise<void> {
    await git(bare, ['update-ref', reference, sha, ...(expectedOld ? [expectedOld] : [])]);
  }

  /** Whether `head` lacks commits of `base` (behind) and whether merging them clashes (conflict). */
  async mergeability(
    bare: string,
    baseSha: string,
    headSha: string,
  ): Promise<{ behind: boolean; conflict: boolean }> {
    const behind = !(await succeeds(bare, ['merge-base', '--is-ancestor', baseSha, headSha]));
    if (!behind) return { behind, conflict: false };
    const clean = await succeeds(bare, ['merge-tree', '--write-tree', '--no-messages', baseSha, headSha]);
    return { behind, conflict: !clean };
  }

  async readFile(bare: string, sha: string, filePath: string): Promise<string | null> {
    try {
      return await git(bare, ['show', `${sha}:${filePath}`]);
    } catch {
      return null;
    }
  }

  /** Runs `work` in a detached worktree of `bare` at `sha`, removed afterwards. */
  private async inWorktree<Value>(bare: string, sha: string, work: (directory: string) => Promise<Value>) {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-fake-github-worktree-'));
    await git(bare, ['worktree', 'add', '--quiet', '--detach', directory, sha]);
    try {
      return await work(directory);
    } finally {
      await git(bare, ['worktree', 'remove', '--force', directory]).catch(() => {});
      await rm(directory, { recursive: true, force: true });
    }
  }

  /** The commit a merge of `headSha` into `baseSha` by `method` produces; throws `FakeGitConflict`. */
  merge(
    bare: string,
    options: { baseSha: string; headSha: string; method: 'merge' | 'squash' | 'rebase'; message: string },
  ): Promise<string> {
    if (options.method === 'rebase') return this.rebase(bare, options.headSha, options.baseSha);
    return this.inWorktree(bare, options.baseSha, async (directory) => {
      try {
        if (options.method === 'merge') {
          await git(
            directory,
            ['merge', '--quiet', '--no-ff', '-m', options.message, options.headSha],
            gitHubIdentity,
          );
        } else {
          await git(directory, ['merge', '--quiet', '--squash', options.headSha], gitHubIdentity);
          await git(directory, ['commit', '--quiet', '--allow-empty', '-m', options.message], gitHubIdentity);
        }
      } catch (error) {
        throw new FakeGitConflict(`merge conflict: ${(error as Error).message}`);
      }
      return git(directory, ['rev-parse', 'HEAD']);
    });
  }

  /** `headSha`'s commits replayed onto `baseSha`; throws `FakeGitConflict`. */
  rebase(bare: string, headSha: string, baseSha: string): Promise<string> {
    return this.inWorktree(bare, headSha, async (directory) => {
      try {
        await git(directory, ['rebase', '--quiet', baseSha], gitHubIdentity);
      } catch (error) {
        await git(directory, ['rebase', '--abort']).catch(() => {});
        throw new FakeGitConflict(`rebase conflict: ${(error as Error).message}`);
      }
      return git(directory, ['rev-parse', 'HEAD']);
    });
  }

  /** A merge commit of `baseSha` into `headSha` (the "Update branch" button); throws `FakeGitConflict`. */
  mergeBaseInto(bare: string, headSha: string, baseSha: string, message: string): Promise<string> {
    return this.inWorktree(bare, headSha, async (directory) => {
      try {
        await git(directory, ['merge', '--quiet', '--no-ff', '-m', message, baseSha], gitHubIdentity);
      } catch (error) {
        throw new FakeGitConflict(`merge conflict: ${(error as Error).message}`);
      }
      return git(directory, ['rev-parse', 'HEAD']);
    });
  }
}
