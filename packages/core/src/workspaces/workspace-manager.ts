import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceError } from '../errors/error-classes.js';
import { runGit } from '../git/run-git.js';
import { withWorktreeLock } from '../git/worktree-lock.js';
import { resolveWorkspacePath } from './path-safety.js';
import { workspaceKeyFor } from './workspace-key.js';

export interface WorkspaceManagerSettings {
  /** The source checkout; null when `repositoryUrl` is cloned into the state directory. */
  repositoryPath: string | null;
  repositoryUrl: string | null;
  workspaceRoot: string;
  branchPrefix: string;
  /** Where a `repositoryUrl` clone lives. */
  stateDirectory: string;
  /** Base branch for new branches; the source checkout's current branch when null. */
  baseBranch: string | null;
}

export interface Workspace {
  key: string;
  path: string;
  branch: string;
  /** True when this call created the worktree (so `after_create` runs). */
  created: boolean;
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * One git worktree per issue, on its own branch, under the workspace root. Worktrees are
 * reused across runs; the source checkout is never modified except for the worktree list.
 */
export class WorkspaceManager {
  private sourceReady: Promise<string> | null = null;
  /** The tail of the queue of worktree changes; see `exclusive`. */
  private worktreeChanges: Promise<unknown> = Promise.resolve();

  constructor(private settings: WorkspaceManagerSettings) {}

  /** Applies new settings (hot reload); a changed repository is picked up on next use. */
  updateSettings(settings: WorkspaceManagerSettings): void {
    if (
      settings.repositoryPath !== this.settings.repositoryPath ||
      settings.repositoryUrl !== this.settings.repositoryUrl
    ) {
      this.sourceReady = null;
    }
    this.settings = settings;
  }

  /** The source checkout, cloning `repository.url` once into the state directory when needed. */
  sourceCheckout(): Promise<string> {
    this.sourceReady ??= this.prepareSource().catch((error) => {
      this.sourceReady = null;
      throw error;
    });
    return this.sourceReady;
  }

  private async prepareSource(): Promise<string> {
    const { repositoryPath, repositoryUrl, stateDirectory } = this.settings;
    if (repositoryPath) {
      const top = await runGit(['rev-parse', '--show-toplevel'], { cwd: repositoryPath, allowFailure: true });
      if (top.exitCode !== 0) {
        throw new WorkspaceError(`repository.path ${repositoryPath} is not a git checkout: ${top.stderr}`);
      }
      return top.stdout;
    }
    if (!repositoryUrl) throw new WorkspaceError('Neither repository.path nor repository.url is set');
    const clonePath = path.join(stateDirectory, 'source');
    if (!(await exists(path.join(clonePath, '.git')))) {
      await mkdir(stateDirectory, { recursive: true });
      await rm(clonePath, { recursive: true, force: true });
      await runGit(['clone', '--quiet', repositoryUrl, clonePath], { cwd: stateDirectory });
    }
    return clonePath;
  }

  /** The branch new work starts from. */
  async baseBranch(): Promise<string> {
    if (this.settings.baseBranch) return this.settings.baseBranch;
    const source = await this.sourceCheckout();
    const head = await runGit(['symbolic-ref', '--short', 'HEAD'], { cwd: source, allowFailure: true });
    if (head.exitCode !== 0) {
      throw new WorkspaceError(`The source checkout ${source} has a detached HEAD; set scm.base_branch`);
    }
    return head.stdout;
  }

  branchFor(identifier: string): string {
    return `${this.settings.branchPrefix}${workspaceKeyFor(identifier)}`;
  }

  /** The workspace path for an identifier, checked to lie inside the root. */
  async pathFor(identifier: string): Promise<string> {
    await mkdir(this.settings.workspaceRoot, { recursive: true });
    return resolveWorkspacePath(this.settings.workspaceRoot, workspaceKeyFor(identifier));
  }

  /**
   * Runs worktree changes one at a time. Git keeps every worktree's metadata in the source
   * checkout: a `worktree add` racing another (or a `worktree prune`) fails on, or deletes,
   * the other's half-written entry, so concurrent dispatches must not change worktrees at once,
   * and neither may other processes on the same repository (another orchestrator instance,
   * scm-local): the queue orders this manager's changes, the worktree lock all processes'.
   */
  private exclusive<Result>(source: string, work: () => Promise<Result>): Promise<Result> {
    const locked = () => withWorktreeLock(source, work);
    const result = this.worktreeChanges.then(locked, locked);
    this.worktreeChanges = result.catch(() => {});
    return result;
  }

  /** Creates the worktree for an issue, or reuses the one already there. */
  async prepare(identifier: string): Promise<Workspace> {
    const workspacePath = await this.pathFor(identifier);
    const source = await this.sourceCheckout();
    return this.exclusive(source, () => this.prepareWorktree(identifier, workspacePath, source));
  }

  private async prepareWorktree(
    identifier: string,
    workspacePath: string,
    source: string,
  ): Promise<Workspace> {
    const key = workspaceKeyFor(identifier);
    const branch = this.branchFor(identifier);
    if (await exists(path.join(workspacePath, '.git'))) {
      return { key, path: workspacePath, branch, created: false };
    }
    if (await exists(workspacePath)) {
      // A folder without a worktree (an interrupted create) is replaced, not trusted.
      await rm(workspacePath, { recursive: true, force: true });
    }
    await runGit(['worktree', 'prune'], { cwd: source });
    const branchExists =
      (
        await runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
          cwd: source,
          allowFailure: true,
        })
      ).exitCode === 0;
    if (branchExists) {
      await runGit(['worktree', 'add', '--quiet', workspacePath, branch], { cwd: source });
    } else {
      const base = await this.baseBranch();
      await runGit(['worktree', 'add', '--quiet', '-b', branch, workspacePath, base], { cwd: source });
    }
    return { key, path: workspacePath, branch, created: true };
  }

  /** Removes an issue's worktree (the branch stays, for its change request). */
  async remove(identifier: string): Promise<string> {
    const workspacePath = await this.pathFor(identifier);
    const source = await this.sourceCheckout();
    await this.exclusive(source, async () => {
      if (await exists(workspacePath)) {
        await runGit(['worktree', 'remove', '--force', '--force', workspacePath], {
          cwd: source,
          allowFailure: true,
        });
        await rm(workspacePath, { recursive: true, force: true });
      }
      await runGit(['worktree', 'prune'], { cwd: source, allowFailure: true });
    });
    return workspacePath;
  }

  /** True when the issue has a workspace on disk. */
  async has(identifier: string): Promise<boolean> {
    return exists(await this.pathFor(identifier));
  }
}
