import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceError } from '../errors/error-classes.js';
import { runGit } from '../git/run-git.js';
import { withWorktreeLock } from '../git/worktree-lock.js';
import type { PushTarget } from '../specifications/scm-provider.js';

/** Who Loompa's own commits are by, and the trailers every commit carries. */
export interface CommitIdentity {
  name: string;
  email: string;
}

function identityEnvironment(identity: CommitIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

/** The commit at the worktree's HEAD. */
export async function headCommit(worktree: string): Promise<string> {
  return (await runGit(['rev-parse', 'HEAD'], { cwd: worktree })).stdout;
}

/** The commit a ref names, or null when it does not exist. */
export async function resolveRef(worktree: string, ref: string): Promise<string | null> {
  const result = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: worktree,
    allowFailure: true,
  });
  return result.exitCode === 0 ? result.stdout : null;
}

/**
 * Stages everything and tells whether the worktree differs from `sinceCommit` in more than
 * whitespace. Staging in the agent's worktree is safe: the worktree belongs to the item.
 */
export async function hasMeaningfulChanges(worktree: string, sinceCommit: string): Promise<boolean> {
  await runGit(['add', '--all'], { cwd: worktree });
  const diff = await runGit(
    [
      'diff',
      '--cached',
      '--quiet',
      '--no-ext-diff',
      '--ignore-all-space',
      '--ignore-blank-lines',
      sinceCommit,
    ],
    { cwd: worktree, allowFailure: true },
  );
  return diff.exitCode === 1;
}

/**
 * Shapes the work since `sinceCommit` (the agent's commits and anything uncommitted) into
 * one commit with `message`. The new commit's tree is the worktree's whole content recorded
 * on top of `sinceCommit`, so `sinceCommit` must be a commit the worktree grew from (the fork
 * point from the base, or the last pushed head): a newer base tip would make everything
 * merged since the worktree was made look deleted. Returns the new head, or null when
 * nothing changed.
 */
export async function commitWorkSince(
  worktree: string,
  sinceCommit: string,
  message: string,
  identity: CommitIdentity,
): Promise<string | null> {
  await runGit(['add', '--all'], { cwd: worktree });
  await resetBranchKeepingWork(worktree, sinceCommit);
  const staged = await runGit(['diff', '--cached', '--quiet'], { cwd: worktree, allowFailure: true });
  if (staged.exitCode === 0) return null;
  await runGit(['commit', '--quiet', '--no-verify', '--file', '-'], {
    cwd: worktree,
    env: identityEnvironment(identity),
    input: message,
  });
  return headCommit(worktree);
}

/** Moves the worktree's branch back to `commit`, keeping every change in the index and files. */
export async function resetBranchKeepingWork(worktree: string, commit: string): Promise<void> {
  await runGit(['reset', '--soft', commit], { cwd: worktree });
}

/** `subject`, a blank line, `body` when there is one, then the trailers. */
export function buildCommitMessage(
  subject: string,
  body: string | null,
  trailers: ReadonlyArray<[string, string]>,
): string {
  const parts = [subject.trim()];
  if (body?.trim()) parts.push(body.trim());
  if (trailers.length > 0) parts.push(trailers.map(([key, value]) => `${key}: ${value}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/**
 * Pushes the worktree's HEAD to `branch`, leasing against the head Loompa pushed last (or
 * requiring the branch to be new), so it never overwrites someone else's push. Credentials
 * stay in the environment the provider supplied.
 */
export async function pushBranch(
  worktree: string,
  branch: string,
  target: PushTarget,
  expectedRemoteHead: string | null,
): Promise<void> {
  const lease = `--force-with-lease=refs/heads/${branch}:${expectedRemoteHead ?? ''}`;
  await runGit(['push', '--quiet', lease, target.remoteUrl, `HEAD:refs/heads/${branch}`], {
    cwd: worktree,
    env: target.environment,
  });
}

/** The checkout (the source checkout or a worktree of it) that has `branch` checked out, or null. */
export async function checkoutHoldingBranch(worktree: string, branch: string): Promise<string | null> {
  // Listed under the worktree lock: a worktree another process is adding would fail the listing.
  const listing = await withWorktreeLock(worktree, () =>
    runGit(['worktree', 'list', '--porcelain'], { cwd: worktree }),
  );
  let checkout: string | null = null;
  for (const line of listing.stdout.split('\n')) {
    if (line.startsWith('worktree ')) checkout = line.slice('worktree '.length);
    else if (line === `branch refs/heads/${branch}`) return checkout;
  }
  return null;
}

/**
 * The local form of a leased push, for providers that read the repository itself (no push
 * target): moves `branch` to `head` only if it still points at `expectedHead` (or does not
 * exist when that is null), in one compare-and-swap. A branch the worktree has checked out
 * already moved with its commits and is left alone.
 */
export async function moveLocalBranch(
  worktree: string,
  branch: string,
  head: string,
  expectedHead: string | null,
): Promise<void> {
  const current = await runGit(['symbolic-ref', '--quiet', 'HEAD'], { cwd: worktree, allowFailure: true });
  if (current.exitCode === 0 && current.stdout === `refs/heads/${branch}`) return;
  // Moving a branch under someone's checkout would leave their files out of step with it.
  const holder = await checkoutHoldingBranch(worktree, branch);
  if (holder !== null) {
    throw new WorkspaceError(
      `The branch ${branch} is checked out in ${holder}; Loompa does not move a branch under a checkout (switch that checkout to another branch)`,
      { details: { reason: 'branch_checked_out', branch } },
    );
  }
  const moved = await runGit(['update-ref', `refs/heads/${branch}`, head, expectedHead ?? ''], {
    cwd: worktree,
    allowFailure: true,
  });
  if (moved.exitCode !== 0) {
    const found = await resolveRef(worktree, `refs/heads/${branch}`);
    throw new WorkspaceError(
      `The branch ${branch} moved under Loompa (expected ${expectedHead?.slice(0, 12) ?? 'none'}, found ${found?.slice(0, 12) ?? 'none'}); nothing was changed`,
      { details: { reason: 'head_moved', branch } },
    );
  }
}

/** The commit `head` forked from `base`: the newest commit both histories share. */
export async function forkPoint(worktree: string, head: string, base: string): Promise<string> {
  const result = await runGit(['merge-base', head, base], { cwd: worktree, allowFailure: true });
  if (result.exitCode !== 0 || !result.stdout) {
    throw new WorkspaceError(`${head} in ${worktree} shares no history with the base commit ${base}`);
  }
  return result.stdout;
}

/** True when `ancestor` is `descendant` or lies in its history. */
export async function isAncestor(worktree: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], {
    cwd: worktree,
    allowFailure: true,
  });
  return result.exitCode === 0;
}

/**
 * Paths that differ between `from` and `to` (a commit, or the index when `to` is null).
 * Renames count as a deletion and an addition, so both paths are named.
 */
export async function changedPaths(worktree: string, from: string, to: string | null): Promise<string[]> {
  const range = to === null ? ['--cached', from] : [from, to];
  const result = await runGit(['diff', '--name-only', '--no-renames', '-z', ...range], { cwd: worktree });
  return result.stdout.split('\0').filter(Boolean);
}

/** Fetches `branch` from the push target (or uses the local ref) and returns its commit. */
export async function baseCommitFor(
  worktree: string,
  baseBranch: string,
  target: PushTarget | null,
): Promise<string> {
  if (target) {
    await runGit(['fetch', '--quiet', target.remoteUrl, `refs/heads/${baseBranch}`], {
      cwd: worktree,
      env: target.environment,
    });
    return (await runGit(['rev-parse', 'FETCH_HEAD'], { cwd: worktree })).stdout;
  }
  return (await runGit(['rev-parse', `refs/heads/${baseBranch}`], { cwd: worktree })).stdout;
}

/** Outcome of one rebase step. */
export type RebaseStep = { state: 'done'; head: string } | { state: 'conflict'; files: string[] };

const editorEnvironment = { GIT_EDITOR: 'true', GIT_SEQUENCE_EDITOR: 'true' };

async function unmergedFiles(worktree: string): Promise<string[]> {
  const result = await runGit(['diff', '--name-only', '--diff-filter=U'], {
    cwd: worktree,
    allowFailure: true,
  });
  return result.stdout.split('\n').filter(Boolean);
}

async function rebaseInProgress(worktree: string): Promise<boolean> {
  for (const name of ['rebase-merge', 'rebase-apply']) {
    const gitPath = (await runGit(['rev-parse', '--git-path', name], { cwd: worktree })).stdout;
    if (existsSync(path.resolve(worktree, gitPath))) return true;
  }
  return false;
}

/** Starts rebasing the worktree's branch onto `onto`. */
export async function startRebase(
  worktree: string,
  onto: string,
  identity: CommitIdentity,
): Promise<RebaseStep> {
  const result = await runGit(['rebase', '--quiet', onto], {
    cwd: worktree,
    env: { ...identityEnvironment(identity), ...editorEnvironment },
    allowFailure: true,
  });
  if (result.exitCode === 0) return { state: 'done', head: await headCommit(worktree) };
  const files = await unmergedFiles(worktree);
  if (files.length === 0 && !(await rebaseInProgress(worktree))) {
    throw new Error(`git rebase failed: ${result.stderr || result.stdout}`);
  }
  return { state: 'conflict', files };
}

// Only the opening and closing markers: a line of seven "=" is also a markdown heading underline.
const conflictMarkerPattern = /^(<{7}|>{7})( |$)/m;

/** Files of `files` that still hold conflict markers. */
async function filesWithConflictMarkers(worktree: string, files: readonly string[]): Promise<string[]> {
  const marked: string[] = [];
  for (const file of files) {
    try {
      if (conflictMarkerPattern.test(await readFile(path.join(worktree, file), 'utf8'))) marked.push(file);
    } catch {
      // A conflicted file the resolution deleted is resolved.
    }
  }
  return marked;
}

/**
 * After the agent worked on the conflicts of one step: a file counts as resolved when no
 * conflict marker is left in it, whether or not the agent staged it; then stage and continue.
 */
export async function continueRebase(
  worktree: string,
  identity: CommitIdentity,
  conflictedFiles: readonly string[],
): Promise<RebaseStep> {
  const remaining = await filesWithConflictMarkers(worktree, conflictedFiles);
  if (remaining.length > 0) return { state: 'conflict', files: remaining };
  await runGit(['add', '--all'], { cwd: worktree });
  const result = await runGit(['rebase', '--continue'], {
    cwd: worktree,
    env: { ...identityEnvironment(identity), ...editorEnvironment },
    allowFailure: true,
  });
  if (result.exitCode === 0) return { state: 'done', head: await headCommit(worktree) };
  const files = await unmergedFiles(worktree);
  if (files.length > 0) return { state: 'conflict', files };
  // An empty step (the resolution matched the base): skip it and go on.
  const skipped = await runGit(['rebase', '--skip'], {
    cwd: worktree,
    env: { ...identityEnvironment(identity), ...editorEnvironment },
    allowFailure: true,
  });
  if (skipped.exitCode === 0) return { state: 'done', head: await headCommit(worktree) };
  return { state: 'conflict', files: await unmergedFiles(worktree) };
}

/** Gives up a rebase: only the orchestrator aborts, never the agent. */
export async function abortRebase(worktree: string): Promise<void> {
  await runGit(['rebase', '--abort'], { cwd: worktree, allowFailure: true });
}
